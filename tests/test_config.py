"""Configuration order, typed environment parsing and the production secret-key rule."""

from __future__ import annotations

import os

import pytest

from storefront import create_app
from storefront.config import ConfigError, normalise_database_url, parse_value


def make(tmp_path, monkeypatch, env=None, config=None):
    for key in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STOREFRONT_ENV_NAME"):
        monkeypatch.delenv(key, raising=False)
    # The embedded defaults are what development gives; production is tested with its secrets.
    for key, value in {"STOREFRONT_ENV_NAME": "development", **(env or {})}.items():
        monkeypatch.setenv(key, value)
    base = {"INSTANCE_PATH": str(tmp_path / "instance")}
    return create_app({**base, **(config or {})})


@pytest.mark.parametrize(("raw", "default", "expected"), [
    ("false", True, False), ("0", True, False), ("TRUE", False, True), ("on", False, True),
    ("12", 3, 12), ("2.5", 1.0, 2.5), ("a, b,,c", ["x"], ["a", "b", "c"]), ("text", "", "text"),
])
def test_environment_values_are_parsed_by_type(raw, default, expected):
    assert parse_value(raw, default) == expected


@pytest.mark.parametrize(("raw", "default"), [("maybe", True), ("ten", 1), ("x", 1.0)])
def test_malformed_environment_values_are_refused(raw, default):
    with pytest.raises(ConfigError):
        parse_value(raw, default)


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_production_without_secret_key_refuses_to_start(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        make(tmp_path, monkeypatch, env={"STOREFRONT_ENV_NAME": "production"})


def test_production_turns_on_secure_cookies(tmp_path, monkeypatch):
    app = make(tmp_path, monkeypatch, env={"STOREFRONT_ENV_NAME": "production", "SECRET_KEY": "s" * 32,
                                           "STOREFRONT_ECS_ACCESS_TOKEN": "real-token",
                                           "STOREFRONT_ECS_WEBHOOK_SIGNATURE_KEYS": "real-key"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_embedded_default_generates_secret_once_and_keeps_it(tmp_path, monkeypatch):
    first = make(tmp_path, monkeypatch).config["SECRET_KEY"]
    second = make(tmp_path, monkeypatch).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_order_defaults_instance_file_environment_overrides(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text('SHOP_NAME = "From instance"\nAPI_RATE_LIMIT = "9 per minute"\n')
    app = make(tmp_path, monkeypatch)
    assert app.config["SHOP_NAME"] == "From instance"
    app = make(tmp_path, monkeypatch, env={"STOREFRONT_SHOP_NAME": "From env"})
    assert app.config["SHOP_NAME"] == "From env"
    assert app.config["API_RATE_LIMIT"] == "9 per minute"
    app = make(tmp_path, monkeypatch, env={"STOREFRONT_SHOP_NAME": "From env"},
               config={"SHOP_NAME": "From test"})
    assert app.config["SHOP_NAME"] == "From test"


def test_embedded_default_is_sqlite_in_instance_with_in_process_jobs(tmp_path, monkeypatch):
    app = make(tmp_path, monkeypatch)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'storefront.db'}"
    assert app.config["JOBS_MODE"] == "thread"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_redis_url_switches_jobs_and_rate_limits_to_redis(tmp_path, monkeypatch):
    app = make(tmp_path, monkeypatch, env={"REDIS_URL": "redis://127.0.0.1:6379/3",
                                           "DATABASE_URL": "postgres://u@db/shop"})
    assert app.config["JOBS_MODE"] == "rq"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/shop"


def test_bad_environment_value_names_the_variable(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="STOREFRONT_ECS_MAX_RETRIES"):
        make(tmp_path, monkeypatch, env={"STOREFRONT_ECS_MAX_RETRIES": "lots"})


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    from storefront import config as config_module

    env_file = tmp_path / ".env"
    env_file.write_text("STOREFRONT_SHOP_NAME=Dotenv Records\n")
    monkeypatch.delenv("STOREFRONT_SHOP_NAME", raising=False)
    from dotenv import load_dotenv

    load_dotenv(env_file, override=False)
    try:
        app = make(tmp_path, monkeypatch)
        assert app.config["SHOP_NAME"] == "Dotenv Records"
    finally:
        # Not monkeypatch.delenv: it would record the dotenv value and restore it at teardown,
        # leaking "Dotenv Records" into every later test.
        os.environ.pop("STOREFRONT_SHOP_NAME", None)
    assert "STOREFRONT_SHOP_NAME" not in os.environ
    assert config_module.SETTINGS["SHOP_NAME"][0] != "Dotenv Records"
