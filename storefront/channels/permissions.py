"""The channel-connector permissions, granted through staff roles.

Staff may look (``….view``); admins may also change connectors, mappings, run syncs and resolve
conflicts. One table, read by the API's checks and the back office's buttons alike.
"""

from __future__ import annotations

VIEW = ("channel_connector.connectors.view", "channel_connector.mappings.view",
        "channel_connector.sync.view", "channel_connector.conflicts.view")
CHANGE = ("channel_connector.connectors.create", "channel_connector.connectors.update",
          "channel_connector.connectors.delete", "channel_connector.connectors.test",
          "channel_connector.mappings.update", "channel_connector.sync.create",
          "channel_connector.sync.retry", "channel_connector.conflicts.resolve")
PERMISSIONS = VIEW + CHANGE
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "staff": frozenset(VIEW),
    "admin": frozenset(PERMISSIONS),
}


def allows(role: str | None, permission: str) -> bool:
    """Whether a staff member of ``role`` holds ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    return permission in ROLE_PERMISSIONS.get(role or "", frozenset())


def role_for(permission: str) -> str:
    """The least role holding ``permission`` (what the staff guards and access tests read)."""
    return "staff" if allows("staff", permission) else "admin"
