"""Shipping zones and methods, and the rates a cart gets for an address."""
