# Lambda@Edge (Python), viewer-request: map the `tier` cookie to an X-Tier header that is part of
# the cache key, so there is one cache entry per tier instead of one per cookie string.
from http.cookies import SimpleCookie

TIERS = {"premium", "standard"}


def cookie_value(headers, name):
    for line in headers.get("cookie", []):
        jar = SimpleCookie()
        jar.load(line["value"])
        if name in jar:
            return jar[name].value
    return None


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    raw = (cookie_value(request["headers"], "tier") or "").lower()
    tier = raw if raw in TIERS else "anonymous"
    request["headers"]["x-tier"] = [{"key": "X-Tier", "value": tier}]
    return request
