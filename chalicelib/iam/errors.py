"""Typed errors raised by the IAM core."""

from __future__ import annotations


class PolicyParseError(ValueError):
    """A policy document is not policy grammar: bad JSON, wrong types, unknown elements.

    `source` names the document (a file, a role, a policy name) and `location` the place inside it,
    e.g. ``Statement[1].Principal.AWS[0]``.
    """

    def __init__(self, message: str, *, source: str = "policy", location: str = "") -> None:
        self.source = source
        self.location = location
        self.detail = message
        where = f"{source}: {location}: " if location else f"{source}: "
        super().__init__(where + message)


class ArnError(ValueError):
    """A string that should be an ARN is not one."""


class InvalidRequestError(ValueError):
    """The AssumeRole request itself is invalid (not an authorization decision)."""
