"""Staff photos of a release or of one copy: checked by content, re-encoded without metadata,
cut to the sizes the pages use, kept under instance/ or in an S3-compatible bucket, and sent to
the ECS as a CatalogImage so the till shows them too."""
