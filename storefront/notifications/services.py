"""Sending things to people and systems: emails, Slack messages, JSON webhooks — always via a job.

* :func:`queue_email` renders ``templates/emails/<template>.txt`` (and, with ``html_template``,
  ``templates/emails/<html_template>.html`` as the HTML alternative), stores an
  :class:`OutboundEmail` row (committing the caller's transaction with it) and enqueues
  ``jobs.notifications.send_email`` on the "notifications" queue. The job sends through SMTP
  when ``SMTP_HOST`` is set; otherwise it marks the row ``logged`` and logs only the subject and
  recipient (bodies carry tokens and links, so they are never logged).
* :func:`post_slack` and :func:`post_json_webhook` enqueue an HTTP POST (Slack incoming webhook,
  a CRM forward). The jobs use timeouts and raise on failure, so the job runner retries them.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app, render_template
from sqlalchemy import select

from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.notifications.models import OutboundEmail
from storefront.tasks import enqueue

log = logging.getLogger("storefront.notifications")

QUEUE = "notifications"
USER_AGENT = "storefront-notifications/1"
_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*$")
_WHITESPACE = re.compile(r"\s+")


class NotificationError(RuntimeError):
    """A send attempt failed; raised from jobs so they are retried."""


# --- email ----------------------------------------------------------------------------------

def _template_name(template: str) -> str:
    if not _TEMPLATE_NAME.match(template):
        raise ValueError(f"email template names are lower-case words with '/', not {template!r}")
    return template


def render_email(template: str, **context: Any) -> str:
    """The plain-text body of ``templates/emails/<template>.txt``."""
    context.setdefault("shop_name", current_app.config["SHOP_NAME"])
    return render_template(f"emails/{_template_name(template)}.txt", **context).strip() + "\n"


def render_email_html(template: str, **context: Any) -> str:
    """The HTML body of ``templates/emails/<template>.html`` (autoescaped like every .html template)."""
    context.setdefault("shop_name", current_app.config["SHOP_NAME"])
    return render_template(f"emails/{_template_name(template)}.html", **context).strip() + "\n"


def _one_line(value: str, limit: int) -> str:
    return _WHITESPACE.sub(" ", value).strip()[:limit]


def _check_recipient(to: str) -> str:
    to = to.strip()
    name, address = parseaddr(to)
    if not address or "@" not in address or any(c in to for c in ",;\r\n") or len(to) > 254:
        raise ValueError(f"not a single email address: {to!r}")
    return to


def queue_email(to: str, subject: str, template: str, *, kind: str | None = None, html_template: str | None = None,
                list_unsubscribe: str | None = None, **context: Any) -> OutboundEmail:
    """Render, store and enqueue one email; commits the current transaction. Returns the row.

    ``html_template`` adds an HTML alternative to the plain-text body (both get the same context);
    ``list_unsubscribe`` (an https/http URL) is sent as the List-Unsubscribe header."""
    html = render_email_html(html_template, **context) if html_template else None
    email = OutboundEmail(to=_check_recipient(to), subject=_one_line(subject, 255),
                          body=render_email(template, **context), html_body=html, kind=(kind or template)[:64],
                          list_unsubscribe=_check_url(list_unsubscribe)[:1000] if list_unsubscribe else None,
                          status="queued")
    db.session.add(email)
    db.session.commit()

    enqueue("jobs.notifications.send_email", email.id, queue=QUEUE, job_id=f"email-{email.id}")
    return email


def _message(email: OutboundEmail) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    sender_domain = parseaddr(config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(idstring=f"email{email.id}", domain=sender_domain)
    message["Auto-Submitted"] = "auto-generated"
    if email.list_unsubscribe:
        message["List-Unsubscribe"] = f"<{email.list_unsubscribe}>"
    message.set_content(email.body)
    if email.html_body:
        message.add_alternative(email.html_body, subtype="html")
    return message


def _smtp_send(message: EmailMessage) -> None:
    config = current_app.config
    host, port, timeout = config["SMTP_HOST"], int(config["SMTP_PORT"]), float(config["SMTP_TIMEOUT_SECONDS"])
    context = ssl.create_default_context()
    # Port 465 is implicit TLS ("SMTPS"); anything else is plain SMTP, upgraded with STARTTLS if asked.
    smtp: smtplib.SMTP = (smtplib.SMTP_SSL(host, port, timeout=timeout, context=context) if port == 465
                          else smtplib.SMTP(host, port, timeout=timeout))
    with smtp:
        if port != 465 and config["SMTP_USE_TLS"]:
            smtp.starttls(context=context)
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def deliver_email(email_id: int) -> OutboundEmail | None:
    """Send (or log) one stored email; raises NotificationError when SMTP fails so the job retries.

    Already sent or logged emails are left alone, so a duplicate or retried job never sends twice.
    """
    email = db.session.get(OutboundEmail, email_id)
    if email is None or email.status in ("sent", "logged"):
        return email
    email.attempts += 1
    if not current_app.config["SMTP_HOST"]:
        email.status, email.error = "logged", None
        db.session.commit()
        log.info("email %s (%s) to %s, subject %r: not sent — SMTP_HOST is not set",
                 email.id, email.kind, email.to, email.subject)
        return email
    try:
        _smtp_send(_message(email))
    except (OSError, smtplib.SMTPException) as exc:
        email.status, email.error = "failed", f"{type(exc).__name__}: {exc}"[:1000]
        db.session.commit()
        raise NotificationError(f"email {email.id} to {email.to} failed: {type(exc).__name__}: {exc}") from exc
    email.status, email.error, email.sent_at = "sent", None, utcnow()
    db.session.commit()
    log.info("email %s (%s) sent to %s", email.id, email.kind, email.to)
    return email


def recent_emails(limit: int = 50) -> list[OutboundEmail]:
    """The newest emails first (the development outbox)."""
    return list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id.desc()).limit(limit)))


def outbox_enabled() -> bool:
    """The /dev/outbox page exists only in development (explicitly set) or with DEV_OUTBOX_ENABLED
    (which production refuses to start with)."""
    config = current_app.config
    return bool(config["DEV_OUTBOX_ENABLED"]) or config["ENV_NAME"] == "development"


# --- webhooks -------------------------------------------------------------------------------

def _check_url(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("webhook URLs must be absolute http(s) URLs")
    return url


def post_slack(text: str) -> bool:
    """Enqueue a message to the Slack incoming webhook; False (nothing queued) when not configured."""
    if not current_app.config["SLACK_WEBHOOK_URL"]:
        return False

    enqueue("jobs.notifications.post_slack", text[:3000], queue=QUEUE)
    return True


def post_json_webhook(url: str, payload: dict[str, Any]) -> None:
    """Enqueue a JSON POST of ``payload`` to ``url`` (e.g. a CRM forward)."""

    enqueue("jobs.notifications.post_json_webhook", _check_url(url), payload, queue=QUEUE)


def _post(url: str, payload: dict[str, Any]) -> requests.Response:
    timeout = float(current_app.config["WEBHOOK_TIMEOUT_SECONDS"])
    try:
        response = requests.post(url, json=payload, timeout=(min(timeout, 5.0), timeout),
                                 headers={"User-Agent": USER_AGENT}, allow_redirects=False)
    except requests.RequestException as exc:
        raise NotificationError(f"POST to {urlsplit(url).netloc} failed: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise NotificationError(f"POST to {urlsplit(url).netloc} answered {response.status_code}")
    return response


def deliver_slack(text: str) -> bool:
    """POST ``text`` to SLACK_WEBHOOK_URL now; False when it is not configured; raises on failure."""
    url = current_app.config["SLACK_WEBHOOK_URL"]
    if not url:
        return False
    _post(url, {"text": text})
    return True


def deliver_json_webhook(url: str, payload: dict[str, Any]) -> int:
    """POST ``payload`` to ``url`` now; returns the status; raises NotificationError on failure."""
    return _post(_check_url(url), payload).status_code
