"""Password hashing (argon2id) and the rules a staff password must meet."""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from storefront.errors import FieldError

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; over-long input is refused without hashing it."""
    if len(password) > MAX_LENGTH * 4:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def burn_verification(password: str) -> None:
    """Spend the time a real check would take, so unknown emails don't answer faster."""
    verify_password(_dummy_hash(), password[: MAX_LENGTH * 4])


def password_problems(password: str, *, email: str = "", field: str = "password") -> list[FieldError]:
    """Why ``password`` is not acceptable (empty list when it is)."""
    if len(password) < MIN_LENGTH:
        return [FieldError(field, f"Use at least {MIN_LENGTH} characters.")]
    if len(password) > MAX_LENGTH:
        return [FieldError(field, f"Use at most {MAX_LENGTH} characters.")]
    if email and password.strip().lower() == email.strip().lower():
        return [FieldError(field, "The password must not be the email address.")]
    return []
