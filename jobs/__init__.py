"""RQ entry points: thin functions taking ids, run in an app context, calling storefront services.

The storefront enqueues them by dotted name through :mod:`storefront.tasks`; this package
imports the storefront, never the reverse. Each job raises on failure so retries and RQ's
failed registry work.
"""
