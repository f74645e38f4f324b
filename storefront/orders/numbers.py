"""Order numbers people can read aloud but nobody can guess: 40 random bits in Crockford base32."""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def new_order_number(prefix: str = "GC") -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def normalise_order_number(raw: str) -> str:
    """Accept lower case, spaces and the usual look-alikes (O→0, I/L→1)."""
    text = "".join(raw.split()).upper().replace("O", "0").replace("I", "1").replace("L", "1")
    if text.startswith("GC") and "-" not in text[:3] and len(text) == 10:
        text = f"GC-{text[2:6]}-{text[6:]}"
    return text[:20]
