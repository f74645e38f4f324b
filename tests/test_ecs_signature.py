"""Square webhook signatures: the six cases, Square's documented algorithm and its published test vector."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from storefront.ecs import signature
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


# The test vector Square's own SDKs verify against (square/square-python-sdk,
# tests/integration/test_webhooks_helper.py; the same values appear in the Go, Java, Node, PHP, Ruby SDKs).
SQUARE_BODY = (b'{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification",'
               b'"event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z",'
               b'"data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}')
SQUARE_SIGNATURE = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="
SQUARE_KEY = "Ibxx_5AKakO-3qeNVR61Dw"
SQUARE_URL = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"


def test_squares_published_test_vector():
    assert sign(SQUARE_KEY, SQUARE_URL, SQUARE_BODY) == SQUARE_SIGNATURE
    assert verify([SQUARE_KEY], SQUARE_URL, SQUARE_BODY, SQUARE_SIGNATURE)
    assert verify(["signature-key"], "https://webhook.site/webhooks", b'{"data":{"type":"webhooks","id":">id<"}}',
                  "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=")
    assert not verify([SQUARE_KEY], SQUARE_URL.replace("/679a", "/79a"), SQUARE_BODY, SQUARE_SIGNATURE)
    assert not verify(["MCmhFRxGX82xMwg5FsaoQA"], SQUARE_URL, SQUARE_BODY, SQUARE_SIGNATURE)
    reformatted = json.dumps(json.loads(SQUARE_BODY), indent=2).encode()  # same JSON, other bytes
    assert not verify([SQUARE_KEY], SQUARE_URL, reformatted, SQUARE_SIGNATURE)


def test_every_key_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch):
    calls: list[bytes] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append(b)
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    assert verify(["k1", "k2", "k3"], URL, BODY, sign("k1", URL, BODY))  # matched first, still checks all three
    assert len(calls) == 3
