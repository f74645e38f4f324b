"""The README documents every setting and every CLI group, and its test command is what CI runs."""

from __future__ import annotations

from pathlib import Path

from storefront.config import _ENV_ALIASES, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented():
    missing = [_ENV_ALIASES.get(name, f"STOREFRONT_{name}") for name in SETTINGS
               if f"`{_ENV_ALIASES.get(name, f'STOREFRONT_{name}')}`" not in README]
    assert missing == [], f"README configuration table lacks {missing} (run `flask --app app config docs`)"


def test_every_cli_group_is_documented(app):
    groups = [name for name in app.cli.list_commands(None) if name not in {"routes", "run", "shell"}]
    missing = [g for g in groups if f"`{g}" not in README]
    assert missing == [], f"README CLI section lacks {missing}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
