from statemachine_compiler.cli import main

raise SystemExit(main())
