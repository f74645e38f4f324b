"""Page bodies → safe HTML: Markdown through markdown-it-py, then every body through nh3.

nh3 (Rust's ammonia) parses HTML the way a browser does and keeps only an allowlist: scripts and
styles go with their content, event-handler attributes (``onerror=`` …) and ``javascript:`` /
``data:`` URLs are dropped, links get ``rel="noopener noreferrer"``. Markdown may contain raw HTML,
so its output is sanitised too — the sanitiser is the one gate every body goes through.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
    "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"])


def sanitise(html: str) -> str:
    """HTML with everything outside the allowlist removed."""
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                     clean_content_tags={"script", "style", "iframe", "object", "template"},
                     link_rel="noopener noreferrer", strip_comments=True)


def render_body(body: str, body_format: str) -> str:
    """The sanitised HTML of a page body written in ``body_format`` ("markdown" or "html")."""
    html = _markdown_html(body) if body_format == "markdown" else body
    return sanitise(html).strip()


def _markdown_html(body: str) -> str:
    """Markdown → HTML; a ``#`` heading becomes ``<h2>``: the page's title is its only ``<h1>``."""
    tokens = _markdown.parse(body)
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"
    return _markdown.renderer.render(tokens, _markdown.options, {})
