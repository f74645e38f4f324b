"""Password hashing (argon2id) for customers and staff, and the rules a new password must meet."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from storefront.core.errors import FieldError

MIN_LENGTH = 10  # customers
STAFF_MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; absurdly long input is refused without hashing it."""
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
    """Spend the time a real check takes, so an unknown email answers no faster than a known one."""
    verify_password(_dummy_hash(), password[: MAX_LENGTH * 4])


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The refused passwords, lower-cased (loaded once from common_passwords.txt)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    """A listed password, or one character repeated (``aaaaaaaaaa``)."""
    lowered = password.strip().lower()
    return lowered in common_passwords() or len(set(lowered)) <= 1


def password_problems(password: str, *, email: str = "", field: str = "password",
                      min_length: int = MIN_LENGTH, refuse_common: bool = True) -> list[FieldError]:
    """Why ``password`` is not acceptable (empty when it is).

    Args:
        min_length: customers use :data:`MIN_LENGTH`, staff :data:`STAFF_MIN_LENGTH`.
        refuse_common: also refuse listed common passwords and the email's local part.
    """
    if len(password) < min_length:
        return [FieldError(field, f"Use at least {min_length} characters.")]
    if len(password) > MAX_LENGTH:
        return [FieldError(field, f"Use at most {MAX_LENGTH} characters.")]
    lowered = password.strip().lower()
    normalised_email = email.strip().lower()
    if normalised_email and (lowered == normalised_email
                             or (refuse_common and lowered == normalised_email.partition("@")[0])):
        return [FieldError(field, "The password must not be your email address.")]
    if refuse_common and is_common(password):
        return [FieldError(field, "That password is too common and easy to guess; choose another.")]
    return []
