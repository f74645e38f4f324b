"""Square-looking identifiers."""

from __future__ import annotations

import base64
import random
import secrets
import string
import uuid

_UPPER_ALNUM = string.ascii_uppercase + string.digits
_MIXED = string.ascii_letters + string.digits


def catalog_id(rng: random.Random | None = None) -> str:
    """A 24-character catalog object id such as ``FGQ5JJWT2PYTHF35CKZ2DSKP``."""
    raw = rng.randbytes(15) if rng is not None else secrets.token_bytes(15)
    return base64.b32encode(raw).decode("ascii")


def order_id() -> str:
    """A 29-character order id (Square's end in ``ZY`` on newer accounts)."""
    return "".join(secrets.choice(_MIXED) for _ in range(27)) + "ZY"


def payment_id() -> str:
    """A 29-character payment id."""
    return "".join(secrets.choice(_MIXED) for _ in range(29))


def refund_id(payment_id_: str) -> str:
    """A refund id: Square's are the payment id, an underscore and a suffix."""
    return f"{payment_id_}_" + "".join(secrets.choice(_MIXED) for _ in range(43))


def payment_link_id() -> str:
    """A 16-character payment link id such as ``PKVT6XGJZXYUP3NZ``."""
    return "".join(secrets.choice(_UPPER_ALNUM) for _ in range(16))


def short_uid() -> str:
    """A 22-character uid for line items, changes and tenders."""
    return "".join(secrets.choice(_MIXED) for _ in range(22))


def event_id() -> str:
    """A UUID4 string, the shape of Square's webhook ``event_id``."""
    return str(uuid.uuid4())
