"""Database plumbing: bulk inserts (COPY on PostgreSQL), SQLite tuning, UTC timestamps."""
