"""A machine whose function deletes a local: the hook says so as it compiles, the runtime need not look."""

from runtime.machines import statemachine
from statemachine_compiler import install_import_hook

SOURCE = '''
async def deletes(flag):
    x = 1
    if flag:
        del x
    del x


async def deletes_in_nested():
    x = 1

    def forget():
        nonlocal x
        del x

    forget()
    return x


async def keeps(y):
    return y + 1
'''


def run(coroutine):
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value


def import_module(modules, monkeypatch):
    scanned = []
    scan = statemachine._deletes_attributes
    monkeypatch.setattr(statemachine, "_deletes_attributes", lambda code: scanned.append(code) or scan(code))
    modules.write("deleting.py", SOURCE)
    with install_import_hook(["deleting"]):
        import deleting
    return deleting, scanned


def test_deleting_a_local_unbound_is_the_native_error(modules, monkeypatch):
    deleting, _ = import_module(modules, monkeypatch)
    message = "cannot access local variable 'x' where it is not associated with a value"
    for coroutine in (deleting.deletes(True), deleting.deletes_in_nested()):
        try:
            run(coroutine)
        except UnboundLocalError as error:
            assert str(error) == message
        else:
            raise AssertionError("no error")
    assert run(deleting.keeps(1)) == 2


def test_only_the_machines_that_delete_have_a_delattr_and_none_was_scanned(modules, monkeypatch):
    deleting, scanned = import_module(modules, monkeypatch)
    machines = {}
    for name, args in (("deletes", (False,)), ("deletes_in_nested", ()), ("keeps", (1,))):
        coroutine = getattr(deleting, name)(*args)
        machines[name] = type(coroutine)
        coroutine.close()
    assert [name for name, machine in machines.items() if "__delattr__" in machine.__dict__] == ["deletes", "deletes_in_nested"]
    assert scanned == [], "a class the hook compiled had its bytecode scanned at import"
