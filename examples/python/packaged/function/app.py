# Lambda@Edge (Python), viewer-request, as a folder package with a pure-Python dependency vendored
# beside the handler (tiny_slug/), the way a Lambda Python .zip is built (`pip install -t .`).
# The handler string is app.lambda_handler. `/posts/Some Title` is served from `/posts/some-title.html`.
from urllib.parse import unquote

from tiny_slug import slugify

PREFIX = "/posts/"


def lambda_handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    uri = request["uri"]
    if uri.startswith(PREFIX) and not uri.endswith(".html"):
        request["uri"] = f"{PREFIX}{slugify(unquote(uri[len(PREFIX):]))}.html"
    return request
