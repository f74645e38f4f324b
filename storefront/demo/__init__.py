"""The demo shop: migrate, start the bundled ECS sandbox, load the catalog, serve."""
