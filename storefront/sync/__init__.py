"""Keeping the local catalog equal to the ECS: full and incremental sync runs."""
