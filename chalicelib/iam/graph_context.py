"""The request context of one hop of the reachability graph, and what it requires of the caller, in words.

A trust statement with conditions is still an edge when the caller can satisfy them by choice: it passes the
ExternalId the policy asks for, signs in with MFA, calls from the right network, names its session, tags it.
`hop_context` sets exactly those *free* keys so the statement's conditions hold (and so a Deny that would hit
a caller who leaves such a key out does not), and words each choice as a requirement ("requires MFA").
Which keys are free is the caller's business: for loaded principals only `is_caller_chosen` keys are, since
the keys that say who the caller is (aws:PrincipalArn, aws:PrincipalOrgID, aws:PrincipalTag/…) come from the
snapshot; for principals outside the snapshot those are free too, and become requirements ("requires
aws:PrincipalOrgID = o-123"). The evaluator still decides every hop: a value chosen here only makes the hop
possible, never allowed by itself.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from .condition import holds_when_absent
from .context import MULTIVALUED_KEYS
from .operators import parse_operator
from .policy import Condition, Statement

KeyFilter = Callable[[str], bool]

# Keys the caller sets in its own request (ASSUME_ROLE.md §8 R8.3): none of them says who the caller is.
CALLER_CHOSEN_KEYS = frozenset(
    {
        *("sts:externalid", "sts:rolesessionname", "sts:sourceidentity", "sts:transitivetagkeys"),
        *("sts:durationseconds", "aws:sourceidentity", "aws:tagkeys", "aws:tokenissuetime"),
        *("aws:multifactorauthpresent", "aws:multifactorauthage", "aws:sourceip", "aws:sourcevpc"),
        *("aws:sourcevpce", "aws:vpcsourceip", "aws:useragent", "aws:referer", "aws:requestedregion"),
    }
)
# Keys AWS fixes from who the caller is (§8 R8.2): taken from the snapshot, never chosen for a loaded caller.
PRINCIPAL_KEYS = frozenset(
    {
        *("aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths"),
        *("aws:userid", "aws:username", "aws:principaltype"),
        *("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"),
    }
)
_CLAIM = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+(/[^:]*)?:[\w.-]+")  # web identity claims: issuer:claim
_EQUALITY = ("StringEquals", "StringEqualsIgnoreCase", "ArnEquals", "Bool", "NumericEquals", "BinaryEquals")
_LIKE = ("StringLike", "ArnLike")
_STEP = {"NumericLessThan": Decimal(-1), "NumericGreaterThan": Decimal(1)}
_AT_BOUND = ("NumericLessThanEquals", "NumericGreaterThanEquals", "DateEquals", "DateLessThanEquals")


def is_caller_chosen(key: str) -> bool:
    """True for keys any caller sets as it likes (ExternalId, MFA, source IP, session name, request tags…)."""
    lowered = key.lower()
    return lowered in CALLER_CHOSEN_KEYS or lowered.startswith("aws:requesttag/")


def is_principal_key(key: str) -> bool:
    """True for keys that say who the caller is: its ARN, account, organization, tags, IdP claims."""
    lowered = key.lower()
    if lowered in PRINCIPAL_KEYS or lowered.startswith(("aws:principaltag/", "saml:")):
        return True
    return bool(_CLAIM.fullmatch(lowered)) and not lowered.startswith(("aws:", "sts:"))


def environment(now: datetime) -> dict[str, str]:
    """Keys the world sets: STS is only reachable over TLS, and the time is the time of the audit."""
    return {
        "aws:SecureTransport": "true",
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
    }


@dataclass(frozen=True, slots=True)
class HopContext:
    """The free keys of one hop's request and the requirement each one stands for."""

    values: dict[str, str | list[str]] = field(default_factory=dict)
    requirements: tuple[str, ...] = ()


def hop_context(allow: Statement, denies: Sequence[Statement], free: KeyFilter) -> HopContext:
    """Values of the free keys that make the clauses of ``allow`` hold and keep ``denies`` from hitting a
    caller that left a key out; each value set is a requirement. The first value chosen for a key stays."""
    values: dict[str, str | list[str]] = {}
    requirements: list[str] = []
    clauses = [(c, True) for c in allow.condition] + [(c, False) for s in denies for c in s.condition]
    # Null clauses last: a value chosen for a comparison also makes the key present.
    for condition, holds in sorted(clauses, key=lambda pair: pair[0].operator == "Null"):
        if free(condition.key) and condition.key.lower() not in {key.lower() for key in values}:
            chosen = _choose(condition, holds=holds)
            if chosen is not None:
                values[condition.key], requirement = chosen
                requirements.append(requirement)
    return HopContext(values, tuple(dict.fromkeys(requirements)))


def _choose(condition: Condition, *, holds: bool) -> tuple[str | list[str], str] | None:
    """A value for ``condition.key`` so the clause holds (Allow) or does not (Deny), with its requirement;
    None when leaving the key out already gives that outcome, or when no value can be chosen safely."""
    operator = parse_operator(condition.operator)
    if operator is None:
        return None  # the evaluator reports unknown operators; no value satisfies them
    if operator.base is None:  # Null: "false" wants the key present, "true" wants it absent
        if ("false" in (v.lower() for v in condition.values)) != holds:
            return None
        return "set-by-caller", f"requires {condition.key} to be set"
    if holds_when_absent(operator) == holds:
        return None
    # The positive form of the operator; a Deny on a negated operator is avoided by matching its values.
    name = condition.operator.rpartition(":")[2].removesuffix("IfExists")
    positive = name.replace("Not", "", 1) if operator.base.negated else name
    match = holds != operator.base.negated
    value = _matching_value(positive, condition.values)
    if value is not None and not match:
        value = _opposite_bool(positive, value)
    if value is None:
        return None
    multi = operator.set_kind != "" or condition.key.lower() in MULTIVALUED_KEYS
    return ([value] if multi else value), _words(condition, positive, value, match)


def _matching_value(name: str, policy_values: Sequence[str]) -> str | None:
    """A request value that matches one of the policy's values under the positive operator ``name``."""
    usable = [v for v in policy_values if "${" not in v]
    if not usable:
        return None  # a policy variable: the value depends on the caller, so nothing is chosen
    first = usable[0]
    if name in _EQUALITY or name in _AT_BOUND:
        return first.lower() if name == "Bool" else first
    if name in _LIKE:
        return first.replace("*", "").replace("?", "x")
    if name == "IpAddress":
        return _first_address(first)
    if name in _STEP:
        return _stepped(first, _STEP[name])
    return None


def _first_address(cidr: str) -> str | None:
    try:
        return str(ipaddress.ip_network(cidr.strip(), strict=False).network_address)
    except ValueError:
        return None


def _stepped(number: str, step: Decimal) -> str | None:
    try:
        return str(Decimal(number.strip()) + step)
    except InvalidOperation:
        return None


def _opposite_bool(name: str, value: str) -> str | None:
    # Only a Bool can be made not to match for certain; for other families there is no safe pick.
    return {"true": "false", "false": "true"}.get(value) if name == "Bool" else None


def _words(condition: Condition, positive: str, value: str, matched: bool) -> str:
    key = condition.key
    if key.lower() == "aws:multifactorauthpresent" and value == "true":
        return "requires MFA"
    shown = " or ".join(condition.values) if matched else value
    if positive in _EQUALITY or not matched:
        return f"requires {key} = {shown}"
    if positive in _LIKE:
        return f"requires {key} like {shown}"
    if positive == "IpAddress":
        return f"requires {key} in {shown}"
    return f"requires {condition.operator} {key} {shown}"
