"""Staff photos in a real browser: a staff member uploads a photo of one used copy from the item's
back-office page, sees it there, and the release page shows it beside that copy; desktop and phone
screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from storefront.catalog.models import Item, ItemVariation
from tests.support.accounts import PASSWORD, make_staff
from tests.support.browser import screenshot, staff_sign_in, wait_until

pytestmark = pytest.mark.browser
LOADED = "img => img.complete && img.naturalWidth > 0"


def copy_photo(path) -> None:
    image = Image.new("RGB", (1200, 1200), (236, 228, 210))
    draw = ImageDraw.Draw(image)
    draw.ellipse((150, 150, 1050, 1050), fill=(24, 24, 24))
    draw.ellipse((500, 500, 700, 700), fill=(190, 40, 50))
    image.save(path, "JPEG", quality=90)


def used_copy(shop) -> tuple[int, int, str]:
    def find() -> tuple[int, int, str]:
        from storefront.extensions import db

        row = db.session.execute(
            select(Item.id, ItemVariation.id, ItemVariation.name).join(ItemVariation, ItemVariation.item_id == Item.id)
            .where(Item.kind == "record", Item.is_deleted.is_(False), ItemVariation.media_grade != "",
                   ItemVariation.is_deleted.is_(False))
            .order_by(Item.id).limit(1)).one()
        return row[0], row[1], row[2]

    return shop.query(find)


@pytest.mark.parametrize("viewport, label", [({"width": 1280, "height": 900}, "desktop"),
                                             ({"width": 390, "height": 844}, "phone")])
def test_staff_upload_a_copy_photo_and_the_release_shows_it(open_browser, make_shop, sandbox, tmp_path,
                                                            viewport, label):
    sandbox.reset(items=40, shape="seller")
    shop = make_shop()
    make_staff(shop.app, "photos@example.com", name="Photo Person")
    item_id, variation_id, _name = used_copy(shop)
    context = open_browser(base_url=shop.base_url)
    page = context.pages[0] if context.pages else context.new_page()
    page.set_viewport_size(viewport)
    staff_sign_in(page, "photos@example.com", PASSWORD)
    page.goto(f"/staff/items/{item_id}#photos")

    photo = tmp_path / "copy.jpg"
    copy_photo(photo)
    form = page.locator("form.photo-upload")
    form.get_by_label("Photo").set_input_files(str(photo))
    form.get_by_label("Of").select_option(str(variation_id))
    form.get_by_label("Caption").fill("Label side A, light hairlines")
    form.get_by_role("button", name="Upload photo").click()
    page.wait_for_url(f"**/staff/items/{item_id}*")
    tile = page.locator("#photos .photo-tile").first
    assert "Label side A" in tile.inner_text()
    wait_until(lambda: tile.locator("img").evaluate(LOADED), what="the uploaded photo's thumbnail")
    tile.scroll_into_view_if_needed()
    screenshot(page, f"photos-staff-item-{label}")

    # a file that is not a picture is refused with the reason, and nothing is added
    fake = tmp_path / "notes.jpg"
    fake.write_bytes(b"these are my notes, not a photo\n" * 20)
    form.get_by_label("Photo").set_input_files(str(fake))
    form.get_by_role("button", name="Upload photo").click()
    page.wait_for_url(f"**/staff/items/{item_id}*")
    assert "not a JPEG, PNG or WebP" in page.locator(".flash-error").inner_text()
    assert page.locator("#photos .photo-tile").count() == 1

    page.goto(f"/catalog/{item_id}")
    beside = page.locator(f'.variation[data-variation-id="{variation_id}"] .copy-photos img').first
    beside.scroll_into_view_if_needed()
    wait_until(lambda: beside.evaluate(LOADED), what="the copy's photo on the release page")
    assert "/media/photos/" in beside.get_attribute("src")
    screenshot(page, f"photos-release-{label}")
