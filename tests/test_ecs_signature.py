"""Square webhook signatures: the six cases, and Square's documented algorithm."""

from __future__ import annotations

import base64
import hashlib
import hmac

from storefront.ecs.signature import sign, verify

URL = "https://shop.example/webhooks/square"
BODY = b'{"merchant_id":"M1","type":"inventory.count.updated","event_id":"e1"}'


def test_signature_is_base64_hmac_sha256_of_url_plus_body():
    expected = base64.b64encode(hmac.new(b"key", URL.encode() + BODY, hashlib.sha256).digest()).decode()
    assert sign("key", URL, BODY) == expected


def test_valid_signature_is_accepted():
    assert verify(["key-1"], URL, BODY, sign("key-1", URL, BODY))


def test_valid_under_the_second_of_two_keys_is_accepted():
    assert verify(["new-key", "old-key"], URL, BODY, sign("old-key", URL, BODY))


def test_tampered_body_is_refused():
    assert not verify(["key-1"], URL, BODY + b" ", sign("key-1", URL, BODY))


def test_wrong_key_is_refused():
    assert not verify(["key-1"], URL, BODY, sign("someone-else", URL, BODY))


def test_missing_header_is_refused():
    assert not verify(["key-1"], URL, BODY, None)
    assert not verify(["key-1"], URL, BODY, "")


def test_different_notification_url_is_refused():
    assert not verify(["key-1"], URL, BODY, sign("key-1", "https://evil.example/webhooks/square", BODY))


def test_no_keys_configured_refuses_everything():
    assert not verify([], URL, BODY, sign("key-1", URL, BODY))
