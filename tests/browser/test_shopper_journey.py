"""Journey (a): a shopper filters and searches the catalog with HTMX, saves and buys a record, registers,
pays on the ECS sandbox's hosted page, watches the confirmation turn paid and looks the order up."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import Shop, link_in, screenshot

pytestmark = pytest.mark.browser

EMAIL = "shopper@example.com"
PASSWORD = "a-long-and-unusual-passphrase"
CARD = "4111 1111 1111 1111"
MARKER = "window.__journeyMarker"


def count_text(page) -> str:
    return page.locator("#result-count").inner_text().strip()


def card_titles(page) -> list[str]:
    return page.locator("#results .product-card .product-title").all_inner_texts()


def main_nav(page, label: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True)


def same_document(page) -> bool:
    """The marker set on the window survives: HTMX swapped content, the page never reloaded."""
    return page.evaluate(MARKER) == "same document"


def filter_and_search_with_htmx(page, shop: Shop) -> None:
    """Filter by a genre, then search; pushState URLs; Back restores each earlier listing."""
    page.goto("/catalog")
    page.evaluate(f"{MARKER} = 'same document'")
    all_records, all_titles = count_text(page), card_titles(page)
    assert re.match(r"\d+ records · page 1 of \d+", all_records), all_records
    screenshot(page, "catalog")

    genres = page.locator("#catalog-filters fieldset.facet").filter(has=page.locator("legend", has_text="Genre"))
    genre = genres.locator("label.check").first
    genre_value = genre.locator("input").get_attribute("value")
    genre_count = int(genre.locator(".facet-count").inner_text().strip("()"))
    genre.locator("input").check()
    page.wait_for_url(re.compile(rf"/catalog\?.*genre={re.escape(genre_value)}"))
    expect(page.locator("#result-count")).to_have_text(re.compile(rf"^{genre_count} records?\b"))
    genre_titles = card_titles(page)
    assert genre_titles and genre_titles != all_titles
    assert same_document(page)
    genre_url = page.url

    artist = page.locator("#results .product-card .product-artist").first.inner_text().strip()
    page.locator("#q").fill(artist)  # typing searches by itself (hx-trigger "input changed delay:350ms")
    page.wait_for_url(re.compile(r"/catalog\?.*q="))
    expect(page.locator("#results-heading")).to_have_text(f"Results for “{artist}”")
    searched = int(count_text(page).split()[0])
    assert 1 <= searched <= genre_count  # the search keeps the genre filter (hx-include of the form)
    assert artist in page.locator("#results .product-card .product-artist").all_inner_texts()
    assert page.locator("#q").evaluate("el => el === document.activeElement")  # focus stays in the box
    assert same_document(page)

    page.go_back()
    page.wait_for_url(genre_url)
    expect(page.locator("#result-count")).to_have_text(re.compile(rf"^{genre_count} records?\b"))
    assert card_titles(page) == genre_titles
    expect(page.locator(f"#catalog-filters input[name=genre][value='{genre_value}']")).to_be_checked()
    page.go_back()
    page.wait_for_url(shop.url("/catalog"))
    expect(page.locator("#result-count")).to_have_text(all_records)
    assert card_titles(page) == all_titles
    assert same_document(page)  # history restored by HTMX, not a reload


def save_and_add_to_cart(page, shop: Shop) -> str:
    """Open an in-stock record, put it on the wishlist and in the cart (both HTMX); returns its title."""
    card = page.locator("#results .product-card").filter(has_not=page.locator(".sold-out")).first
    card.locator("a.product-link").click()
    page.wait_for_url(re.compile(r"/catalog/\d+/[a-z0-9-]+$"))
    title = page.get_by_role("heading", level=1).inner_text()
    item_id = page.locator("article.product").get_attribute("data-item-id")
    page.evaluate(f"{MARKER} = 'same document'")
    screenshot(page, "product")

    toggle = page.locator(f"#wishlist-toggle-{item_id}")
    toggle.get_by_role("button", name="Add to wishlist").click()
    expect(toggle).to_have_attribute("data-in-wishlist", "true")
    expect(toggle.get_by_role("button")).to_have_text("In your wishlist — remove")

    expect(page.locator("#cart-count")).to_have_text("0")
    page.locator("form.add-to-cart").get_by_role("button", name=re.compile("^Add to cart")).first.click()
    expect(page.locator("#cart-feedback")).to_contain_text("Added to your cart")
    expect(page.locator("#cart-count")).to_have_text("1")  # the header badge, swapped out of band
    assert same_document(page)

    main_nav(page, "Wishlist").click()
    page.wait_for_url(shop.url("/wishlist"))
    expect(page.locator("main")).to_contain_text(title)
    page.locator("#cart-link").click()
    page.wait_for_url(shop.url("/cart"))
    expect(page.locator("#cart .cart-line")).to_have_count(1)
    expect(page.locator("#cart .cart-line")).to_contain_text(title)
    screenshot(page, "cart")
    return title


def register_and_confirm(page, shop: Shop, title: str) -> None:
    """Create an account, open the confirmation link from the development outbox, confirm."""
    page.goto("/account/register")
    page.get_by_label("Name").fill("Record Buyer")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/account/check-email"))
    page.get_by_role("link", name="outbox").click()
    page.wait_for_url(shop.url("/dev/outbox"))
    email = page.locator("article.outbox-email").filter(has=page.locator(".outbox-to", has_text=EMAIL)).first
    confirm_url = link_in(email.locator(".outbox-body").inner_text(), "/account/confirm/")
    assert confirm_url == link_in(shop.latest_email_body(EMAIL) or "", "/account/confirm/")  # the stored row
    email.get_by_role("link", name=confirm_url).click()
    page.get_by_role("button", name="Confirm my email").click()
    page.wait_for_url(shop.url("/account"))
    expect(page.get_by_text("Your email is confirmed and you're logged in")).to_be_visible()
    main_nav(page, "Wishlist").click()
    page.wait_for_url(shop.url("/wishlist"))
    expect(page.locator("main")).to_contain_text(title)  # the guest wishlist moved into the account


def check_out_and_pay(page, shop: Shop, title: str) -> str:
    """Cart → checkout → the sandbox's hosted page → back to the confirmation, which turns paid."""
    page.locator("#cart-link").click()
    page.wait_for_url(shop.url("/cart"))
    expect(page.locator("#cart .cart-line")).to_contain_text(title)  # the guest cart survived the login
    page.get_by_role("link", name="Check out").click()
    page.wait_for_url(shop.url("/checkout"))
    expect(page.get_by_text(f"You're ordering as {EMAIL}")).to_be_visible()
    page.get_by_role("button", name="Continue to secure payment").click()

    page.wait_for_url(re.compile(re.escape(shop.sandbox.base_url) + r"/checkout/"))
    expect(page.locator("table")).to_contain_text(title)
    page.get_by_label("Card number").fill(CARD)
    page.get_by_label("Expiry (MM/YY)").fill("12/30")
    # While the ECS's order API fails, neither the payment webhooks nor the page's own poll can learn
    # that the order is paid: the confirmation must first say "waiting", then turn paid by itself.
    shop.sandbox.control("POST", "faults", json={"rules": [
        {"path_prefix": "/v2/orders", "kind": "server_error", "status": 503}]})
    try:
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()
        page.wait_for_url(re.compile(re.escape(shop.url("/orders/confirmation/"))))
        page.evaluate(f"{MARKER} = 'same document'")
        status = page.locator("#order-status .order-state")
        expect(status).to_have_attribute("data-status", "pending_payment")
        expect(status).to_contain_text("Waiting for payment confirmation")
        expect(page.locator("#order-status")).to_have_attribute("hx-trigger", "every 2s")
    finally:
        shop.sandbox.control("DELETE", "faults")
    expect(status).to_have_attribute("data-status", "paid", timeout=20_000)  # polled by HTMX every 2 s
    expect(status).to_contain_text("Paid")
    expect(page.locator("#order-status")).not_to_have_attribute("hx-trigger", re.compile("."))  # polling stops
    assert same_document(page)
    number = page.locator("#order-status h2").inner_text().removeprefix("Order ").strip()
    screenshot(page, "confirmation")
    return number


def look_up_the_order(page, shop: Shop, number: str) -> None:
    main_nav(page, "Order status").click()
    page.wait_for_url(shop.url("/orders/status"))
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Email address").fill(EMAIL.upper())
    page.get_by_role("button", name="Find my order").click()
    expect(page.locator("#order-status h2")).to_have_text(f"Order {number}")
    expect(page.locator("#order-status .order-state")).to_have_attribute("data-status", "paid")
    expect(page.locator("#cart-count")).to_have_text("0")  # paying emptied the cart


def test_shopper_filters_buys_registers_pays_and_looks_up_the_order(page, shop: Shop):
    filter_and_search_with_htmx(page, shop)
    title = save_and_add_to_cart(page, shop)
    register_and_confirm(page, shop, title)
    number = check_out_and_pay(page, shop, title)
    look_up_the_order(page, shop, number)
