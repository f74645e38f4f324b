"""Notifications: emails stored and sent through a real (tiny, local) SMTP server or logged, Slack and
JSON webhooks posted to a local HTTP server, the development outbox, and the RQ queue."""

from __future__ import annotations

import base64
import json
import logging
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from redis import Redis
from rq import Queue

from jobs.notifications import post_json_webhook as post_json_job
from jobs.notifications import post_slack as post_slack_job
from jobs.notifications import send_email
from storefront.extensions import db
from storefront.notifications.models import OutboundEmail
from storefront.notifications.services import (
    NotificationError,
    post_json_webhook,
    post_slack,
    queue_email,
    render_email,
)
from tests.support.emails import link_path, sent_emails
from tests.support.pages import soup
from tests.support.workers import run_rq_worker

# --- a minimal SMTP server --------------------------------------------------------------------

class SmtpSink(socketserver.ThreadingTCPServer):
    """Speaks just enough SMTP (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) to receive what smtplib sends."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.received: list[dict[str, Any]] = []
        self.logins: list[tuple[str, str]] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


class SmtpSession(socketserver.StreamRequestHandler):
    server: SmtpSink

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        envelope: dict[str, Any] = {"rcpt": []}
        self.reply("220 sink.test ESMTP ready")
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-sink.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == "HELO":
                self.reply("250 sink.test")
            elif verb == "AUTH":
                parts = command.split()
                if len(parts) < 3:
                    self.reply("334 ")
                    parts.append(self.rfile.readline().decode().strip())
                _, user, password = base64.b64decode(parts[2]).decode().split("\0")
                self.server.logins.append((user, password))
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                envelope = {"from": command[10:].strip("<> "), "rcpt": []}
                self.reply("250 OK")
            elif verb == "RCPT":
                envelope["rcpt"].append(command[8:].strip("<> "))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                envelope["message"] = message_from_bytes(bytes(data))
                self.server.received.append(envelope)
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# --- a minimal webhook receiver ---------------------------------------------------------------

class HookSink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HookHandler)
        self.requests: list[dict[str, Any]] = []
        self.status = 200

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class HookHandler(BaseHTTPRequestHandler):
    server: HookSink

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
        self.send_response(self.server.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook_sink() -> Iterator[HookSink]:
    server = HookSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def notification_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture storefront.notifications (the app's "storefront" logger does not propagate)."""
    logger = logging.getLogger("storefront.notifications")
    caplog.set_level(logging.INFO, logger="storefront.notifications")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def _email(app, email_id: int) -> OutboundEmail:
    with app.app_context():
        email = db.session.get(OutboundEmail, email_id)
        db.session.expunge(email)
        return email


def _queue_confirmation(app, to: str = "jo@example.com") -> int:
    with app.app_context():
        return queue_email(to, "Confirm your email address", "confirm_email", kind="accounts.confirm_email",
                           name="Jo", link="http://shop.test/account/confirm/SECRET-TOKEN", hours=72).id


# --- email ------------------------------------------------------------------------------------

def test_without_smtp_emails_are_stored_and_logged_without_their_body(app, notification_log):
    email_id = _queue_confirmation(app)
    email = _email(app, email_id)
    assert (email.status, email.kind, email.to, email.attempts) == ("logged", "accounts.confirm_email",
                                                                    "jo@example.com", 1)
    assert "Hello Jo," in email.body and "SECRET-TOKEN" in email.body and "Groove Cellar Records" in email.body
    logged = "\n".join(r.getMessage() for r in notification_log.records)
    assert "jo@example.com" in logged and "Confirm your email address" in logged
    assert "SECRET-TOKEN" not in logged


def test_the_job_really_sends_through_smtp(make_app, smtp_sink):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_sink.port, SMTP_USE_TLS=False,
                   SMTP_USERNAME="shop", SMTP_PASSWORD="smtp-secret", MAIL_FROM="Shop <shop@shop.test>")
    email_id = _queue_confirmation(app)
    email = _email(app, email_id)
    assert email.status == "sent" and email.sent_at is not None and email.error is None
    [received] = smtp_sink.received
    message: Message = received["message"]
    assert received["from"] == "shop@shop.test" and received["rcpt"] == ["jo@example.com"]
    assert message["To"] == "jo@example.com" and message["Subject"] == "Confirm your email address"
    assert message["From"] == "Shop <shop@shop.test>" and message["Message-ID"].endswith("@shop.test>")
    assert "SECRET-TOKEN" in message.get_payload(decode=True).decode()
    assert smtp_sink.logins == [("shop", "smtp-secret")]

    with app.app_context():  # a duplicate or retried job never sends twice
        assert send_email(email_id) == "sent"
    assert len(smtp_sink.received) == 1


def test_smtp_failure_marks_failed_and_raises_so_the_job_retries(make_app, smtp_sink):
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as closed:
        dead_port = closed.server_address[1]
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=dead_port, SMTP_USE_TLS=False, JOBS_DEFAULT_RETRIES=0,
                   SMTP_TIMEOUT_SECONDS=2.0)
    email_id = _queue_confirmation(app)
    failed = _email(app, email_id)
    assert failed.status == "failed" and "ConnectionRefusedError" in failed.error and failed.attempts == 1
    with app.app_context(), pytest.raises(NotificationError):
        send_email(email_id)
    app.config["SMTP_PORT"] = smtp_sink.port  # the server is back: the retry goes through
    with app.app_context():
        assert send_email(email_id) == "sent"
    assert _email(app, email_id).attempts == 3 and len(smtp_sink.received) == 1


def test_email_templates_and_recipients_are_checked(app_ctx):
    with pytest.raises(ValueError, match="template"):
        render_email("../secrets")
    with pytest.raises(ValueError, match="single email address"):
        queue_email("a@example.com, b@example.com", "Hi", "confirm_email", name="x", link="y", hours=1)
    with pytest.raises(ValueError, match="single email address"):
        queue_email("a@example.com\r\nBcc: c@example.com", "Hi", "confirm_email", name="x", link="y", hours=1)
    email = queue_email("a@example.com", "Line one\r\nBcc: evil@example.com", "confirm_email",
                        name="x", link="y", hours=1)
    assert email.subject == "Line one Bcc: evil@example.com", "no header injection through the subject"


# --- Slack and JSON webhooks --------------------------------------------------------------------

def test_post_slack_does_nothing_when_not_configured(app_ctx, hook_sink):
    assert post_slack("hello") is False
    assert hook_sink.requests == []


def test_post_slack_posts_to_the_webhook(make_app, hook_sink):
    app = make_app(SLACK_WEBHOOK_URL=hook_sink.url("/services/T000/B000/XXX"))
    with app.app_context():
        assert post_slack("New inquiry EV-1234") is True
    [request] = hook_sink.requests
    assert request["path"] == "/services/T000/B000/XXX" and request["json"] == {"text": "New inquiry EV-1234"}


def test_webhook_failures_raise_for_retries_without_leaking_the_url(make_app, hook_sink):
    app = make_app(SLACK_WEBHOOK_URL=hook_sink.url("/services/SECRET"), WEBHOOK_TIMEOUT_SECONDS=2.0)
    hook_sink.status = 500
    with app.app_context():
        with pytest.raises(NotificationError) as failure:
            post_slack_job("hello")
        assert "500" in str(failure.value) and "SECRET" not in str(failure.value)
        with pytest.raises(NotificationError):
            post_json_job(hook_sink.url(), {"a": 1})
        with pytest.raises(NotificationError):
            post_json_job("http://127.0.0.1:9/unreachable", {"a": 1})


def test_post_json_webhook_forwards_the_payload(app_ctx, hook_sink):
    post_json_webhook(hook_sink.url("/crm"), {"type": "event_inquiry.created", "trackingId": "EV-1"})
    [request] = hook_sink.requests
    assert request["json"] == {"type": "event_inquiry.created", "trackingId": "EV-1"}
    assert request["headers"]["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        post_json_webhook("file:///etc/passwd", {})


# --- the development outbox -------------------------------------------------------------------

def test_outbox_is_hidden_outside_development(app):
    assert app.test_client().get("/dev/outbox").status_code == 404


@pytest.mark.parametrize("config", [{"DEV_OUTBOX_ENABLED": True}, {"ENV_NAME": "development"}])
def test_outbox_lists_emails_with_clickable_links(make_app, config):
    app = make_app(**config)
    client = app.test_client()
    client.post("/api/v1/customer/register",
                json={"email": "jo@example.com", "name": "Jo <b>", "password": "turntable dust jacket 1972"})
    page = client.get("/dev/outbox")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    [article] = soup(page).select(".outbox-email")
    assert article.select_one(".outbox-to").text == "jo@example.com"
    assert article.select_one(".outbox-status").text == "logged"
    assert "Jo <b>" in article.select_one(".outbox-body").text, "bodies are escaped text"
    [link] = article.select(".outbox-body a")
    assert link["href"].endswith(link_path(sent_emails(app)[0]))
    assert client.get(link_path(sent_emails(app)[0])).status_code == 200


# --- RQ ------------------------------------------------------------------------------------------

@pytest.mark.redis
def test_emails_go_through_the_notifications_queue_to_a_real_worker(make_app, redis_url, smtp_sink, monkeypatch):
    app = make_app(REDIS_URL=redis_url, JOBS_MODE="rq")
    email_id = _queue_confirmation(app)
    assert Queue("notifications", connection=Redis.from_url(redis_url)).job_ids == [f"email-{email_id}"]
    assert _email(app, email_id).status == "queued"
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_sink.port), "SMTP_USE_TLS": "false"}.items():
        monkeypatch.setenv(f"STOREFRONT_{name}", value)
    result = run_rq_worker(app, redis_url, "notifications")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _email(app, email_id).status == "sent", result.stderr[-2000:]
    assert [r["rcpt"] for r in smtp_sink.received] == [["jo@example.com"]]
