"""Outbound notifications: emails (SMTP or logged), Slack messages and JSON webhooks, sent by jobs."""
