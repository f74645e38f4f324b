"""Event-space inquiries: the public form and API, staff notifications, the back-office list."""
