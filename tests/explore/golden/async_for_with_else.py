async def first_error(lines):
    async for line in lines:
        if line.startswith("ERROR"):
            break
        await report(line)
    else:
        await report("no errors")
        return None
    return line
