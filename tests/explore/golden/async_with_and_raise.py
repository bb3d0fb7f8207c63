async def locked_update(lock, record):
    async with lock:
        if not record.valid:
            raise ValueError(record)
        await record.save()
