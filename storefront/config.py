"""Configuration: defaults in code → instance/config.py → environment → test overrides.

Every setting the app reads is declared in :data:`DEFAULTS` with its type; environment
variables named ``STOREFRONT_<NAME>`` override it (plus the conventional ``DATABASE_URL``,
``REDIS_URL`` and ``SECRET_KEY``). Values are parsed by the default's type, so
``STOREFRONT_SESSION_COOKIE_SECURE=false`` really is ``False``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

# name -> (default, description). The description feeds `flask config show` and the README.
SETTINGS: dict[str, tuple[Any, str]] = {
    "ENV_NAME": ("production", "production | development | testing. Production (the default) refuses to start "
                               "on missing or demo secrets; `make run` sets development explicitly."),
    "SHOP_NAME": ("Groove Cellar Records", "Shop name shown in the header, emails and page titles."),
    "SHOP_ACCENT_COLOUR": ("", "The shop's accent colour (#rrggbb) for links and buttons; blank = the theme's."),
    "SHOP_LOGO_URL": ("", "URL of the shop's logo shown in the header; blank = the name in text."),
    "PLATFORM_DATABASE_URL": ("", "Where the platform registry (shops, domains) lives; blank = instance/platform.db "
                                  "on SQLite, the `platform` schema of DATABASE_URL on PostgreSQL."),
    "PLATFORM_DOMAIN": ("", "Serve shops at <code>.<this domain> (e.g. shops.example.com); blank = no subdomains."),
    "SHOP_REGISTRY_TTL_SECONDS": (5.0, "How long a process trusts its copy of the shop registry."),
    "SQLALCHEMY_DATABASE_URI": (None, "Database URL (env: DATABASE_URL). Default: SQLite in instance/."),
    "REDIS_URL": (None, "Redis URL (env: REDIS_URL). Unset = in-process jobs, in-memory rate limits."),
    "SECRET_KEY": (None, "Session/CSRF signing key (env: SECRET_KEY). "
                         "Generated into instance/ when unset outside production."),
    "JOBS_MODE": ("auto", "auto (rq when REDIS_URL is set, else thread) | rq | thread | sync."),
    "JOBS_DEFAULT_RETRIES": (3, "Retries for a failed background job before it is given up."),
    "JOBS_RETRY_BASE_SECONDS": (5, "First retry delay; doubles each attempt."),
    "API_RATE_LIMIT": ("300 per minute", "Default per-client limit on every /api/v1 route."),
    "SHOP_API_RATE_LIMIT": ("100 per minute", "Shop API (/api/v1/shop): limit per IP for anonymous callers."),
    "SHOP_API_CUSTOMER_RATE_LIMIT": ("200 per minute", "Shop API: limit per signed-in customer."),
    "SHOP_API_SEARCH_RATE_LIMIT": ("20 per minute", "Shop API: product searches (?search=) per IP."),
    "PROXY_FIX_HOPS": (0, "Trusted reverse proxies in front of the app (X-Forwarded-* hops)."),
    "SESSION_COOKIE_SECURE": (False, "Send the session cookie over HTTPS only (on by default in production)."),
    "PREFERRED_URL_SCHEME": ("http", "Scheme for external URLs built outside a request."),
    "ECS_BASE_URL": ("http://127.0.0.1:5001", "Commerce system base URL (Square: https://connect.squareup.com)."),
    "ECS_ACCESS_TOKEN": ("sandbox-token", "Commerce system access token (secret)."),
    "ECS_LOCATION_ID": ("", "Commerce system location id; blank = the first location the ECS lists."),
    "SHOP_TIMEZONE": ("America/New_York", "The shop's time zone (IANA name): event times without an offset "
                                          "are read in it, and pages show times in it."),
    "ECS_CHANNEL_ID": ("", "Square sales channel of this shop; when set, an item whose `channels` list "
                           "leaves it out is not listed. Blank = channels are not checked."),
    "ECS_SQUARE_VERSION": ("2025-08-20", "Square-Version header sent on every ECS request."),
    "ECS_TIMEOUT_SECONDS": (10.0, "Per-request timeout for ECS calls."),
    "ECS_MAX_RETRIES": (5, "Retries on 429/5xx/connection errors for ECS calls."),
    "ECS_WEB_DEADLINE_SECONDS": (6.0, "Most a shopper's request waits on one ECS call, retries included "
                                      "(then a clear \"try again\"); jobs keep the full retries."),
    "ECS_WEBHOOK_SIGNATURE_KEYS": (["sandbox-signature-key"],
                                   "Comma-separated webhook signature keys (rotation: list new and old)."),
    "ECS_WEBHOOK_NOTIFICATION_URL": ("http://127.0.0.1:5000/webhooks/square",
                                     "Public URL the ECS posts webhooks to (signatures cover it)."),
    "ECS_HEALTH_REQUIRED": (False, "Answer 503 from /api/v1/health when the ECS is unreachable."),
    "WEBHOOK_MAX_ATTEMPTS": (5, "Processing attempts for an incoming webhook before it is dead (the DLQ)."),
    "WEBHOOK_RETRY_BASE_SECONDS": (2, "First retry delay for a failed incoming webhook; doubles each attempt."),
    "WEBHOOK_MAX_BODY_BYTES": (256 * 1024, "Largest incoming webhook body accepted (bigger: 413)."),
    "WEBHOOK_STUCK_MINUTES": (10.0, "The reconciler re-enqueues inbox rows received/processing this long "
                                    "(a lost job or a killed worker)."),
    "WEBHOOK_FAULT_INJECTION_RATE": (0.0, "Testing only (ENV_NAME=testing): share of webhook events whose "
                                          "handler fails on purpose. Ignored elsewhere."),
    "SYNC_PAGE_DELAY_SECONDS": (0.0, "Pause between catalog pages during a sync (be gentle with the ECS)."),
    "SYNC_FETCH_PROCESS": (True, "Read and map catalog pages in a forked process while a full sync writes "
                                 "(Linux; elsewhere a thread)."),
    "SYNC_FAILURE_THRESHOLD": (0.05, "Abort a sync when more than this share of items fail (0.05 = 5%)."),
    "SYNC_RESUME_ATTEMPTS": (8, "Times a sync waits and retries a page after the ECS keeps rate-limiting/failing."),
    "SYNC_RESUME_BACKOFF_SECONDS": (2.0, "First wait before retrying a page; doubles, capped at 60 s."),
    "SYNC_STALE_MINUTES": (15, "A running sync with no progress for this long is declared dead."),
    "CATALOG_CACHE_SIZE": (256, "Recent catalog listings (results and rendered fragments) kept per web process; "
                                "0 = none. Entries of an older catalog revision are never served."),
    "CATALOG_REVISION_TTL_SECONDS": (1.0, "How long a web process trusts its copy of the catalog revision (the key of "
                                          "cached listings and ETags): changes made by another process show within "
                                          "this time. 0 = read it on every request."),
    "CATALOG_REVISION_LISTEN_SECONDS": (60.0, "PostgreSQL: each web process LISTENs for committed catalog changes "
                                              "and drops its copy at once; while listening it trusts the copy up "
                                              "to this long (a safety net). 0 = don't listen, poll as above."),
    "CART_MAX_PER_ITEM": (10, "Most units of one item a cart may hold."),
    "CHECKOUT_RESERVATION_MINUTES": (15, "How long an unpaid checkout holds its stock."),
    "ECS_DECREMENTS_STOCK_ON_PAYMENT": (True, "The ECS lowers stock itself when an order is paid (Square does "
                                              "for itemized orders); false = the storefront records the sale."),
    "ORDER_STATUS_RATE_LIMIT": ("10 per minute", "Order-status lookups per IP, and per order number."),
    "API_TOKEN_TTL_SECONDS": (3600 * 12, "Lifetime of bearer tokens issued by the API login endpoints."),
    "STAFF_LOCKOUT_THRESHOLD": (5, "Wrong staff logins in a row before further guesses must wait (no hard lock: "
                                   "a browser the staff member signed in on before is never made to wait)."),
    "STAFF_THROTTLE_BASE_SECONDS": (30, "First wait after the threshold; doubles with each further wrong guess."),
    "STAFF_LOCKOUT_MINUTES": (15, "Longest wait between guesses at a staff account."),
    "STAFF_LOGIN_RATE_LIMIT": ("10 per minute", "Staff login attempts per client IP (page and API)."),
    "STAFF_TOTP_REQUIRED_FOR_DLQ": (True, "Staff must have two-factor (TOTP) sign-in on to use the webhook DLQ, on "
                                          "the pages and the API alike (the API also needs its signature)."),
    "STAFF_API_HMAC_KEY": ("", "Secret key for X-Signature on sensitive staff API calls (DLQ). "
                               "Blank = only allow-listed IPs may call them."),
    "STAFF_API_SIGNATURE_TOLERANCE_SECONDS": (300, "Accepted clock skew for X-Signature timestamps."),
    "STAFF_API_IP_ALLOWLIST": ([], "Comma-separated IPs/CIDRs that may call signed staff endpoints unsigned."),
    "WISHLIST_MAX_GUEST_ITEMS": (200, "Most items a guest (not logged in) can keep on the session wishlist."),
    "WANTLIST_DIGEST_MINUTES": (60, "Wantlist alerts: a shopper gets at most one back-in-stock digest email "
                                    "per this many minutes, listing everything that matched meanwhile."),
    "WANTLIST_RATE_LIMIT": ("10 per hour", "Wantlist follows from guests (they send a confirmation email) "
                                           "per client IP."),
    "EVENT_SPACE_CAPACITY": (120, "Most guests the event space holds (upper bound of an inquiry's attendee count)."),
    "INQUIRY_RATE_LIMIT": ("5 per hour", "Accepted event-space inquiries per client IP (page and API together)."),
    "TAX_PERCENT": ("", "Sales tax/VAT the ECS charges on every order, as a percentage such as 8.875; blank = "
                        "none (Square then charges no tax)."),
    "TAX_NAME": ("Sales tax", "The tax's name on the payment page and receipts."),
    "TAX_INCLUSIVE": (False, "True when prices already include the tax (VAT-style); false = added on top."),
    "ORDER_NOTIFY_EMAIL": ("", "Staff address told about orders that need a person (a payment that arrived after "
                               "the order expired); blank = back office, audit log and Slack only."),
    "INQUIRY_NOTIFY_EMAIL": ("", "Staff address emailed about each new event-space inquiry; blank = no email."),
    "INQUIRY_CRM_WEBHOOK_URL": ("", "Forward each new inquiry as JSON to this URL (a CRM); blank = off."),
    "PUBLIC_BASE_URL": ("http://127.0.0.1:5000", "The shop's public URL; links in emails start with it "
                                                 "(never taken from the request's Host header)."),
    "CUSTOMER_LOGIN_RATE_LIMIT_PER_IP": ("20 per minute", "Failed customer logins per client IP (page and API)."),
    "CUSTOMER_LOGIN_RATE_LIMIT_PER_ACCOUNT": ("10 per 15 minutes", "Failed customer logins per submitted email."),
    "CUSTOMER_EMAIL_RATE_LIMIT_PER_IP": ("10 per hour", "Register / resend-confirmation / forgot-password "
                                                        "requests per client IP (they send email)."),
    "CUSTOMER_EMAIL_RATE_LIMIT_PER_ADDRESS": ("5 per hour", "The same requests per submitted email address."),
    "CUSTOMER_CONFIRM_MAX_AGE_SECONDS": (3 * 24 * 3600, "How long an email-confirmation link works."),
    "CUSTOMER_RESET_MAX_AGE_SECONDS": (3600, "How long a password-reset link works."),
    "SMTP_HOST": ("", "SMTP server for outgoing email; blank = emails are stored and logged, not sent."),
    "SMTP_PORT": (587, "SMTP port (465 = implicit TLS)."),
    "SMTP_USERNAME": ("", "SMTP login; blank = no AUTH."),
    "SMTP_PASSWORD": ("", "SMTP password (secret)."),
    "SMTP_USE_TLS": (True, "Upgrade the SMTP connection with STARTTLS (ignored on port 465)."),
    "SMTP_TIMEOUT_SECONDS": (10.0, "Timeout for SMTP connections and commands."),
    "MAIL_FROM": ("Groove Cellar Records <shop@localhost>", "From: address of outgoing email."),
    "SLACK_WEBHOOK_URL": ("", "Slack incoming-webhook URL for staff notifications (secret); blank = off."),
    "WEBHOOK_TIMEOUT_SECONDS": (10.0, "Timeout for outgoing Slack/CRM webhook POSTs."),
    "DEV_OUTBOX_ENABLED": (False, "Serve /dev/outbox (recent emails with bodies) in testing too. Refused in "
                                  "production: the bodies hold login links."),
    "DISCOGS_TOKEN": ("", "Discogs personal access token (secret) for the staff Discogs search; blank = search off."),
    "DISCOGS_USER_AGENT": ("", "User-Agent sent to Discogs; blank = '<shop>-Storefront/1.0 +<PUBLIC_BASE_URL>'."),
    "CHANNEL_CREDENTIAL_KEYS": ([], "Fernet keys (comma-separated, urlsafe base64) encrypting sales-channel "
                                    "credentials at rest; the first encrypts, all decrypt (rotate by putting a "
                                    "new key first, then `flask channels rotate-keys`). Blank = one derived "
                                    "from SECRET_KEY (HKDF)."),
    "CHANNEL_SYNC_BATCH": (50, "Products a channel sync job handles between progress updates."),
    "CHANNEL_DISCOGS_RATE_WINDOW": (60.0, "Seconds of Discogs' moving rate-limit window (60; only tests against "
                                          "a time-compressed sandbox shorten it)."),
    "PHOTO_MAX_BYTES": (20 * 1024 * 1024, "Largest staff photo upload accepted, in bytes (bigger: refused with 413)."),
    "PHOTO_MAX_MEGAPIXELS": (40, "Largest staff photo accepted, in megapixels (checked from the header: "
                                 "decompression bombs are never decoded)."),
    "PHOTO_PUSH_TO_ECS": (True, "Send each staff photo to the ECS as a CatalogImage (CreateCatalogImage) so the "
                                "till shows it too."),
    "PHOTO_S3_BUCKET": ("", "S3-compatible bucket for staff photos; blank = files under instance/photos."),
    "PHOTO_S3_ENDPOINT_URL": ("", "Endpoint of the S3-compatible service (blank = AWS S3)."),
    "PHOTO_S3_REGION": ("us-east-1", "Region of the photo bucket."),
    "PHOTO_S3_PREFIX": ("photos/", "Key prefix of photos inside the bucket."),
    "PHOTO_S3_ACCESS_KEY_ID": ("", "Access key id for the photo bucket (blank = boto3's usual credential chain)."),
    "PHOTO_S3_SECRET_ACCESS_KEY": ("", "Secret access key for the photo bucket (secret)."),
    "SANDBOX_PORT": (5001, "Port of the bundled ECS sandbox started by `flask demo`."),
    "SANDBOX_ITEMS": (300, "Records in the generated demo catalog."),
}

_ENV_ALIASES = {
    "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
    "REDIS_URL": "REDIS_URL",
    "SECRET_KEY": "SECRET_KEY",
}


# Secrets that ship in this repository for the demo and the sandbox: never valid in production.
DEMO_SECRETS = frozenset({"sandbox-token", "sandbox-signature-key", "demo", "changeme", "secret", "dev"})
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; start-up stops with this message."""


def parse_value(raw: str, default: Any) -> Any:
    """Parse an environment string by the type of the setting's default."""
    if isinstance(default, bool):
        value = raw.strip().lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"expected a boolean (true/false), got {raw!r}")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as exc:
            raise ConfigError(f"expected an integer, got {raw!r}") from exc
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError as exc:
            raise ConfigError(f"expected a number, got {raw!r}") from exc
    if isinstance(default, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(app: Flask, overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> None:
    """Fill ``app.config`` in order: defaults, instance/config.py, environment, overrides."""
    env = os.environ if environ is None else environ
    for name, (default, _doc) in SETTINGS.items():
        app.config[name] = list(default) if isinstance(default, list) else default
    app.config.update(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SQLALCHEMY_TRACK_MODIFICATIONS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        RATELIMIT_HEADERS_ENABLED=True,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.config.from_pyfile("config.py", silent=True)

    for name, (default, _doc) in SETTINGS.items():
        keys = [f"STOREFRONT_{name}"] + ([_ENV_ALIASES[name]] if name in _ENV_ALIASES else [])
        for key in keys:
            if key in env:
                try:
                    app.config[name] = parse_value(env[key], default if default is not None else "")
                except ConfigError as exc:
                    raise ConfigError(f"{key}: {exc}") from None
    if overrides:
        app.config.update(overrides)
    _finalise(app, env_overrode_secure="STOREFRONT_SESSION_COOKIE_SECURE" in env
              or bool(overrides and "SESSION_COOKIE_SECURE" in overrides))


def _finalise(app: Flask, *, env_overrode_secure: bool) -> None:
    cfg = app.config
    production = cfg["ENV_NAME"] == "production"
    if cfg["ENV_NAME"] not in {"development", "production", "testing"}:
        raise ConfigError(f"STOREFRONT_ENV_NAME must be development, production or testing, "
                          f"not {cfg['ENV_NAME']!r}")
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        cfg["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "storefront.db")
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    if not cfg.get("SECRET_KEY"):
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. In production the storefront refuses to start without one: "
                "set SECRET_KEY in the environment (e.g. `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`) or in instance/config.py."
            )
        cfg["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if production:
        refuse_demo_secrets(cfg)
    if production and not env_overrode_secure:
        cfg["SESSION_COOKIE_SECURE"] = True
    cfg["REMEMBER_COOKIE_SECURE"] = cfg["SESSION_COOKIE_SECURE"]
    cfg["RATELIMIT_STORAGE_URI"] = cfg.get("RATELIMIT_STORAGE_URI") or cfg["REDIS_URL"] or "memory://"
    if cfg["JOBS_MODE"] == "auto":
        cfg["JOBS_MODE"] = "rq" if cfg["REDIS_URL"] else "thread"
    if cfg["JOBS_MODE"] not in {"rq", "thread", "sync"}:
        raise ConfigError(f"STOREFRONT_JOBS_MODE must be auto, rq, thread or sync, not {cfg['JOBS_MODE']!r}")
    if cfg["JOBS_MODE"] == "rq" and not cfg["REDIS_URL"]:
        raise ConfigError("STOREFRONT_JOBS_MODE=rq needs REDIS_URL.")


def production_secret_problems(cfg: Mapping[str, Any]) -> list[str]:
    """Every secret that is missing, a repository demo value or too short to be one (production)."""
    problems = []

    def weak(value: str) -> bool:
        return not value or value in DEMO_SECRETS

    if len(str(cfg.get("SECRET_KEY") or "")) < MIN_SECRET_LENGTH:
        problems.append(f"SECRET_KEY: use at least {MIN_SECRET_LENGTH} random characters")
    if weak(str(cfg["ECS_ACCESS_TOKEN"])):
        problems.append("STOREFRONT_ECS_ACCESS_TOKEN: missing or the sandbox's demo token")
    keys = list(cfg["ECS_WEBHOOK_SIGNATURE_KEYS"] or [])
    if not keys or any(weak(str(key)) for key in keys):
        problems.append("STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS: missing or the sandbox's demo key")
    if cfg["SMTP_HOST"] and cfg["SMTP_USERNAME"] and weak(str(cfg["SMTP_PASSWORD"])):
        problems.append("STOREFRONT_SMTP_PASSWORD: SMTP login is on but the password is missing")
    hmac_key = str(cfg["STAFF_API_HMAC_KEY"] or "")
    if hmac_key and (hmac_key in DEMO_SECRETS or len(hmac_key) < MIN_SECRET_LENGTH):
        problems.append(f"STOREFRONT_STAFF_API_HMAC_KEY: use at least {MIN_SECRET_LENGTH} random characters "
                        "(or leave it blank and allow-list the DLQ clients' IPs)")
    if cfg["DEV_OUTBOX_ENABLED"]:
        problems.append("STOREFRONT_DEV_OUTBOX_ENABLED: the outbox shows login links; never on in production")
    return problems


def refuse_demo_secrets(cfg: Mapping[str, Any]) -> None:
    """Stop start-up in production while any secret is missing or still the repository's demo value."""
    problems = production_secret_problems(cfg)
    if problems:
        raise ConfigError("Refusing to start in production (STOREFRONT_ENV_NAME=production) until these "
                          "settings are fixed:\n  - " + "\n  - ".join(problems)
                          + "\nFor the demo or local development, set STOREFRONT_ENV_NAME=development.")


def _instance_secret(instance: Path) -> str:
    """Generate a secret key once and keep it in instance/ so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
