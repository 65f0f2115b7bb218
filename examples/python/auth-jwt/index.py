# Lambda@Edge (Python), viewer-request: only viewers with a valid RS256 JWT (Authorization: Bearer,
# or a `token` cookie) reach the origin; the verified subject is forwarded as X-Verified-Sub and
# the Authorization header is dropped. Everyone else gets a 401 generated at the edge.
#
# Pure standard library: the RSA PKCS#1 v1.5 signature check (RFC 8017 section 8.2.2) is done with
# pow() and hashlib, the public key is read from its SubjectPublicKeyInfo PEM (RFC 5280).
import base64
import hashlib
import hmac
import json
import os
import time

PUBLIC_KEY_PEM = os.environ.get("JWT_PUBLIC_KEY", "")
ISSUER = os.environ.get("JWT_ISSUER")  # optional
# DER prefix of DigestInfo for SHA-256 (RFC 8017 section 9.2, note 1).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")

UNAUTHORIZED = {
    "status": "401",
    "statusDescription": "Unauthorized",
    "headers": {
        "www-authenticate": [{"key": "WWW-Authenticate", "value": 'Bearer realm="verge-example"'}],
        "content-type": [{"key": "Content-Type", "value": "text/plain"}],
        "cache-control": [{"key": "Cache-Control", "value": "no-store"}],
    },
    "body": "Unauthorized\n",
}


def der_read(data, pos):
    """One DER element at pos: (tag, content start, content end)."""
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[pos : pos + n], "big")
        pos += n
    return tag, pos, pos + length


def rsa_public_key(pem):
    body = "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    _, start, _ = der_read(der, 0)  # SubjectPublicKeyInfo SEQUENCE
    _, _, alg_end = der_read(der, start)  # AlgorithmIdentifier
    _, bits, _ = der_read(der, alg_end)  # BIT STRING; its first byte counts unused bits
    _, seq, _ = der_read(der, bits + 1)  # RSAPublicKey SEQUENCE
    _, n_start, n_end = der_read(der, seq)
    _, e_start, e_end = der_read(der, n_end)
    return int.from_bytes(der[n_start:n_end], "big"), int.from_bytes(der[e_start:e_end], "big")


KEY = rsa_public_key(PUBLIC_KEY_PEM) if PUBLIC_KEY_PEM else None


def rs256_valid(message, signature):
    n, e = KEY
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    em = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    digest = SHA256_PREFIX + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (k - len(digest) - 3) + b"\x00" + digest
    return hmac.compare_digest(em, expected)


def b64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def token_from(headers):
    auth = headers.get("authorization", [{}])[0].get("value", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    for line in headers.get("cookie", []):
        for part in line["value"].split(";"):
            name, _, value = part.strip().partition("=")
            if name == "token":
                return value
    return None


def fail(reason):
    print(f"token rejected: {reason}")
    return None


def verify(token):
    parts = token.split(".")
    if len(parts) != 3:
        return fail("not a JWT")
    h, p, sig = parts
    try:
        header = json.loads(b64url(h))
        claims = json.loads(b64url(p))
        signature = b64url(sig)
    except ValueError:
        return fail("undecodable header or payload")
    if header.get("alg") != "RS256":
        return fail(f"algorithm {header.get('alg')} is not RS256")
    if KEY is None or not rs256_valid(f"{h}.{p}".encode(), signature):
        return fail("bad signature")
    now = int(time.time())
    if isinstance(claims.get("exp"), (int, float)) and now >= claims["exp"]:
        return fail("expired")
    if isinstance(claims.get("nbf"), (int, float)) and now < claims["nbf"]:
        return fail("not yet valid")
    if ISSUER and claims.get("iss") != ISSUER:
        return fail(f"issuer {claims.get('iss')}")
    return claims


def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    token = token_from(request["headers"])
    claims = verify(token) if token else fail("no token")
    if not claims:
        return UNAUTHORIZED
    request["headers"]["x-verified-sub"] = [{"key": "X-Verified-Sub", "value": str(claims.get("sub"))}]
    request["headers"].pop("authorization", None)
    return request
