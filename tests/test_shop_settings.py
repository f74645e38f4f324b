"""Changing a shop after it was created (`flask shops set`): its name, accent colour, ECS token and
webhook keys — the secrets sealed at rest and never printed; bad input changes nothing."""

from __future__ import annotations

import json

from sqlalchemy import select

from storefront.shops import registry
from storefront.shops.models import Shop
from tests.support.shops import NOTIFY


def stored(app, code: str) -> Shop:
    with app.app_context(), registry.platform_session() as session:
        shop = session.scalar(select(Shop).where(Shop.code == code))
        session.expunge(shop)
        return shop


def shops_set(app, *args: str):
    return app.test_cli_runner().invoke(args=["shops", "set", *args])


def test_a_shops_name_colour_and_secrets_change_and_take_effect(two_shops):
    app = two_shops
    token = "EAAA-rotated-token-0c1d2e3f4a5b"
    result = shops_set(app, "north", "--name", "North Records & Tapes", "--settings", json.dumps(
        {"SHOP_ACCENT_COLOUR": "#aa3300", "ECS_ACCESS_TOKEN": token,
         "ECS_WEBHOOK_SIGNATURE_KEYS": ["north-webhook-key-2", "north-webhook-key"]}))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ("north: changed ECS_ACCESS_TOKEN, ECS_WEBHOOK_SIGNATURE_KEYS, "
                                     "SHOP_ACCENT_COLOUR, SHOP_NAME")
    assert token not in result.output
    row = stored(app, "north")
    assert token not in (row.secrets or "") and "north-webhook-key-2" not in (row.secrets or "")  # sealed
    with app.app_context():
        settings = registry.settings_for("north", app)
    assert settings["ECS_ACCESS_TOKEN"] == token and settings["SHOP_NAME"] == "North Records & Tapes"
    assert settings["ECS_WEBHOOK_NOTIFICATION_URL"] == NOTIFY.format(code="north")  # untouched

    client = app.test_client()
    assert "North Records &amp; Tapes" in client.get("/vendors/north/").get_data(as_text=True)
    assert "#aa3300" in client.get("/vendors/north/theme.css?v=2").get_data(as_text=True)
    assert "South Records" in client.get("/vendors/south/").get_data(as_text=True)  # the other shop as it was

    again = shops_set(app, "north", "--settings", json.dumps({"SHOP_ACCENT_COLOUR": "#aa3300"}))
    assert again.output.strip() == "north: nothing changed"
    dropped = shops_set(app, "north", "--unset", "SHOP_ACCENT_COLOUR", "--unset", "ECS_ACCESS_TOKEN")
    assert dropped.output.strip() == "north: changed ECS_ACCESS_TOKEN, SHOP_ACCENT_COLOUR", dropped.output
    with app.app_context():
        settings = registry.settings_for("north", app)
    assert "SHOP_ACCENT_COLOUR" not in settings and "ECS_ACCESS_TOKEN" not in settings
    assert settings["ECS_WEBHOOK_SIGNATURE_KEYS"] == ["north-webhook-key-2", "north-webhook-key"]


def test_bad_changes_are_refused_and_change_nothing(two_shops):
    app = two_shops
    before = stored(app, "north")
    for args, message in [
        (["north", "--settings", json.dumps({"SHOP_ACCENT_COLOUR": "red", "SHOP_NAME_X": "x"})],
         "accent: Give the accent colour as #rrggbb"),
        (["north", "--settings", json.dumps({"SECRET_KEY": "steal-the-deployment"})], "Not a per-shop setting"),
        (["north", "--unset", "DATABASE_URL"], "Not a per-shop setting: DATABASE_URL"),
        (["north", "--name", " "], "name: Give the shop a name"),
        (["north", "--settings", "[1, 2]"], "--settings must be a JSON object"),
        (["default", "--name", "Mine"], "The default shop's settings are the deployment's"),
        (["nowhere", "--name", "Mine"], "No shop 'nowhere'"),
    ]:
        result = shops_set(app, *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    after = stored(app, "north")
    assert (after.name, after.settings, after.secrets) == (before.name, before.settings, before.secrets)
