"""Lookup tables staff manage: genres and formats."""
