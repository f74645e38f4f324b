"""Shopping carts: server-side rows found by a token (session cookie for pages, header for the API)."""
