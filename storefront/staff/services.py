"""Staff use cases: accounts (create, change role, deactivate, reset password) and logging in.

Every function commits its own change together with its audit row. ``actor`` is whoever
acts (a StaffMember, or a string such as ``"cli"``); see :func:`storefront.audit.services.record`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from storefront.apitokens.services import IssuedToken, issue_token, revoke_all
from storefront.audit.services import Actor, actor_from, record
from storefront.core.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationError
from storefront.core.passwords import (
    STAFF_MIN_LENGTH,
    burn_verification,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.staff import devices, totp
from storefront.staff.models import ROLES, StaffMember

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOGIN_FAILED_MESSAGE = ("Those sign-in details didn't work. Check them and try again; "
                        "repeated failures lock the account for a while.")


class LoginFailed(Unauthorized):
    """Wrong email, password or code, or a locked/inactive account — deliberately one message."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED_MESSAGE)


class TotpRequired(Unauthorized):
    """The password was right and the account has two-factor on: a code is needed."""

    code = "totp_required"

    def __init__(self, staff_id: int) -> None:
        super().__init__("Enter the 6-digit code from your authenticator app.",
                         details=[FieldError("totp", "A current authenticator code is required.")])
        self.staff_id = staff_id


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


# --- accounts -------------------------------------------------------------------------------

def get_staff(staff_id: int) -> StaffMember:
    staff = db.session.get(StaffMember, staff_id)
    if staff is None:
        raise NotFound(f"Staff member {staff_id} does not exist.")
    return staff


def find_staff_by_email(email: str) -> StaffMember | None:
    return db.session.scalar(select(StaffMember).where(StaffMember.email == normalise_email(email)))


def list_staff() -> list[StaffMember]:
    """Every staff account, active ones first, by name."""
    return list(db.session.scalars(select(StaffMember).order_by(StaffMember.is_active.desc(), StaffMember.name)))


def _check_role(role: str, errors: list[FieldError]) -> None:
    if role not in ROLES:
        errors.append(FieldError("role", f"Role must be one of: {', '.join(ROLES)}."))


def _check_name(name: str, errors: list[FieldError]) -> None:
    if not name or len(name) > 120:
        errors.append(FieldError("name", "Enter a name of at most 120 characters."))


def create_staff(email: str, name: str, password: str, role: str = "staff", *,
                 actor: object = "system") -> StaffMember:
    """Create an active staff account; 422 for bad input, 409 when the email is taken."""
    email, name = normalise_email(email), (name or "").strip()
    errors: list[FieldError] = []
    if not _EMAIL.match(email) or len(email) > 254:
        errors.append(FieldError("email", "Enter a valid email address."))
    _check_name(name, errors)
    _check_role(role, errors)
    errors += password_problems(password or "", email=email, min_length=STAFF_MIN_LENGTH,
                                refuse_common=False)
    if errors:
        raise ValidationError("Check the staff account details.", details=errors)
    if find_staff_by_email(email):
        raise Conflict("A staff account with that email already exists.",
                       details=[FieldError("email", "Already in use.")])
    staff = StaffMember(email=email, name=name, role=role, password_hash=hash_password(password))
    db.session.add(staff)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A staff account with that email already exists.",
                       details=[FieldError("email", "Already in use.")]) from None
    record(actor, "staff.create", target_type="staff", target_id=staff.id,
           details={"email": email, "role": role})
    db.session.commit()
    return staff


def ensure_staff(email: str, name: str, password: str, role: str = "staff") -> tuple[StaffMember, bool]:
    """The account with ``email``, created if missing (for the demo); True when it was created."""
    existing = find_staff_by_email(email)
    if existing:
        return existing, False
    return create_staff(email, name, password, role, actor="demo"), True


def _active_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(StaffMember)
                             .where(StaffMember.role == "admin", StaffMember.is_active.is_(True))) or 0


def update_staff(staff_id: int, *, actor: object, name: str | None = None, role: str | None = None,
                 is_active: bool | None = None) -> list[str]:
    """Change name, role or active flag; returns what changed. Deactivating revokes API tokens.

    Nobody may demote or deactivate themselves, and the last active admin stays an admin.
    """
    staff = get_staff(staff_id)
    errors: list[FieldError] = []
    if name is not None:
        name = name.strip()
        _check_name(name, errors)
    if role is not None:
        _check_role(role, errors)
    if errors:
        raise ValidationError("Check the staff account details.", details=errors)
    who = actor_from(actor)
    me = who.kind == "staff" and who.id == staff.id
    demoting = role is not None and role != staff.role and staff.role == "admin"
    deactivating = is_active is False and staff.is_active
    if me and (demoting or deactivating):
        raise Conflict("You can't demote or deactivate your own account; ask another admin.")
    if (demoting or deactivating) and staff.role == "admin" and staff.is_active and _active_admins() <= 1:
        raise Conflict("This is the last active admin; make someone else an admin first.")
    changes: list[str] = []
    if name is not None and name != staff.name:
        changes.append(f"name {staff.name!r} → {name!r}")
        staff.name = name
    if role is not None and role != staff.role:
        changes.append(f"role {staff.role} → {role}")
        staff.role = role
    if is_active is not None and is_active != staff.is_active:
        changes.append("activated" if is_active else "deactivated")
        staff.is_active = is_active
        if not is_active:
            revoke_all("staff", staff.id, commit=False)
    for change in changes:
        record(actor, "staff.update", target_type="staff", target_id=staff.id, details={"change": change})
    db.session.commit()
    return changes


def reset_password(staff_id: int, new_password: str, *, actor: object) -> StaffMember:
    """Set a new password, clear any lockout and end the account's sessions and API tokens."""
    staff = get_staff(staff_id)
    problems = password_problems(new_password or "", email=staff.email,
                                 min_length=STAFF_MIN_LENGTH, refuse_common=False)
    if problems:
        raise ValidationError("Choose a stronger password.", details=problems)
    staff.password_hash = hash_password(new_password)
    staff.failed_logins, staff.locked_until = 0, None
    revoke_all("staff", staff.id, commit=False)
    record(actor, "staff.password_reset", target_type="staff", target_id=staff.id)
    db.session.commit()
    return staff


def unlock_staff(staff_id: int, *, actor: object) -> StaffMember:
    """Lift a lockout now."""
    staff = get_staff(staff_id)
    staff.failed_logins, staff.locked_until = 0, None
    record(actor, "staff.unlock", target_type="staff", target_id=staff.id)
    db.session.commit()
    return staff


# --- logging in -----------------------------------------------------------------------------

def _fail(staff: StaffMember | None, email: str, reason: str, *, ip: str | None, channel: str) -> LoginFailed:
    """Count the failure (locking the account at the threshold), audit it, commit; return the error."""
    details = {"ip": ip, "channel": channel, "reason": reason}
    if staff is None:
        record(Actor("anonymous", None, email[:255] or "(blank)"), "staff.login_failed", details=details)
        db.session.commit()
        return LoginFailed()
    counted = reason in {"bad_password", "bad_totp"}
    if counted:
        # An atomic increment: concurrent guesses cannot lose a count.
        db.session.execute(update(StaffMember).where(StaffMember.id == staff.id)
                           .values(failed_logins=StaffMember.failed_logins + 1))
        db.session.refresh(staff)
    record(staff, "staff.login_failed", target_type="staff", target_id=staff.id, details=details)
    if counted:
        _slow_down(staff, ip=ip)
    db.session.commit()
    return LoginFailed()


def throttle_delay(failures: int) -> timedelta:
    """How long further guesses wait after ``failures`` wrong ones in a row: nothing below the
    threshold, then doubling from STAFF_THROTTLE_BASE_SECONDS up to STAFF_LOCKOUT_MINUTES."""
    config = current_app.config
    over = failures - int(config["STAFF_LOCKOUT_THRESHOLD"])
    if over < 0:
        return timedelta(0)
    seconds = float(config["STAFF_THROTTLE_BASE_SECONDS"]) * 2 ** min(over, 20)
    return timedelta(seconds=min(seconds, float(config["STAFF_LOCKOUT_MINUTES"]) * 60))


def _slow_down(staff: StaffMember, *, ip: str | None) -> None:
    """Past the threshold, make the next guess wait (growing); audited when the wait starts."""
    delay = throttle_delay(staff.failed_logins)
    if not delay:
        return
    staff.locked_until = utcnow() + delay
    if staff.failed_logins == current_app.config["STAFF_LOCKOUT_THRESHOLD"]:
        record(Actor("system", None, "system"), "staff.locked", target_type="staff", target_id=staff.id,
               details={"ip": ip, "until": staff.locked_until.isoformat(), "email": staff.email})


def _succeed(staff: StaffMember, password: str | None, *, ip: str | None, channel: str) -> StaffMember:
    if password is not None and needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    staff.failed_logins, staff.locked_until = 0, None
    staff.last_login_at = utcnow()
    record(staff, "staff.login", target_type="staff", target_id=staff.id,
           details={"ip": ip, "channel": channel, "second_factor": staff.totp_enabled})
    db.session.commit()
    return staff


def authenticate_staff(email: str, password: str, totp_code: str | None = None, *,
                       ip: str | None = None, channel: str = "page", device: str | None = None) -> StaffMember:
    """The staff member these credentials prove, or LoginFailed / TotpRequired.

    Unknown emails cost a dummy hash verification so timing does not reveal which emails exist.
    Failures are counted and audited (with the IP). From STAFF_LOCKOUT_THRESHOLD wrong guesses on,
    each further guess must wait a growing delay (up to STAFF_LOCKOUT_MINUTES) — except from a
    browser ``device`` token this staff member signed in on before: guesses made elsewhere never
    lock the real staff member out.
    """
    email = normalise_email(email)
    password = password or ""
    staff = find_staff_by_email(email) if email else None
    if staff is None:
        burn_verification(password)
        raise _fail(None, email, "unknown_email", ip=ip, channel=channel)
    password_ok = verify_password(staff.password_hash, password)
    if not staff.is_active:
        raise _fail(staff, email, "inactive", ip=ip, channel=channel)
    if staff.is_locked() and not devices.recognises(device, staff.id):
        raise _fail(staff, email, "locked", ip=ip, channel=channel)
    if not password_ok:
        raise _fail(staff, email, "bad_password", ip=ip, channel=channel)
    if staff.totp_enabled:
        if not (totp_code or "").strip():
            raise TotpRequired(staff.id)
        if not totp.consume_code(staff, totp_code or ""):
            raise _fail(staff, email, "bad_totp", ip=ip, channel=channel)
    return _succeed(staff, password, ip=ip, channel=channel)


def verify_second_factor(staff_id: int, code: str, *, ip: str | None = None,
                         channel: str = "page", device: str | None = None) -> StaffMember:
    """Finish a login whose password step passed: check the authenticator code."""
    staff = db.session.get(StaffMember, staff_id)
    if staff is None:
        raise LoginFailed()
    if not staff.is_active or not staff.totp_enabled:
        raise _fail(staff, staff.email, "inactive" if not staff.is_active else "no_totp", ip=ip, channel=channel)
    if staff.is_locked() and not devices.recognises(device, staff.id):
        raise _fail(staff, staff.email, "locked", ip=ip, channel=channel)
    if not totp.consume_code(staff, code):
        raise _fail(staff, staff.email, "bad_totp", ip=ip, channel=channel)
    return _succeed(staff, None, ip=ip, channel=channel)


@dataclass(frozen=True)
class StaffApiLogin:
    staff: StaffMember
    issued: IssuedToken


def api_login(email: str, password: str, totp_code: str | None = None, *,
              ip: str | None = None) -> StaffApiLogin:
    """Authenticate and issue a staff bearer token (API_TOKEN_TTL_SECONDS)."""
    staff = authenticate_staff(email, password, totp_code, ip=ip, channel="api")
    issued = issue_token("staff", staff.id, current_app.config["API_TOKEN_TTL_SECONDS"])
    return StaffApiLogin(staff=staff, issued=issued)


def record_logout(staff: StaffMember, *, ip: str | None, channel: str) -> None:
    """Audit a logout (the caller ends the session or revokes the token)."""
    record(staff, "staff.logout", target_type="staff", target_id=staff.id, details={"ip": ip, "channel": channel})
    db.session.commit()
