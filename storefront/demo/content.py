"""The demo shop's content pages: About, Shipping & returns, Grading guide, Event space, Privacy."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select

from storefront.content.models import ContentPage
from storefront.content.services import create_page
from storefront.extensions import db

ABOUT = """\
We opened in a basement in 2009 with four crates and a borrowed turntable. Today the cellar holds
around two thousand records — new pressings, reissues and a wall of used copies we have cleaned,
played and graded by hand.

## What we stock

- **Soul, funk and jazz** from the sixties and seventies, original pressings where we can find them.
- **Reissues** from labels that care about mastering.
- **Local artists**: every record by a band from the city gets a place at the front.

## Come and listen

Every record in the shop can be played before you buy it. Ask at the counter, or drop in on a
Saturday morning when we put on whatever came in that week.

*Tuesday–Sunday, 11:00–19:00.*
"""

SHIPPING = """\
## Shipping

Records leave us within two working days, packed in a rigid mailer with the record out of its
sleeve (so the seams cannot split on the way).

| Where | How | Cost |
|---|---|---|
| United States | USPS Media Mail | $4.50, $1.00 each extra record |
| United States | UPS Ground | $8.95, free over $100 |
| UK & Europe | Tracked airmail | $14.00, $3.00 each extra record |
| Rest of the world | Airmail | $22.00, $4.00 each extra record |

You can also **collect from the shop** for free: choose pickup at checkout and we will email you
when your order is waiting behind the counter.

## Returns

New records can be returned unopened within 30 days. If a used record does not play the way we
graded it, send it back within 30 days and we refund it in full, shipping included.
Write to us with your order number first and we will tell you where to send it.
"""

GRADING = """\
We grade every used record by playing it, not just by looking at it, using the Goldmine scale.

| Grade | What it means |
|---|---|
| **M** — Mint | Sealed or never played. |
| **NM** — Near Mint | Played a few times; no marks, no noise. |
| **VG+** — Very Good Plus | Light signs of play; a faint background noise in quiet passages at most. |
| **VG** — Very Good | Surface noise you will notice, light scratches; still a good listen. |
| **G+** / **G** — Good | Plays through with noise throughout. Priced to match. |
| **F** / **P** | Fair or poor: for the sleeve, the rarity or the wall. |

The sleeve is graded separately. A record's note tells you anything the grade does not —
a seam split, a sticker, a writing on the label.
"""

EVENT_SPACE = """\
The back room of the cellar holds up to 60 people standing or 35 seated, with a proper hi-fi,
two turntables and a small bar.

- **Listening sessions**: a whole album, front to back, in the dark.
- **Album launches** for labels and bands, with the records on sale at the door.
- **Private parties** and **workshops** (DJ basics, record care, crate digging).

Tell us what you have in mind with the [event inquiry form](../events/inquiry) and we will get back
to you within two working days.
"""

PRIVACY = """\
We keep only what we need to run the shop:

- your **name, email and addresses**, to send your orders and answer your messages;
- your **orders**, for our books and for returns;
- your **wishlist and wantlist**, so we can tell you when a record comes in.

Payments are taken on our commerce provider's secure checkout page: we never see or store your
card. We do not sell or share your data with anyone, and our emails have an unsubscribe link.
To have your account and data deleted, write to us from the address you registered with.
"""

DEMO_PAGES = (
    # slug, title, description, header, footer, order, body
    ("about", "About the shop", "A record shop in a cellar since 2009: soul, funk, jazz and local artists, "
     "every record playable before you buy.", True, True, 10, ABOUT),
    ("shipping-returns", "Shipping & returns", "How we pack and ship records, what it costs and how returns work.",
     False, True, 20, SHIPPING),
    ("grading", "Grading guide", "How we grade used records: the Goldmine scale, from Mint to Poor.",
     False, True, 30, GRADING),
    ("event-space", "The event space", "Book the back room for listening sessions, launches and parties.",
     False, True, 40, EVENT_SPACE),
    ("privacy", "Privacy", "What we keep about you and why.", False, True, 50, PRIVACY),
)


def ensure_demo_pages() -> Iterator[str]:
    """The demo's content pages (only when staff have written none)."""
    if db.session.scalar(select(func.count()).select_from(ContentPage)):
        return
    for slug, title, description, header, footer, order, body in DEMO_PAGES:
        create_page({"slug": slug, "title": title, "meta_description": description, "body": body,
                     "body_format": "markdown", "published": True, "show_in_header": header,
                     "show_in_footer": footer, "display_order": str(order)})
    db.session.commit()
    yield f"pages: {', '.join(title for _slug, title, *_rest in DEMO_PAGES)}"
