"""Discogs API client: release/master/label lookups and database search, normalized into plain dataclasses."""

from __future__ import annotations

from storefront.discogs.client import DiscogsClient, api_url
from storefront.discogs.errors import (
    DiscogsAuthError,
    DiscogsError,
    DiscogsInvalidRequest,
    DiscogsNotConfigured,
    DiscogsNotFound,
    DiscogsRateLimited,
    DiscogsUnavailable,
)
from storefront.discogs.types import (
    Artist,
    Format,
    Image,
    Label,
    LabelRef,
    Master,
    Release,
    SearchResult,
    SearchResults,
    Track,
)

__all__ = ["Artist", "DiscogsAuthError", "DiscogsClient", "DiscogsError", "DiscogsInvalidRequest",
           "DiscogsNotConfigured", "DiscogsNotFound", "DiscogsRateLimited", "DiscogsUnavailable", "Format", "Image",
           "Label", "LabelRef", "Master", "Release", "SearchResult", "SearchResults", "Track", "api_url"]
