"""Bearer API tokens for customers and staff (only their SHA-256 is stored)."""
