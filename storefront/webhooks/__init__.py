"""Incoming ECS webhooks: signed receipt into a database inbox, processing jobs, reconciler and the staff DLQ."""
