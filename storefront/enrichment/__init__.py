"""Staff enrichment of catalog items: the item list, the enrichment form, Discogs search and apply."""
