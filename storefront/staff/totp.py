"""Time-based one-time passwords (RFC 6238) for staff: enrolment with a QR code, verification.

A code is accepted once (its time step is remembered) and within one step of clock drift.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app

from storefront.audit.services import record
from storefront.core.errors import Conflict, FieldError, NotFound, ValidationError
from storefront.extensions import db
from storefront.staff.models import StaffMember

STEP_SECONDS = 30
DRIFT_STEPS = 1


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret (for typing in), its otpauth URI and QR as SVG."""

    secret: str
    uri: str
    qr_svg: str


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace())


def current_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator shows now (used by tests and the CLI)."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).at(int(at if at is not None else time.time()))


def matching_step(secret: str, code: str, *, after_step: int | None = None, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to (within drift and newer than ``after_step``), else None."""
    code = _normalise(code)
    if len(code) != 6 or not (code.isascii() and code.isdigit()) or not secret:
        return None
    otp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = int((now if now is not None else time.time()) // STEP_SECONDS)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate so timing does not depend on which step matched.
        if hmac.compare_digest(otp.generate_otp(step), code) and (after_step is None or step > after_step):
            found = step
    return found


def consume_code(staff: StaffMember, code: str) -> bool:
    """Check ``code`` against the staff member's secret and burn it (not committed here)."""
    step = matching_step(staff.totp_secret or "", code, after_step=staff.totp_last_step)
    if step is None:
        return False
    staff.totp_last_step = step
    return True


def _enrolment(staff: StaffMember, secret: str) -> Enrolment:
    uri = pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
        name=staff.email, issuer_name=current_app.config["SHOP_NAME"])
    svg = segno.make(uri, error="m").svg_inline(scale=4, title="Two-factor QR code", svgclass="totp-qr")
    return Enrolment(secret=secret, uri=uri, qr_svg=svg)


def begin_enrolment(staff: StaffMember) -> Enrolment:
    """Generate a new secret (not active until a code from it is confirmed)."""
    if staff.totp_enabled:
        raise Conflict("Two-factor sign-in is already on; turn it off first to enrol a new device.")
    staff.totp_secret = pyotp.random_base32(length=32)
    staff.totp_last_step = None
    db.session.commit()
    return _enrolment(staff, staff.totp_secret)


def pending_enrolment(staff: StaffMember) -> Enrolment | None:
    """The enrolment started but not yet confirmed, if any."""
    if staff.totp_enabled or not staff.totp_secret:
        return None
    return _enrolment(staff, staff.totp_secret)


def confirm_enrolment(staff: StaffMember, code: str) -> None:
    """Turn two-factor on once the authenticator shows a matching code."""
    if staff.totp_enabled or not staff.totp_secret:
        raise Conflict("Start the enrolment first.")
    if not consume_code(staff, code):
        raise ValidationError("That code doesn't match; check the time on your device and try again.",
                              details=[FieldError("code", "Code doesn't match.")])
    staff.totp_enabled = True
    record(staff, "staff.totp_enabled", target_type="staff", target_id=staff.id)
    db.session.commit()


def disable_totp(staff: StaffMember, code: str) -> None:
    """Turn two-factor off; proving possession with a current code."""
    if not staff.totp_enabled:
        raise Conflict("Two-factor sign-in is not on.")
    if not consume_code(staff, code):
        raise ValidationError("That code doesn't match.", details=[FieldError("code", "Code doesn't match.")])
    staff.totp_enabled, staff.totp_secret, staff.totp_last_step = False, None, None
    record(staff, "staff.totp_disabled", target_type="staff", target_id=staff.id)
    db.session.commit()


def reset_totp(staff_id: int, *, actor: object) -> StaffMember:
    """An admin clears someone's two-factor (lost phone); they can enrol again after logging in."""
    staff = db.session.get(StaffMember, staff_id)
    if staff is None:
        raise NotFound(f"Staff member {staff_id} does not exist.")
    staff.totp_enabled, staff.totp_secret, staff.totp_last_step = False, None, None
    record(actor, "staff.totp_reset", target_type="staff", target_id=staff.id)
    db.session.commit()
    return staff
