"""`flask jobs …` and `flask config …`."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from storefront.config import _ENV_ALIASES, SETTINGS
from storefront.extensions import db
from storefront.system.services import find_heartbeat, new_heartbeat_token
from storefront.tasks import enqueue

SECRET_SETTINGS = {"SECRET_KEY", "ECS_ACCESS_TOKEN", "ECS_WEBHOOK_SIGNATURE_KEYS", "STAFF_API_HMAC_KEY",
                   "SMTP_PASSWORD", "SLACK_WEBHOOK_URL", "DISCOGS_TOKEN", "INQUIRY_CRM_WEBHOOK_URL"}


@click.group("jobs")
def jobs_cli() -> None:
    """Background jobs."""


@jobs_cli.command("ping")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for a worker.")
@with_appcontext
def ping_command(timeout: float) -> None:
    """Enqueue a heartbeat job and wait until a worker has run it."""
    token = new_heartbeat_token()
    enqueue("jobs.system.ping", token, retries=0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see rows committed by the worker
        beat = find_heartbeat(token)
        if beat:
            click.echo(f"ok: job ran in pid {beat.pid} on {beat.hostname} "
                       f"(mode {current_app.config['JOBS_MODE']})")
            return
        time.sleep(0.2)
    raise click.ClickException(f"no worker ran the job within {timeout:.0f}s — is `rq worker` running?")


@click.group("config")
def config_cli() -> None:
    """Configuration."""


@config_cli.command("show")
@with_appcontext
def show_config() -> None:
    """Print every setting and its current value (secrets masked)."""
    for name, (_default, doc) in SETTINGS.items():
        value = current_app.config.get(name)
        if name in SECRET_SETTINGS and value:
            value = "********"
        elif name == "SQLALCHEMY_DATABASE_URI" and value and "@" in str(value):
            scheme, rest = str(value).split("://", 1)
            value = f"{scheme}://***@{rest.split('@', 1)[1]}"
        click.echo(f"{name} = {value!r}    # {doc}")


@config_cli.command("docs")
def config_docs() -> None:
    """Print the configuration table (Markdown) the README carries."""
    click.echo("| Variable | Default | Meaning |")
    click.echo("| --- | --- | --- |")
    for name, (default, doc) in SETTINGS.items():
        env = _ENV_ALIASES.get(name, f"STOREFRONT_{name}")
        if isinstance(default, list):
            shown = ",".join(default) or "(empty)"
        elif default is None or default == "":
            shown = "(unset)"
        else:
            shown = str(default).lower() if isinstance(default, bool) else str(default)
        if name in SECRET_SETTINGS and default:
            shown += " (demo only)"
        cell = doc.replace("|", "\\|")  # a literal pipe would end the Markdown cell
        click.echo(f"| `{env}` | `{shown}` | {cell} |")
