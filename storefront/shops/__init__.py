"""Shops on this deployment. One shop ("default") until many-shop hosting lands: its code is what
tokens, cookies and caches are bound to, so they stay bound when more shops share a deployment."""
