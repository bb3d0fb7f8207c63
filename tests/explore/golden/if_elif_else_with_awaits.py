async def route(request):
    if request.cached:
        return request.cache
    if request.method == "GET":
        body = await fetch(request)
    elif request.method == "POST":
        body = await post(request)
    else:
        body = None
    await log(request)
    return body
