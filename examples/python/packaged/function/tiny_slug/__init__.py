# Turns a title into a URL slug: "Hello, World!" -> "hello-world".
import re
import unicodedata


def slugify(text):
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
