"""Seeing the machine: each compiled function's states as a graph, and a page that shows them.

1. ``model``: the graph of one function: its states, start and finish, and the
   ways control moves between them.
2. ``flow``: that graph, built from the compiler's own lowered form (``lower.ir``).
3. ``explored``: a source file compiled, with each function's graph and where
   its states are in the source and in the generated code.
4. ``dot``: a graph as Graphviz DOT text; ``render``: DOT drawn by Graphviz's ``dot``.
5. ``page``: the explorer page, source and generated code side by side under the diagram.
"""
