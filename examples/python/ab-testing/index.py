# Lambda@Edge (Python): a sticky, weighted A/B split. Two handlers in one module:
#   viewer_request  (index.viewer_request):  keep the viewer's group from the ab-group cookie, or
#                   draw one (B_PERCENT % go to B) and mark the request as new; rewrite /x -> /<group>/x
#   viewer_response (index.viewer_response): give a new viewer the ab-group cookie
import os
import random

B_PERCENT = float(os.environ.get("B_PERCENT", "25"))
COOKIE = "ab-group"


def group_from_cookie(headers):
    for line in headers.get("cookie", []):
        for part in line["value"].split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and value in ("a", "b"):
                return value
    return None


def viewer_request(event, context):
    request = event["Records"][0]["cf"]["request"]
    group = group_from_cookie(request["headers"])
    if not group:
        group = "b" if random.random() * 100 < B_PERCENT else "a"
        request["headers"]["x-ab-new"] = [{"key": "X-Ab-New", "value": "1"}]
    request["headers"]["x-ab-group"] = [{"key": "X-Ab-Group", "value": group}]
    request["uri"] = "/" + group + request["uri"]
    return request


def viewer_response(event, context):
    cf = event["Records"][0]["cf"]
    request, response = cf["request"], cf["response"]
    group = request["headers"].get("x-ab-group", [{}])[0].get("value")
    if group and "x-ab-new" in request["headers"]:
        cookie = f"ab-group={group}; Path=/; Max-Age=2592000; SameSite=Lax"
        response["headers"].setdefault("set-cookie", []).append({"key": "Set-Cookie", "value": cookie})
    return response
