"""Zero-argument ``super()`` where CPython refuses it.

A compiled method's ``super()`` becomes ``super(<its class>, <its first
argument>)``.  A function with no positional parameter has no first
argument: natively ``super()`` there raises, and so must the compiled call.
"""

__all__ = ["super_without_arguments"]


def super_without_arguments():
    """Raise what ``super()`` raises in a function without positional parameters."""
    raise RuntimeError("super(): no arguments")
