"""Local stand-ins for the services Trustwatch talks to, for the demo command and the tests."""

from __future__ import annotations

from .slack_standin import Post, SlackStandIn

__all__ = ["Post", "SlackStandIn"]
