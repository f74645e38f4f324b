"""Content pages: staff write them (Markdown or HTML, sanitised by nh3), shoppers read published ones
at /pages/<slug>, and the header and footer link them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.content.models import ContentPage
from storefront.content.render import render_body
from storefront.demo.content import DEMO_PAGES, ensure_demo_pages
from storefront.extensions import db
from tests.support.accounts import install_test_login, login, make_staff
from tests.support.pages import csrf_token, soup

XSS_BODY = """\
## Opening hours

<script>document.cookie</script>Tuesday to Sunday.

<img src="/static/favicon.svg" alt="logo" onerror="alert(1)">

[Our map](javascript:alert(document.domain)) and <a href="JaVaScRiPt:alert(1)">directions</a>
and <a href="https://example.org/map" onclick="steal()">the real map</a>.
"""


@pytest.fixture
def staff_client(app):
    install_test_login(app)
    staff = make_staff(app, "pages-desk@example.com")
    client = app.test_client()
    login(client, staff, password_step=False)
    return client


def page_form(token: str, **fields: str) -> dict[str, str]:
    form = {"title": "Opening hours", "slug": "hours", "body_format": "markdown", "body": "We are open.",
            "meta_description": "When to find us.", "display_order": "5", "published": "1",
            "show_in_footer": "1", "csrf_token": token}
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


def add_page(app, **fields) -> int:
    values = {"slug": "about", "title": "About", "body": "Hello", "body_format": "markdown", "published": True}
    values.update(fields)
    with app.app_context():
        page = ContentPage(**values, body_html=render_body(values["body"], values["body_format"]))
        db.session.add(page)
        db.session.commit()
        return page.id


# --- sanitising ------------------------------------------------------------------------------------

def test_script_onerror_and_javascript_links_are_removed_and_the_rest_renders():
    html = render_body(XSS_BODY, "markdown")
    lowered = html.lower()
    assert "<script" not in lowered and "document.cookie" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered and "javascript:" not in lowered.replace(
        "[our map](javascript:", "")  # Markdown leaves a refused link as plain text, never as a link
    assert '<a href="javascript' not in lowered and "href=\"javascript" not in lowered
    assert "<h2>Opening hours</h2>" in html and "Tuesday to Sunday." in html
    assert '<img src="/static/favicon.svg" alt="logo">' in html
    assert '<a href="https://example.org/map" rel="noopener noreferrer">the real map</a>' in html
    assert "<a rel=\"noopener noreferrer\">directions</a>" in html  # the text stays, the link goes


def test_html_bodies_are_sanitised_the_same_way():
    html = render_body('<p style="x" onmouseover="x()">Hi <iframe src="//evil"></iframe><b>there</b></p>'
                       '<svg onload="x()"><circle/></svg><a href="data:text/html,x">d</a>', "html")
    assert html == '<p>Hi <b>there</b></p><a rel="noopener noreferrer">d</a>'


def test_markdown_headings_start_below_the_page_title():
    assert render_body("# Top\n\n### Sub", "markdown") == "<h2>Top</h2>\n<h3>Sub</h3>"


# --- shoppers --------------------------------------------------------------------------------------

def test_a_published_page_renders_with_its_meta_description_and_unpublished_is_404(app, client):
    add_page(app, slug="about", title="About us", body=XSS_BODY, meta_description="Since 2009.")
    add_page(app, slug="draft", title="Secret plans", published=False)
    page = client.get("/pages/about")
    assert page.status_code == 200
    html = soup(page)
    assert html.find("h1").get_text() == "About us"
    assert html.find("meta", attrs={"name": "description"})["content"] == "Since 2009."
    assert "About us" in html.title.get_text()
    body = html.select_one(".content-body")
    assert not body.find("script") and not body.find(attrs={"onerror": True})
    assert all(not a.get("href", "").lower().startswith("javascript") for a in body.find_all("a"))
    assert "Tuesday to Sunday." in body.get_text()
    draft = client.get("/pages/draft")
    unknown = client.get("/pages/nothing-here")
    assert draft.status_code == unknown.status_code == 404
    assert "Secret plans" not in draft.get_data(as_text=True)
    assert client.get("/pages/BAD%20SLUG").status_code == 404


def test_header_and_footer_links_follow_the_pages_flags_and_order(app, client):
    add_page(app, slug="grading", title="Grading", show_in_footer=True, display_order=20)
    add_page(app, slug="about", title="About", show_in_header=True, show_in_footer=True, display_order=10)
    add_page(app, slug="hidden", title="Hidden draft", show_in_header=True, show_in_footer=True, published=False)
    add_page(app, slug="orphan", title="Linked from nowhere")
    html = soup(client.get("/"))
    header = [a.get_text() for a in html.select("nav.main-nav a")]
    footer = [(a.get_text(), a["href"]) for a in html.select("nav.footer-nav a")]
    assert "About" in header and "Grading" not in header and "Hidden draft" not in header
    assert footer == [("About", "/pages/about"), ("Grading", "/pages/grading")]


def test_the_demo_pages(app_ctx, client):
    assert [line for line in ensure_demo_pages()]
    assert list(ensure_demo_pages()) == []  # once only
    slugs = [slug for slug, *_rest in DEMO_PAGES]
    assert db.session.scalar(select(func.count()).select_from(ContentPage)) == len(slugs) == 5
    for slug in slugs:
        response = client.get(f"/pages/{slug}")
        assert response.status_code == 200, slug
        assert soup(response).find("meta", attrs={"name": "description"})["content"]
    grading = soup(client.get("/pages/grading"))
    assert [th.get_text() for th in grading.select(".content-body th")] == ["Grade", "What it means"]


# --- staff -----------------------------------------------------------------------------------------

def audit_actions(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(e.action, e.details) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("content_page.%")).order_by(AuditEntry.id))]


def test_staff_pages_need_a_staff_login(app, client):
    assert client.get("/staff/pages/").status_code == 302
    assert client.get("/staff/pages/new").status_code == 302
    assert client.post("/staff/pages/1/delete").status_code in (302, 303, 400)


def test_staff_create_edit_delete_with_csrf_and_audit(app, staff_client, client):
    assert staff_client.post("/staff/pages/new", data=page_form("")).status_code == 400  # no CSRF token
    token = csrf_token(staff_client, "/staff/pages/new")
    created = staff_client.post("/staff/pages/new", data=page_form(token, body=XSS_BODY))
    assert created.status_code == 303
    with app.app_context():
        page = db.session.scalar(select(ContentPage))
        assert (page.slug, page.published, page.show_in_footer, page.show_in_header, page.display_order) == (
            "hours", True, True, False, 5)
        assert "<script" not in page.body_html and "<script>" in page.body  # the source is kept as written
        page_id = page.id
    assert "Opening hours" in soup(client.get("/")).select_one("nav.footer-nav").get_text()

    edited = staff_client.post(f"/staff/pages/{page_id}", data=page_form(
        token, title="Hours", body="<p>Open <em>late</em> on Fridays</p>", body_format="html", published=None))
    assert edited.status_code == 303
    assert client.get("/pages/hours").status_code == 404  # unpublished now
    assert "Hours" not in soup(client.get("/")).select_one("footer").get_text()
    with app.app_context():
        assert db.session.get(ContentPage, page_id).body_html == "<p>Open <em>late</em> on Fridays</p>"
    listing = soup(staff_client.get("/staff/pages/"))
    assert "draft" in listing.find("tr", attrs={"data-page-id": str(page_id)}).get_text()
    assert "Pages" in listing.find("nav", class_="staff-nav").get_text()

    assert staff_client.post(f"/staff/pages/{page_id}/delete", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.get(ContentPage, page_id) is None
    actions = audit_actions(app)
    assert [a for a, _ in actions] == ["content_page.created", "content_page.updated", "content_page.deleted"]
    assert set(actions[1][1]["changes"]) == {"title", "body", "body_format", "published"}
    assert staff_client.get(f"/staff/pages/{page_id}").status_code == 404


def test_bad_input_is_shown_per_field_and_changes_nothing(app, staff_client):
    add_page(app, slug="taken")
    token = csrf_token(staff_client, "/staff/pages/new")
    bad = page_form(token, slug="taken", title="", body_format="rtf", display_order="-3",
                    meta_description="x" * 301, body="a" * 100_001)
    response = staff_client.post("/staff/pages/new", data=bad)
    assert response.status_code == 400
    errors = {p["id"].removesuffix("-error"): p.get_text() for p in soup(response).select("p.field-error")}
    assert set(errors) == {"slug", "title", "body_format", "display_order", "meta_description", "body"}
    assert errors["slug"] == "Another page already uses this address."
    for slug in ("Has Spaces", "-dash", "a--b", "ünïcode", "x" * 81):
        response = staff_client.post("/staff/pages/new", data=page_form(token, slug=slug))
        assert response.status_code == 400, slug
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContentPage)) == 1
    assert audit_actions(app) == []


def test_preview_renders_sanitised_html_without_saving(app, staff_client):
    token = csrf_token(staff_client, "/staff/pages/new")
    fragment = staff_client.post("/staff/pages/preview", headers={"HX-Request": "true"},
                                 data={"csrf_token": token, "body": XSS_BODY, "body_format": "markdown"})
    assert fragment.status_code == 200
    preview = soup(fragment).find(id="page-preview")
    assert preview.find("h2").get_text() == "Opening hours" and not preview.find("script")
    assert not preview.find(attrs={"onerror": True})
    # Without JavaScript: the Preview button shows the form again with the preview under it.
    full = staff_client.post("/staff/pages/new", data=page_form(token, body="**bold**", action="preview"))
    assert full.status_code == 200
    html = soup(full)
    assert html.find(id="page-preview").find("strong").get_text() == "bold"
    assert html.find("textarea", attrs={"name": "body"}).get_text() == "**bold**"
    assert staff_client.post("/staff/pages/preview", data={"body": "x"}).status_code == 400  # CSRF
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContentPage)) == 0
