"""Production is the default, and it refuses to start on missing or demo secrets, naming each one."""

from __future__ import annotations

import pytest

from storefront import create_app
from storefront.config import SETTINGS, ConfigError
from storefront.demo.cli import derive_demo_urls
from storefront.notifications.services import outbox_enabled

GOOD = {
    "SECRET_KEY": "k" * 40,
    "STOREFRONT_ECS_ACCESS_TOKEN": "EAAA-real-looking-access-token",
    "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS": "a-real-signature-key-from-the-dashboard",
}
CLEARED = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STOREFRONT_ENV_NAME", "STOREFRONT_ECS_ACCESS_TOKEN",
           "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS", "STOREFRONT_SMTP_HOST", "STOREFRONT_SMTP_USERNAME",
           "STOREFRONT_SMTP_PASSWORD", "STOREFRONT_STAFF_API_HMAC_KEY", "STOREFRONT_DEV_OUTBOX_ENABLED")


def start(tmp_path, monkeypatch, **env):
    for key in CLEARED:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return create_app({"INSTANCE_PATH": str(tmp_path / "instance")})


def test_production_is_the_default_and_starts_with_real_secrets(tmp_path, monkeypatch):
    app = start(tmp_path, monkeypatch, **GOOD)
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(("setting", "value", "named"), [
    ("SECRET_KEY", "", "SECRET_KEY"),
    ("SECRET_KEY", "short", "SECRET_KEY"),
    ("STOREFRONT_ECS_ACCESS_TOKEN", "sandbox-token", "STOREFRONT_ECS_ACCESS_TOKEN"),
    ("STOREFRONT_ECS_ACCESS_TOKEN", "", "STOREFRONT_ECS_ACCESS_TOKEN"),
    ("STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS", "sandbox-signature-key", "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS"),
    ("STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS", "new-real-key,sandbox-signature-key",
     "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS"),
    ("STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS", "", "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS"),
    ("STOREFRONT_STAFF_API_HMAC_KEY", "demo", "STOREFRONT_STAFF_API_HMAC_KEY"),
    ("STOREFRONT_STAFF_API_HMAC_KEY", "too-short-for-hmac", "STOREFRONT_STAFF_API_HMAC_KEY"),
    ("STOREFRONT_DEV_OUTBOX_ENABLED", "true", "STOREFRONT_DEV_OUTBOX_ENABLED"),
])
def test_each_demo_or_missing_secret_refuses_start_and_is_named(tmp_path, monkeypatch, setting, value, named):
    with pytest.raises(ConfigError, match=named) as refused:
        start(tmp_path, monkeypatch, **{**GOOD, setting: value})
    assert "Refusing to start in production" in str(refused.value) or "SECRET_KEY is not set" in str(refused.value)


def test_smtp_login_without_a_password_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="STOREFRONT_SMTP_PASSWORD"):
        start(tmp_path, monkeypatch, **GOOD, STOREFRONT_SMTP_HOST="smtp.example.com",
              STOREFRONT_SMTP_USERNAME="shop")
    app = start(tmp_path, monkeypatch, **GOOD, STOREFRONT_SMTP_HOST="smtp.example.com",
                STOREFRONT_SMTP_USERNAME="shop", STOREFRONT_SMTP_PASSWORD="a-real-smtp-password")
    assert app.config["SMTP_PASSWORD"] == "a-real-smtp-password"


def test_every_problem_is_listed_at_once(tmp_path, monkeypatch):
    with pytest.raises(ConfigError) as refused:
        start(tmp_path, monkeypatch, SECRET_KEY="k" * 40)
    message = str(refused.value)
    assert "STOREFRONT_ECS_ACCESS_TOKEN" in message and "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS" in message
    assert "sandbox-token" not in message  # secrets are named by setting, never echoed


def test_development_must_be_explicit_for_the_outbox(tmp_path, monkeypatch):
    app = start(tmp_path, monkeypatch, **GOOD)
    with app.app_context():
        assert outbox_enabled() is False
    assert app.test_client().get("/dev/outbox").status_code == 404
    dev = start(tmp_path, monkeypatch, STOREFRONT_ENV_NAME="development")
    assert dev.config["ECS_ACCESS_TOKEN"] == "sandbox-token"  # demo secrets are fine in development
    with dev.app_context():
        assert outbox_enabled() is True


def test_demo_port_moves_every_derived_url():
    cfg = {name: default for name, (default, _doc) in SETTINGS.items()}
    cfg["PUBLIC_BASE_URL"] = "https://shop.example"  # set explicitly: left alone
    derive_demo_urls(cfg, 5100)
    assert cfg["SANDBOX_PORT"] == 5101
    assert cfg["ECS_BASE_URL"] == "http://127.0.0.1:5101"
    assert cfg["ECS_WEBHOOK_NOTIFICATION_URL"] == "http://127.0.0.1:5100/webhooks/square"
    assert cfg["PUBLIC_BASE_URL"] == "https://shop.example"
