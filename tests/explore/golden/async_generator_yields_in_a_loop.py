async def ticks(clock, count):
    for n in range(count):
        await clock.sleep(1)
        yield n
    yield "done"
