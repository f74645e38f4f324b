"""The local catalog: a mirror of the ECS's items, plus staff enrichment kept apart from it."""
