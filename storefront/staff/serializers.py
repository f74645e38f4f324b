"""Staff accounts as JSON (never the password hash or the TOTP secret)."""

from __future__ import annotations

from typing import Any

from storefront.staff.models import StaffMember


def staff_json(staff: StaffMember) -> dict[str, Any]:
    """The API shape of a staff account (never the hash or the TOTP secret)."""
    return {
        "id": staff.id,
        "email": staff.email,
        "name": staff.name,
        "role": staff.role,
        "is_active": staff.is_active,
        "totp_enabled": staff.totp_enabled,
        "locked": staff.is_locked(),
        "last_login_at": staff.last_login_at.isoformat() if staff.last_login_at else None,
    }
