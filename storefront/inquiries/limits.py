"""Rate limits shared by the inquiry page and the inquiry API (one budget per client IP)."""

from __future__ import annotations

from flask import Response, current_app

from storefront.extensions import limiter

# Every POST counts against this ceiling, so invalid floods are bounded too.
ATTEMPTS_PER_HOUR = "30 per hour"


def inquiry_rate_limit() -> str:
    return current_app.config["INQUIRY_RATE_LIMIT"]


def _accepted(response: Response) -> bool:
    """Only submissions we accepted (or seemed to, for a honeypot) use up INQUIRY_RATE_LIMIT."""
    return response.status_code < 400


submission_limit = limiter.shared_limit(inquiry_rate_limit, scope="event-inquiry", methods=["POST"],
                                        override_defaults=False, deduct_when=_accepted)
attempt_limit = limiter.shared_limit(ATTEMPTS_PER_HOUR, scope="event-inquiry-attempts", methods=["POST"],
                                     override_defaults=False)
