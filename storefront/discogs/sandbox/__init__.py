"""A local, wire-compatible Discogs Marketplace (see :mod:`storefront.discogs.sandbox.app`)."""

from storefront.discogs.sandbox.app import create_discogs_sandbox

__all__ = ["create_discogs_sandbox"]
