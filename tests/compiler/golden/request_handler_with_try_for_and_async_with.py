async def handle(request, db, log):
    # one request: read the body, store each item, always answer
    log.info("start %s", request.path)
    try:
        body = await request.read()  # the whole body, at once
        saved = 0
        for item in body.items():
            # every item goes through one transaction
            async with db.transaction() as tx:
                await tx.insert(item)
            saved += 1
        status = 200
    except ValueError as error:
        log.warning("bad body: %s", error)
        status = 400
    finally:
        await request.close()  # the connection, whatever happened
    log.info("done %s", status)
    return status
