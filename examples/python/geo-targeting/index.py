# Lambda@Edge (Python), origin-request: serve a country's edition of the site, chosen from the
# CloudFront-Viewer-Country header. The header is in the behavior's cache policy, so each country
# has its own cache entry and this function runs once per country and object.
#   - countries with an edition: rewrite /page.html -> /<edition>/page.html (same URL for the viewer)
#   - countries served by another site: 302 to that site (the redirect is cached too)
#   - everyone else (or no country, e.g. a private address): the international edition

EDITIONS = {"DE": "de", "AT": "de", "CH": "de", "FR": "fr", "BE": "fr", "LU": "fr"}
REDIRECTS = {"US": "https://www.example.com/us", "CA": "https://www.example.com/us"}
DEFAULT_EDITION = "intl"


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    header = request["headers"].get("cloudfront-viewer-country")
    country = header[0]["value"].upper() if header else ""

    target = REDIRECTS.get(country)
    if target:
        return {
            "status": "302",
            "statusDescription": "Found",
            "headers": {
                "location": [{"key": "Location", "value": target + request["uri"]}],
                "cache-control": [{"key": "Cache-Control", "value": "max-age=3600"}],
            },
        }
    edition = EDITIONS.get(country, DEFAULT_EDITION)
    request["uri"] = "/" + edition + request["uri"]
    return request
