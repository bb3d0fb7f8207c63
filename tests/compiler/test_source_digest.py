"""A machine's ``_source_digest``: the hash of its async def's source, decorators and the lines above them left out.

It is taken from the module's printed text where that is the def's code
(``FunctionCompiler.definition_code``), without printing the function again:
it must be what printing it gives, whatever surrounds the def.
"""

from __future__ import annotations

import hashlib
import re
import textwrap

import libcst as cst
import pytest

from statemachine_compiler import compile_source
from statemachine_compiler.pipeline import Options

SOURCES = {
    "plain": "async def f():\n    return 1\n",
    "no newline at the end": "async def f():\n    return 1",
    "a comment on its last line, no newline": "async def f():\n    return 1  # c",
    "decorated": "@d\nasync def f():\n    return 1\n",
    "a comment between decorator and def": "@d\n# between\nasync def f():\n    pass\n",
    "a blank line between decorator and def": "@d\n\nasync def f():  # c\n    '''doc\n  more'''\n    return 1\n    # end\n",
    "a comment last in its body": "async def f():\n    x = 1\n    # trailing comment\n\n\n# module comment\nx = 2\n",
    "a comment last in a nested body": "async def f():\n    if x:\n        pass\n        # nested trailing\n\nx = 1\n",
    "a dedented comment after it": "async def f():\n    if x:\n        pass\n# dedented\nx = 1\n",
    "a body on its header's line": "async def f(): return 1  # c\n# after\n",
    "odd spacing": "async  def  f ( a ,\n b ) :\n\n    pass\n\n\n\n",
    "a multi-line string and a nested def": "async def f():\n    s = '''\nx\n'''\n    async def g():\n        pass\n",
    "a hash in a string": "async def f():\n    x = '#'\n",
    "a method": "class C:\n    async def m(self):\n        pass\n",
    "under an if": "if x:\n    async def f():\n        pass\n",
    "a tab": "async def f():\n\tpass\n",
    "carriage returns": "x = 1\r\nasync def f():\r\n    pass\r\n",
    "two of them": "async def f():\n    return 1\n# between\nasync def g():\n    return 2\n",
}


def _printed_digests(source: str) -> list[str]:
    """The digest of each async def, from printing it (the way it was always taken)."""
    digests = []

    class Defs(cst.CSTVisitor):
        def visit_FunctionDef(self, node):
            if node.asynchronous is not None:
                code = module.code_for_node(node.with_changes(decorators=[], leading_lines=[]))
                digests.append(hashlib.sha256(textwrap.dedent(code).strip().encode()).hexdigest()[:16])

    module = cst.parse_module(source)
    module.visit(Defs())
    return digests


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_the_digest_is_that_of_the_printed_function(name):
    source = SOURCES[name]
    code = compile_source(source, "digest.py", Options(format=False)).code
    assert sorted(re.findall(r"_source_digest = '(\w+)'", code)) == sorted(_printed_digests(source))
