# Lambda@Edge (Python), viewer-request: normalize the query string before the cache lookup, so
# ?Size=M&Color=red&utm_source=x and ?color=red&size=M share one cache entry: names lower-cased,
# tracking parameters removed, pairs sorted by name (values keep their case).
import re
from urllib.parse import parse_qsl, quote

TRACKING = re.compile(r"^(utm_[a-z]+|gclid|fbclid|msclkid|mc_cid|mc_eid|_ga)$")


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    pairs = [
        (name.lower(), value)
        for name, value in parse_qsl(request["querystring"], keep_blank_values=True)
        if not TRACKING.match(name.lower())
    ]
    pairs.sort(key=lambda p: p[0])  # stable: values of one name keep their order
    request["querystring"] = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    return request
