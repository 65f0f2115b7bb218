# Lambda@Edge (Python), viewer-request: SEO-friendly URLs.
#   - legacy paths get a 301 to their new home (query string kept)
#   - /dir/index.html gets a 301 to /dir/
#   - /dir (no extension, no trailing slash) gets a 301 to /dir/
#   - /dir/ is served from /dir/index.html without a redirect (internal rewrite)

LEGACY = {
    "/index.php": "/",
    "/about-us.html": "/about/",
    "/news/": "/blog/",
}


def redirect(location):
    return {
        "status": "301",
        "statusDescription": "Moved Permanently",
        "headers": {
            "location": [{"key": "Location", "value": location}],
            "cache-control": [{"key": "Cache-Control", "value": "max-age=86400"}],
        },
    }


def legacy_target(uri):
    if uri in LEGACY:
        return LEGACY[uri]
    for old, new in LEGACY.items():
        if old.endswith("/") and uri.startswith(old):
            return new + uri[len(old):]
    return None


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    uri = request["uri"]
    qs = "?" + request["querystring"] if request["querystring"] else ""

    legacy = legacy_target(uri)
    if legacy:
        return redirect(legacy + qs)
    if uri.endswith("/index.html"):
        return redirect(uri[: -len("index.html")] + qs)
    last = uri[uri.rfind("/") + 1 :]
    if last and "." not in last:
        return redirect(uri + "/" + qs)
    if uri.endswith("/"):
        request["uri"] = uri + "index.html"
    return request
