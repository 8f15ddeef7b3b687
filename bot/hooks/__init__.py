"""Inbound webhooks (WSGI apps mounted by the HTTP server of `annobot run`)."""
