"""What a compiled function defines carries the qualified name it has natively (issue 11)."""

import importlib

from statemachine_compiler import install_import_hook

SOURCE = '''\
class Ready:
    def __await__(self):
        return 1
        yield


async def f():
    await Ready()

    class Local:
        class Nested:
            def m(self):
                pass

        def m(self):
            return [lambda: 0 for _ in "x"][0].__qualname__

    def g():
        class InG:
            pass

        return InG

    async def h():
        class InH:
            pass

        return InH

    return (
        Local.__qualname__,
        Local.Nested.__qualname__,
        Local.Nested.m.__qualname__,
        Local.m.__qualname__,
        Local().m(),
        g.__qualname__,
        g().__qualname__,
        (await h()).__qualname__,
        (x for x in "y").__qualname__,
    )


class C:
    async def m(self):
        class InMethod:
            pass

        return InMethod.__qualname__


def qualnames():
    return run(f()), run(C().m())


def run(coroutine):
    try:
        while True:
            coroutine.send(None)
    except StopIteration as stop:
        return stop.value
'''


def test_classes_defined_in_a_compiled_function_have_native_qualnames(modules):
    modules.write("qualnames.py", SOURCE)
    native = importlib.import_module("qualnames").qualnames()
    modules.forget("qualnames")
    with install_import_hook(["qualnames"]):
        compiled_module = importlib.import_module("qualnames")
    # Compiled, f is a stub that builds the module's machine class ``_f``.
    assert hasattr(compiled_module, "_f")
    assert compiled_module.qualnames() == native
