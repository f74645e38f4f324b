"""The Google Merchant Center product feed (RSS 2.0 with the ``g:`` namespace, or TSV).

Google retired the Content API for Shopping in 2026: a shop registers a scheduled feed URL
instead. Attributes use Google's names; required: id, title, description, link, image_link,
availability, price, plus condition for used items; gtin when the pressing has a valid one, else
``identifier_exists`` no. An offer missing something Google requires is left out of the feed and
reported (``FeedResult.skipped``). Output is deterministic, so its hash is a stable ETag.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from storefront.channels.adapters import Offer
from storefront.core.money import exponent

G_NS = "http://base.google.com/ns/1.0"
MUSIC_CATEGORY = "855"  # Media > Music & Sound Recordings (Google product taxonomy)
TITLE_MAX, DESCRIPTION_MAX = 150, 5000
COLUMNS = ("id", "title", "description", "link", "image_link", "availability", "price", "condition", "brand",
           "gtin", "mpn", "identifier_exists", "google_product_category", "product_type", "shipping_weight")
# Characters XML 1.0 cannot carry at all (and that break a TSV row): stripped.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACE = re.compile(r"\s+")

ET.register_namespace("g", G_NS)


@dataclass(frozen=True)
class FeedResult:
    body: bytes
    content_type: str
    included: int
    skipped: list[tuple[str, list[str]]] = field(default_factory=list)
    etag: str = ""


def _clean(text: str, limit: int | None = None) -> str:
    """One line of plain text without forbidden characters, cut on a word boundary at ``limit``."""
    value = _SPACE.sub(" ", _FORBIDDEN.sub("", text or "")).strip()
    if limit and len(value) > limit:
        value = value[:limit].rsplit(" ", 1)[0] if " " in value[:limit] else value[:limit]
    return value


def valid_gtin(code: str) -> bool:
    """A GTIN-8/12/13/14 with a correct check digit."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def google_price(amount: int, currency: str) -> str:
    """Google's price format, "12.50 USD", with the currency's own decimals."""
    digits = exponent(currency)
    if not digits:
        return f"{amount} {currency}"
    major, minor = divmod(amount, 10**digits)
    return f"{major}.{minor:0{digits}d} {currency}"


def validate_offer(offer: Offer) -> list[str]:
    """What Google requires that the offer lacks (CHN-010 reasons); [] when it can go in the feed."""
    missing = [name for name, value in (("title", offer.title), ("link", offer.link),
                                        ("image_link", offer.image_url)) if not _clean(value)]
    if offer.price_amount <= 0:
        missing.append("price")
    return [f"CHN-010: {name} is required" for name in missing]


def attributes(offer: Offer) -> dict[str, str]:
    """Google's attributes for one offer."""
    grade = ", ".join(p for p in (f"Media: {offer.media_grade}" if offer.media_grade else "",
                                  f"Sleeve: {offer.sleeve_grade}" if offer.sleeve_grade else "") if p)
    description = " ".join(p for p in (offer.description, grade, offer.comments) if p) or offer.title
    gtin = offer.barcode if valid_gtin(offer.barcode) else ""
    genre = offer.genres[0] if offer.genres else ""
    values = {
        "id": offer.key, "title": _clean(offer.title, TITLE_MAX), "description": _clean(description, DESCRIPTION_MAX),
        "link": offer.link, "image_link": offer.image_url, "availability": "in_stock",
        "price": google_price(offer.price_amount, offer.currency),
        "condition": "used" if offer.condition == "used" else "new",
        "brand": _clean(offer.label or offer.artist, 70), "gtin": gtin,
        "mpn": _clean(offer.catalog_number, 70) if not gtin else "",
        "identifier_exists": "" if gtin or (offer.catalog_number and (offer.label or offer.artist)) else "no",
        "google_product_category": MUSIC_CATEGORY,
        "product_type": " > ".join(p for p in ("Music", _clean(offer.format) or "Vinyl", _clean(genre)) if p),
        "shipping_weight": f"{offer.weight_grams} g" if offer.weight_grams else "",
    }
    return {k: v for k, v in values.items() if v}


def _xml(rows: list[dict[str, str]], shop_title: str, shop_link: str) -> bytes:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = _clean(shop_title)
    ET.SubElement(channel, "link").text = shop_link
    ET.SubElement(channel, "description").text = f"{_clean(shop_title)} product feed"
    for row in rows:
        item = ET.SubElement(channel, "item")
        for name in COLUMNS:
            if name in row:
                ET.SubElement(item, f"{{{G_NS}}}{name}").text = _FORBIDDEN.sub("", row[name])
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _tsv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_clean(row.get(name, "")) for name in COLUMNS])
    return out.getvalue().encode()


def build_feed(offers: Sequence[Offer], *, fmt: str, shop_title: str, shop_link: str, language: str = "en",
               target_country: str = "US") -> FeedResult:
    """The feed of ``offers`` (those Google would refuse are skipped, with reasons)."""
    rows, skipped = [], []
    for offer in sorted(offers, key=lambda o: o.key):
        reasons = validate_offer(offer)
        if reasons:
            skipped.append((offer.key, reasons))
        else:
            rows.append(attributes(offer))
    if fmt == "xml":
        body, content_type = _xml(rows, shop_title, shop_link), "application/xml; charset=utf-8"
    elif fmt == "tsv":
        body, content_type = _tsv(rows), "text/tab-separated-values; charset=utf-8"
    else:
        raise ValueError("fmt must be xml or tsv")
    return FeedResult(body, content_type, len(rows), skipped, hashlib.sha256(body).hexdigest()[:32])
