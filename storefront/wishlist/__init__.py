"""Wishlists: saved items per customer (or per browser session for guests), shareable read-only."""
