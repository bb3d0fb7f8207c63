"""Zero-argument ``super()`` where CPython refuses it.

A compiled method's ``super()`` becomes ``super(<its class>, <its first
argument>)``.  A function with no positional parameter has no first
argument: natively ``super()`` there raises, and so must the compiled call.
In a comprehension that is a function of its own (a generator expression;
3.11's list, set and dict comprehensions) the first argument is the
iterator Python passes it, which has no name in the source.
"""

import sys

from runtime.machines.statemachine import _MACHINERY_FILES

__all__ = ["super_without_arguments", "super_in_comprehension", "super_of_deletable"]


# Natively the error comes from ``super()`` itself: no frame of this module shows.
_MACHINERY_FILES.add(__file__)


def super_without_arguments():
    """Raise what ``super()`` raises in a function without positional parameters."""
    raise RuntimeError("super(): no arguments")


def super_in_comprehension(owner):
    """``super()`` in the comprehension that calls this: ``super(owner, <its iterator>)``.

    Usually the TypeError of an iterator that is no instance of ``owner``,
    with CPython's message.
    """
    return super(owner, sys._getframe(1).f_locals[".0"])


def super_of_deletable(owner, first_argument):
    """``super(owner, first_argument())`` in a function that deletes its first argument.

    Natively ``super()`` reads the first local of the frame: once deleted,
    "super(): arg[0] deleted" (3.12+'s ``super().attr`` reads it as a local,
    with that UnboundLocalError, and is not rewritten to this).
    """
    try:
        instance = first_argument()
    except (NameError, AttributeError):
        raise RuntimeError("super(): arg[0] deleted") from None
    return super(owner, instance)

