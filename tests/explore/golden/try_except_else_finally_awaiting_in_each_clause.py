async def transfer(db, amount):
    try:
        await db.begin()
    except ConnectionError:
        await db.reconnect()
        return False
    else:
        await db.debit(amount)
    finally:
        await db.close()
    return True
