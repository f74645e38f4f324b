"""The event-space inquiry form as a visitor fills it in."""

from __future__ import annotations

from datetime import timedelta

from storefront.db.timestamps import utcnow
from tests.support.pages import csrf_token

PAGE = "/events/inquiry"


def future(days: int = 30) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


def valid_form(**overrides: str) -> dict[str, str]:
    form = {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958",
            "event_type": "listening_session", "preferred_date": future(), "attendee_count": "40",
            "message": "A listening session for the new Kraftwerk reissue, with a short talk.", "website": ""}
    form.update(overrides)
    return form


def post_form(client, **overrides: str):
    data = valid_form(**overrides)
    data["csrf_token"] = csrf_token(client, PAGE)
    return client.post(PAGE, data=data)
