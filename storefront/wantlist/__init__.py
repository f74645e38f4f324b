"""Wantlists: shoppers follow a release, an artist or a saved search and get back-in-stock digests."""
