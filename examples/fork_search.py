"""A search that forks itself: at each choice the coroutine is deep-copied, once per option.

    statemachine-compiler run examples/fork_search.py [TARGET]

``find_sum`` picks, number after number, whether to take it; each pick is an
``await choose(...)``.  The driver never re-runs anything: at a choice it
makes ``copy.deepcopy`` of the suspended coroutine for every option but the
last and sends each copy its own option, so every branch of the decision
tree continues from the state its parent had (its locals, its loop's
iterator).  Native coroutines cannot be copied; compiled ones can.
"""

import copy
import sys

NUMBERS = (3, 5, 7, 11, 2)


class Choice:
    """Suspends once: the driver receives the options and sends back one of them."""

    def __init__(self, options):
        self.options = options
        self.asked = False

    def __await__(self):
        return self

    def __next__(self):
        return self.send(None)

    def send(self, value):
        if self.asked:
            raise StopIteration(value)
        self.asked = True
        return self

    def throw(self, error, *args):
        raise error


async def choose(*options):
    return await Choice(options)


async def find_sum(numbers, target):
    taken = []
    for number in numbers:
        if sum(taken) + number <= target and await choose(True, False):
            taken.append(number)
        if sum(taken) == target:
            return taken
    return None


def explore(coroutine, value=None, path=""):
    """Drive ``coroutine`` with ``value``; at each choice, fork. Yield (path, result) of each leaf."""
    try:
        choice = coroutine.send(value)
    except StopIteration as done:
        yield path, done.value
        return
    *others, last = choice.options
    forks = [(copy.deepcopy(coroutine), option) for option in others] + [(coroutine, last)]
    for fork, option in forks:
        yield from explore(fork, option, path + ("T" if option else "F"))


def main():
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    leaves = 0
    for path, result in explore(find_sum(NUMBERS, target)):
        leaves += 1
        if result is not None:
            print(f"{path:<6} {' + '.join(map(str, result))} = {target}")
    print(f"{leaves} branches explored")


if __name__ == "__main__":
    main()
