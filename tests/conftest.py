"""Settings every test shares."""

import os

# The import hook says on stderr when a first import compiles for more than a
# second (importhook.SlowCompileNotice).  On a loaded machine a cold compile can
# take that long, and the child processes whose output the tests compare with
# a native run's would print it now and then.  The notice's own tests clear it.
os.environ.setdefault("STATEMACHINE_COMPILER_QUIET", "1")
