async def poll(source, limit):
    count = 0
    while count < limit:
        item = await source.next()
        if item is None:
            continue
        if item == "stop":
            break
        await source.ack(item)
        count += 1
    return count
