"""Fixtures of the authorization tests: the fake Slack Web API."""

from __future__ import annotations

from tests.support.fakeslack import fake_slack

__all__ = ["fake_slack"]
