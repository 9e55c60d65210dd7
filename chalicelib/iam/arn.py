"""Partition-aware ARNs, account ids and the role, user and session names inside them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ArnError

PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"})
_ACCOUNT_ID = re.compile(r"[0-9]{12}")


def is_account_id(text: str) -> bool:
    return _ACCOUNT_ID.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class Arn:
    """``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``; RESOURCE keeps any further colons."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, text: str) -> Arn:
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ArnError(f"not an ARN: {text!r}")
        _, partition, service, region, account, resource = parts
        if partition not in PARTITIONS:
            raise ArnError(f"unknown partition {partition!r} in {text!r}")
        if not service or not resource:
            raise ArnError(f"ARN without service or resource: {text!r}")
        return cls(partition, service, region, account, resource)

    @property
    def resource_type(self) -> str:
        """``role`` for ``role/path/name``, ``assumed-role`` for a session, ``root`` for an account."""
        return re.split(r"[/:]", self.resource, maxsplit=1)[0]

    @property
    def resource_name(self) -> str:
        """The last ``/`` segment: the role or user name without its path."""
        return self.resource.rsplit("/", 1)[-1]

    @property
    def path(self) -> str:
        """The IAM path of a user or role ARN: ``/`` or ``/a/b/``."""
        segments = self.resource.split("/")
        return "/" + "".join(s + "/" for s in segments[1:-1]) if len(segments) > 2 else "/"

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def try_parse(text: str) -> Arn | None:
    try:
        return Arn.parse(text)
    except ArnError:
        return None


def account_root_arn(account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root"


def role_arn(account: str, name: str, path: str = "/", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role{path}{name}"
