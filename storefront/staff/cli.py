"""`flask staff …`: create and list staff accounts, set a password, lift a lockout."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from storefront.core.errors import DomainError
from storefront.staff.models import ROLES
from storefront.staff.services import create_staff, find_staff_by_email, list_staff, reset_password, unlock_staff


@click.group("staff")
def staff_cli() -> None:
    """Staff accounts."""


def _member_or_fail(email: str):  # type: ignore[no-untyped-def]
    staff = find_staff_by_email(email)
    if staff is None:
        raise click.ClickException(f"no staff account with email {email}")
    return staff


@staff_cli.command("create")
@click.option("--email", required=True, help="Login email (stored lower-case).")
@click.option("--name", required=True, help="Name shown in the back office and the audit log.")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True)
@click.option("--password", help="Initial password (prompted, hidden, when omitted).")
@with_appcontext
def create_command(email: str, name: str, role: str, password: str | None) -> None:
    """Create a staff account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        staff = create_staff(email, name, password, role, actor="cli")
    except DomainError as exc:
        problems = "; ".join(f"{d.field}: {d.message}" for d in exc.details)
        raise click.ClickException(f"{exc.message} {problems}".strip()) from None
    click.echo(f"created {staff.role} #{staff.id} {staff.email}")


@staff_cli.command("list")
@with_appcontext
def list_command() -> None:
    """List staff accounts."""
    members = list_staff()
    if not members:
        click.echo("no staff accounts yet — create one with `flask staff create`")
    for staff in members:
        flags = [] if staff.is_active else ["inactive"]
        if staff.totp_enabled:
            flags.append("2fa")
        if staff.is_locked():
            flags.append("locked")
        last = staff.last_login_at.strftime("%Y-%m-%d %H:%M") if staff.last_login_at else "never"
        click.echo(f"#{staff.id}\t{staff.email}\t{staff.name}\t{staff.role}\tlast login {last}"
                   + (f"\t[{', '.join(flags)}]" if flags else ""))


@staff_cli.command("set-password")
@click.argument("email")
@click.option("--password", help="New password (prompted, hidden, when omitted).")
@with_appcontext
def set_password_command(email: str, password: str | None) -> None:
    """Set a staff member's password (ends their sessions and API tokens)."""
    staff = _member_or_fail(email)
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        reset_password(staff.id, password, actor="cli")
    except DomainError as exc:
        raise click.ClickException("; ".join(d.message for d in exc.details) or exc.message) from None
    click.echo(f"password changed for {staff.email}")


@staff_cli.command("unlock")
@click.argument("email")
@with_appcontext
def unlock_command(email: str) -> None:
    """Lift a lockout after repeated failed logins."""
    staff = unlock_staff(_member_or_fail(email).id, actor="cli")
    click.echo(f"unlocked {staff.email}")
