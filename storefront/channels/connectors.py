"""Connector use cases: create, change, test and remove sales-channel connectors.

Every surface (the staff API and the back office) calls these; validation problems come back as
:class:`ConnectorInvalid` with errors per field, channel failures as ``ChannelError`` (CHN codes).
Credentials are write-only: stored sealed (``vault``), shown only as "set" / "not set".
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storefront.audit.services import record as audit
from storefront.channels import mappings, vault
from storefront.channels.adapters import ChannelError
from storefront.channels.models import CHANNEL_TYPES, CONNECTOR_STATUSES, ChannelConnector
from storefront.channels.registry import adapter_for
from storefront.db.timestamps import utcnow
from storefront.discogs.client import API_BASE, api_base_of
from storefront.extensions import db

AVAILABLE_TYPES = ("discogs", "shopify", "google_feed")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "discogs": ("token",),
    "shopify": ("access_token", "webhook_secret"),
    "google_feed": (),
}
REQUIRED_CREDENTIALS: dict[str, tuple[str, ...]] = {"discogs": ("token",), "shopify": ("access_token",),
                                                    "google_feed": ()}
SETTING_FIELDS: dict[str, tuple[str, ...]] = {
    "discogs": ("api_base", "location", "rate_limit"),
    "shopify": ("base_url", "location_id", "api_version"),
    "google_feed": ("format", "target_country", "language"),
}


class ConnectorInvalid(Exception):
    """The request's fields are not valid: ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]], message: str = "The given data was invalid.") -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


def _url_errors(value: Any, *, required: bool) -> list[str]:
    if value in (None, ""):
        return ["is required"] if required else []
    if not isinstance(value, str) or len(value) > 255:
        return ["must be a URL of at most 255 characters"]
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return ["must be a valid URL"]
    production = current_app.config["ENV_NAME"] == "production"
    if parts.scheme not in (("https",) if production else ("https", "http")) or not parts.hostname:
        return ["must be an https:// URL" if production else "must be an http(s):// URL"]
    if parts.username or parts.password or parts.query or parts.fragment:
        return ["must not carry credentials, a query or a fragment"]
    return []


def _discogs_base_errors(value: Any) -> list[str]:
    """Discogs itself in production; elsewhere also a sandbox on this machine (the token goes there)."""
    errors = _url_errors(value, required=False)
    if errors or value in (None, ""):
        return errors
    if current_app.config["ENV_NAME"] == "production" and value.rstrip("/") != API_BASE:
        return [f"must be {API_BASE} in production"]
    try:
        api_base_of(value)
    except ValueError:
        return ["must be https://host, or http:// on this machine (a sandbox)"]
    return []


def _settings_errors(channel_type: str, settings: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in sorted(set(settings) - set(SETTING_FIELDS[channel_type])):
        errors[f"settings.{name}"] = ["is not a setting of this channel type"]
    checks: dict[str, list[str]] = {}
    if channel_type == "discogs":
        checks["api_base"] = _discogs_base_errors(settings.get("api_base"))
        rate = settings.get("rate_limit", 60)
        checks["rate_limit"] = [] if isinstance(rate, int) and not isinstance(rate, bool) and 1 <= rate <= 60 \
            else ["must be a whole number from 1 to 60 (Discogs allows 60 requests a minute)"]
        location = settings.get("location", "")
        checks["location"] = [] if isinstance(location, str) and len(location) <= 255 else ["must be text"]
    elif channel_type == "shopify":
        checks["base_url"] = _url_errors(settings.get("base_url"), required=True)
        loc = settings.get("location_id")
        checks["location_id"] = [] if loc is None or (isinstance(loc, int) and not isinstance(loc, bool) and loc > 0) \
            else ["must be a positive whole number"]
        version = settings.get("api_version", "2025-07")
        checks["api_version"] = [] if isinstance(version, str) and re.fullmatch(r"\d{4}-\d{2}", version) \
            else ["must look like 2025-07"]
    else:
        checks["format"] = [] if settings.get("format", "xml") in ("xml", "tsv") else ["must be xml or tsv"]
        country = settings.get("target_country", "US")
        checks["target_country"] = [] if isinstance(country, str) and re.fullmatch(r"[A-Z]{2}", country) \
            else ["must be a two-letter country code like US"]
        language = settings.get("language", "en")
        checks["language"] = [] if isinstance(language, str) and re.fullmatch(r"[a-z]{2}", language) \
            else ["must be a two-letter language code like en"]
    errors.update({f"settings.{k}": v for k, v in checks.items() if v})
    return errors


def _credentials_errors(channel_type: str, credentials: Any, existing: dict[str, Any]) -> dict[str, list[str]]:
    if credentials is None:
        credentials = {}
    if not isinstance(credentials, dict):
        return {"credentials": ["must be an object"]}
    errors: dict[str, list[str]] = {}
    for name, value in credentials.items():
        if name not in CREDENTIAL_FIELDS[channel_type]:
            errors[f"credentials.{name}"] = ["is not a credential of this channel type"]
        elif not isinstance(value, str) or not value.strip() or len(value) > 512 or any(c.isspace() for c in value):
            errors[f"credentials.{name}"] = ["must be a non-empty string without spaces"]
    for name in REQUIRED_CREDENTIALS[channel_type]:
        if name not in credentials and name not in existing:
            errors[f"credentials.{name}"] = ["is required"]
    return errors


def _text_errors(payload: dict[str, Any], name: str, *, required: bool, limit: int) -> list[str]:
    value = payload.get(name)
    if value is None:
        return ["is required"] if required else []
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        return [f"must be text of 1 to {limit} characters"]
    return []


def credential_state(connector: ChannelConnector) -> dict[str, str]:
    """Each credential of the connector's type as "set" or "not set" (never the value)."""
    stored = vault.unseal(connector.credentials) if connector.credentials else {}
    return {name: "set" if stored.get(name) else "not set" for name in CREDENTIAL_FIELDS[connector.channel_type]}


def get_connector(code: str) -> ChannelConnector:
    connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == code)) \
        if isinstance(code, str) else None
    if connector is None:
        raise ChannelError("CHN-001", f"No connector with code {code!r}.")
    return connector


def list_connectors(*, channel_type: str | None = None, status: str | None = None) -> list[ChannelConnector]:
    stmt = select(ChannelConnector).order_by(ChannelConnector.code)
    if channel_type:
        stmt = stmt.where(ChannelConnector.channel_type == channel_type)
    if status:
        stmt = stmt.where(ChannelConnector.status == status)
    return list(db.session.scalars(stmt))


def create_connector(payload: Any, *, actor: Any = None, test: bool = True) -> tuple[ChannelConnector, dict[str, Any]]:
    """Create a connector from the API/form payload; returns it and its connection test's result."""
    if not isinstance(payload, dict):
        raise ConnectorInvalid({"body": ["must be a JSON object"]})
    channel_type = payload.get("channel_type")
    errors: dict[str, list[str]] = {}
    if channel_type not in CHANNEL_TYPES:
        raise ConnectorInvalid({"channel_type": [f"must be one of {', '.join(CHANNEL_TYPES)}"]})
    if channel_type not in AVAILABLE_TYPES:
        raise ConnectorInvalid({"channel_type": [f"{channel_type} connectors are not available in this version yet; "
                                                 f"available: {', '.join(AVAILABLE_TYPES)}"]})
    code = payload.get("code")
    if not isinstance(code, str) or not CODE.match(code):
        errors["code"] = ["must be 2-64 lowercase letters, digits, - or _"]
    if name_errors := _text_errors(payload, "name", required=True, limit=120):
        errors["name"] = name_errors
    settings = payload.get("settings") or {}
    if not isinstance(settings, dict):
        errors["settings"] = ["must be an object"]
        settings = {}
    errors.update(_settings_errors(channel_type, settings))
    errors.update(_credentials_errors(channel_type, payload.get("credentials"), {}))
    mapping, mapping_errors = mappings.validate(payload.get("mappings") or {})
    errors.update({f"mappings.{k}": v for k, v in mapping_errors.items()})
    if errors:
        raise ConnectorInvalid(errors)
    connector = ChannelConnector(code=code, name=payload["name"].strip(), channel_type=channel_type,
                                 settings=settings, mappings=mapping,
                                 credentials=vault.seal(payload.get("credentials") or {}),
                                 feed_token=secrets.token_urlsafe(24) if channel_type == "google_feed" else None)
    db.session.add(connector)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise ChannelError("CHN-002", f"A connector with code {code!r} already exists.") from None
    audit(actor, "channel.connector.created", target_type="channel_connector", target_id=code,
          details={"channel_type": channel_type})
    db.session.commit()
    notify_changed()
    return connector, (test_connector(connector) if test else {"success": None, "message": "not tested"})


def update_connector(connector: ChannelConnector, payload: Any, *, actor: Any = None) -> ChannelConnector:
    """Partial update: name, status, settings (merged), credentials (merged), mappings (replaced)."""
    if not isinstance(payload, dict):
        raise ConnectorInvalid({"body": ["must be a JSON object"]})
    errors: dict[str, list[str]] = {}
    for name in sorted(set(payload) - {"name", "status", "settings", "credentials", "mappings"}):
        errors[name] = ["cannot be changed" if name in ("code", "channel_type") else "is not a connector field"]
    if "name" in payload and (name_errors := _text_errors(payload, "name", required=True, limit=120)):
        errors["name"] = name_errors
    if "status" in payload and payload["status"] not in CONNECTOR_STATUSES[:2]:
        errors["status"] = ["must be active or disabled"]
    settings = connector.settings
    if "settings" in payload:
        if not isinstance(payload["settings"], dict):
            errors["settings"] = ["must be an object"]
        else:
            settings = {**connector.settings, **payload["settings"]}
            errors.update(_settings_errors(connector.channel_type, settings))
    existing = vault.unseal(connector.credentials)
    if "credentials" in payload:
        errors.update(_credentials_errors(connector.channel_type, payload["credentials"], existing))
    mapping = connector.mappings
    if "mappings" in payload:
        mapping, mapping_errors = mappings.validate(payload["mappings"])
        errors.update({f"mappings.{k}": v for k, v in mapping_errors.items()})
    if errors:
        raise ConnectorInvalid(errors)
    if "name" in payload:
        connector.name = payload["name"].strip()
    if "status" in payload:
        connector.status = payload["status"]
    connector.settings, connector.mappings = dict(settings), dict(mapping)
    if isinstance(payload.get("credentials"), dict) and payload["credentials"]:
        connector.credentials = vault.seal({**existing, **payload["credentials"]})
    audit(actor, "channel.connector.updated", target_type="channel_connector", target_id=connector.code,
          details={"fields": sorted(payload)})  # the names only: never a credential's value
    db.session.commit()
    notify_changed()
    return connector


def set_mappings(connector: ChannelConnector, payload: Any, *, actor: Any = None) -> ChannelConnector:
    """Replace the connector's field mapping (validated)."""
    mapping, errors = mappings.validate(payload)
    if errors:
        raise ConnectorInvalid(errors)
    connector.mappings = mapping
    audit(actor, "channel.mappings.updated", target_type="channel_connector", target_id=connector.code)
    db.session.commit()
    return connector


def delete_connector(connector: ChannelConnector, *, actor: Any = None) -> None:
    audit(actor, "channel.connector.deleted", target_type="channel_connector", target_id=connector.code)
    db.session.delete(connector)
    db.session.commit()
    notify_changed()


def test_connector(connector: ChannelConnector) -> dict[str, Any]:
    """Ask the channel who we are; records the outcome on the connector. Never raises a channel error."""
    try:
        info = adapter_for(connector).test()
        result: dict[str, Any] = {"success": True, "message": "Connected.", "channel_info": info}
    except ChannelError as exc:
        result = {"success": False, "message": exc.message, "error_code": exc.code, "channel_info": None}
    except vault.CredentialsUnreadable as exc:
        result = {"success": False, "message": exc.message, "error_code": "CHN-005", "channel_info": None}
    connector.last_test_at, connector.last_test_ok = utcnow(), result["success"]
    connector.last_test_message = str(result["message"])[:255]
    if connector.status != "disabled":
        connector.status = "active" if result["success"] else "error"
    db.session.commit()
    return result


def notify_changed() -> None:
    """Connectors were added, removed or switched: forget this process's "any connectors?" answer."""
    current_app.extensions.pop("channels_present", None)


def get_connector_or_404(code: str) -> ChannelConnector:
    """For pages: the connector, or a 404."""
    try:
        return get_connector(code)
    except ChannelError:
        abort(404)
