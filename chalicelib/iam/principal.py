"""Who is calling (`Caller`) and how a trust statement's ``Principal`` matches it (ASSUME_ROLE.md §3).

IAM stores principals as unique ids and shows ARNs for the entities that exist, so comparing the ARNs of a
stored policy is exact; a raw unique id (``AROA…``) matches only the entity that currently has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .arn import Arn, is_account_id, role_arn, try_parse
from .errors import InvalidRequestError
from .policy import Principal

WEB_IDENTITY_PROVIDERS = frozenset(
    {"cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com"}
)
_UNIQUE_ID = re.compile(r"A[A-Z0-9]{3}[A-Z0-9]{12,}")
_UNIQUE_ID_KIND = {"AIDA": "user", "AROA": "role"}


class CallerKind(StrEnum):
    USER = "user"
    ROLE_SESSION = "role-session"
    FEDERATED_USER = "federated-user"
    ROOT = "root"
    SERVICE = "service"
    WEB_IDENTITY = "web-identity"
    SAML = "saml"


class MatchClass(StrEnum):
    """How a trust statement's principal matched the caller (ASSUME_ROLE.md §2.3 step 6)."""

    SESSION = "session"  # the exact session ARN (or federated-user ARN)
    USER = "user"  # the exact IAM user ARN (or its unique id)
    WILDCARD = "wildcard"  # "*" or {"AWS": "*"}
    ROLE = "role"  # the ARN (or unique id) of the role the caller is a session of
    ACCOUNT = "account"  # arn:…:root or the bare account id of the caller's account
    SERVICE = "service"
    FEDERATED = "federated"


DIRECT_GRANTS = frozenset({MatchClass.SESSION, MatchClass.USER, MatchClass.WILDCARD})


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal making the STS request.

    ``arn`` is the user ARN, the session ARN, the root ARN, the service principal name, or the identity
    provider (ARN or well-known name). ``role_arn`` is the IAM role ARN (with its path when known) of a
    role session; ``session_name`` may be unknown when the caller stands for "any session of the role".
    """

    kind: CallerKind
    arn: str
    account: str | None = None
    partition: str = "aws"
    role_arn: str | None = None
    session_name: str | None = None
    unique_id: str | None = None

    @property
    def principal_arn(self) -> str:
        """The value of ``aws:PrincipalArn``: the role ARN for a role session, else the caller ARN."""
        return self.role_arn if self.kind is CallerKind.ROLE_SESSION and self.role_arn else self.arn

    @property
    def is_iam(self) -> bool:
        return self.kind in (CallerKind.USER, CallerKind.ROLE_SESSION)


def caller_from_principal(text: str, *, action: str = "sts:AssumeRole", role_path: str | None = None) -> Caller:
    """Classify a caller given as an ARN, a service principal or an identity provider.

    An IAM role ARN stands for a session of that role (the session name is then unknown).
    """
    parsed = try_parse(text)
    if parsed is None:
        return _non_arn_caller(text, action)
    kind = parsed.resource_type
    if parsed.service == "sts" and kind == "assumed-role":
        parts = parsed.resource.split("/")
        if len(parts) != 3 or not all(parts):
            raise InvalidRequestError(f"malformed session ARN: {text!r}")
        role = role_arn(parsed.account, parts[1], role_path or "/", parsed.partition)
        return Caller(CallerKind.ROLE_SESSION, text, parsed.account, parsed.partition, role, parts[2])
    if parsed.service == "sts" and kind == "federated-user":
        return Caller(CallerKind.FEDERATED_USER, text, parsed.account, parsed.partition)
    if parsed.service == "iam" and kind in ("user", "role", "root", "oidc-provider", "saml-provider"):
        return _iam_arn_caller(text, parsed, kind)
    raise InvalidRequestError(f"not a principal that can call STS: {text!r}")


def _iam_arn_caller(text: str, parsed: Arn, kind: str) -> Caller:
    if kind == "user":
        return Caller(CallerKind.USER, text, parsed.account, parsed.partition)
    if kind == "role":
        return Caller(CallerKind.ROLE_SESSION, text, parsed.account, parsed.partition, role_arn=text)
    if kind == "root":
        return Caller(CallerKind.ROOT, text, parsed.account, parsed.partition)
    provider_kind = CallerKind.SAML if kind == "saml-provider" else CallerKind.WEB_IDENTITY
    return Caller(provider_kind, text, parsed.account, parsed.partition)


def _non_arn_caller(text: str, action: str) -> Caller:
    if text in WEB_IDENTITY_PROVIDERS and action.lower() == "sts:assumerolewithwebidentity":
        return Caller(CallerKind.WEB_IDENTITY, text)
    if re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?", text):
        return Caller(CallerKind.SERVICE, text)
    raise InvalidRequestError(f"not a principal ARN, service principal or identity provider: {text!r}")


@dataclass(frozen=True, slots=True)
class PrincipalMatch:
    match_class: MatchClass
    entry: str  # the principal entry that matched, as written in the policy

    def describe(self) -> str:
        return f"{self.match_class.value} principal {self.entry}"


def match_principal(principal: Principal, caller: Caller) -> tuple[PrincipalMatch, ...]:
    """Every entry of ``principal`` that matches the caller, with how it matched."""
    matches = [
        PrincipalMatch(cls, entry)
        for entry in principal.aws_entries
        if (cls := _match_aws_entry(entry, caller)) is not None
    ]
    if caller.kind is CallerKind.SERVICE:
        matches += [PrincipalMatch(MatchClass.SERVICE, e) for e in principal.service if e == caller.arn]
    if caller.kind in (CallerKind.WEB_IDENTITY, CallerKind.SAML):
        matches += [PrincipalMatch(MatchClass.FEDERATED, e) for e in principal.federated if e == caller.arn]
    return tuple(matches)


def _match_aws_entry(entry: str, caller: Caller) -> MatchClass | None:
    if entry == "*":
        return MatchClass.WILDCARD
    if caller.account is None or caller.kind in (CallerKind.WEB_IDENTITY, CallerKind.SAML):
        return None
    if is_account_id(entry):
        return MatchClass.ACCOUNT if entry == caller.account else None
    if is_unique_id(entry):
        return _match_unique_id(entry, caller)
    parsed = try_parse(entry)
    if parsed is None or parsed.partition != caller.partition or parsed.account != caller.account:
        return None
    return _match_arn_entry(entry, parsed, caller)


def _match_arn_entry(entry: str, parsed: Arn, caller: Caller) -> MatchClass | None:
    kind = parsed.resource_type
    if parsed.service == "iam" and parsed.resource == "root":
        return MatchClass.ACCOUNT
    if parsed.service == "iam" and kind == "user" and caller.kind is CallerKind.USER:
        return MatchClass.USER if entry == caller.arn else None
    if parsed.service == "iam" and kind == "role" and caller.kind is CallerKind.ROLE_SESSION and caller.role_arn:
        # Session ARNs carry no path and role names are unique case-insensitively: compare the names.
        same_role = parsed.resource_name.lower() == Arn.parse(caller.role_arn).resource_name.lower()
        return MatchClass.ROLE if same_role else None
    if parsed.service == "sts" and kind in ("assumed-role", "federated-user"):
        return MatchClass.SESSION if entry == caller.arn and "*" not in entry else None
    return None


def _match_unique_id(entry: str, caller: Caller) -> MatchClass | None:
    if caller.unique_id is None or entry != caller.unique_id:
        return None
    return MatchClass.USER if caller.kind is CallerKind.USER else MatchClass.ROLE


def is_unique_id(entry: str) -> bool:
    """An IAM unique id (``AROA…``, ``AIDA…``), as IAM shows a principal that no longer exists."""
    return _UNIQUE_ID.fullmatch(entry) is not None


def unique_id_kind(entry: str) -> str | None:
    """``user`` or ``role`` for an IAM unique id in a principal entry, else None."""
    return _UNIQUE_ID_KIND.get(entry[:4]) if is_unique_id(entry) else None
