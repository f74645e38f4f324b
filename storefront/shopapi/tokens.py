"""Shop API access tokens: a JWT (HS256, PyJWT) wrapping one of our revocable customer tokens.

The JWT says which shop minted it (``aud`` = ``shop:<code>``) and is signed with a key derived for
that shop from SECRET_KEY, so a token minted by shop A fails the signature check at shop B whatever
the request's headers say. Its ``jti`` is a customer token in ``api_tokens``: logging out revokes
it, and an expired, revoked or forged JWT is refused the same way.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from flask import current_app

from storefront.apitokens.services import IssuedToken, authenticate_id, issue_token, revoke_id
from storefront.shops.context import current_shop_code

ISSUER = "storefront"
ALGORITHM = "HS256"
MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int
    issued: IssuedToken


def _key(shop: str) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"shop-api-jwt:{shop}".encode(), hashlib.sha256).digest()


def mint(customer_id: int) -> AccessToken:
    """A JWT for ``customer_id`` at the current shop, valid for API_TOKEN_TTL_SECONDS."""
    ttl = int(current_app.config["API_TOKEN_TTL_SECONDS"])
    issued = issue_token("customer", customer_id, ttl)
    shop = current_shop_code()
    claims = {"iss": ISSUER, "aud": f"shop:{shop}", "sub": str(customer_id), "jti": str(issued.token_id),
              "iat": datetime.now(UTC), "exp": issued.expires_at, "typ": "customer"}
    return AccessToken(jwt.encode(claims, _key(shop), algorithm=ALGORITHM), ttl, issued)


def claims_of(token: str | None) -> dict[str, object] | None:
    """The verified claims of a JWT minted by this shop (signature, audience, issuer, expiry), or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    shop = current_shop_code()
    try:
        claims = jwt.decode(token, _key(shop), algorithms=[ALGORITHM], audience=f"shop:{shop}", issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "jti", "aud", "iss"]})
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != "customer" or not all(str(claims.get(k, "")).isdigit() and len(str(claims[k])) < 11
                                                   for k in ("sub", "jti")):
        return None
    return claims


def customer_of(token: str | None) -> int | None:
    """The customer a live token speaks for: verified claims and an unrevoked, unexpired jti."""
    claims = claims_of(token)
    if claims is None:
        return None
    row = authenticate_id(int(str(claims["jti"])), "customer")
    if row is None or row.subject_id != int(str(claims["sub"])):
        return None
    return int(row.subject_id)


def revoke_token(token: str | None) -> bool:
    """Revoke the customer token inside a valid JWT; True when it was live."""
    claims = claims_of(token)
    return claims is not None and revoke_id(int(str(claims["jti"])))
