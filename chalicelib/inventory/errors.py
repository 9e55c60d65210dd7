"""The inventory layer's own error: what could not be read, from which account, and through which call."""

from __future__ import annotations


class InventoryError(Exception):
    """An account (or the organization) that could not be read.

    The boto3 adapters raise it in place of botocore's ``ClientError`` so that nothing above them needs to know
    botocore. ``account_id`` is None when the failure is not tied to one account (the caller's credentials, the
    organization); ``source`` names the API call or role involved, as the ``errors`` list of a scan shows it.
    """

    def __init__(self, account_id: str | None, message: str, *, source: str = "inventory") -> None:
        self.account_id = account_id
        self.message = message
        self.source = source
        super().__init__(f"account {account_id}: {message}" if account_id else message)
