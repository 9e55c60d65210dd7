"""Evaluate a statement's Condition block against a request context (spec §6).

Every clause (one operator and one key) is evaluated, even after one fails, so that the explanation of a
decision names every clause. Anything the evaluator cannot decide - an unknown operator, an unknown key,
a number that is not a number - makes its clause not hold and is reported in `ConditionResult.unknown`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .context import RequestContext
from .operators import (
    BaseOperator,
    Operator,
    UndecidableValueError,
    escape_literal,
    parse_operator,
    policy_pattern,
    unescape,
)
from .policy import Condition

_FIXED_KEYS = (
    "aws:PrincipalArn aws:PrincipalAccount aws:PrincipalOrgID aws:PrincipalOrgPaths "
    "aws:PrincipalIsAWSService aws:PrincipalServiceName aws:PrincipalServiceNamesList aws:PrincipalType "
    "aws:userid aws:username "
    "aws:AssumedRoot aws:SourceAccount aws:SourceArn aws:SourceOrgID aws:SourceOrgPaths aws:SourceIp "
    "aws:SourceVpc aws:SourceVpcArn aws:SourceVpce aws:VpcSourceIp aws:VpceAccount aws:VpceOrgID "
    "aws:VpceOrgPaths aws:SourceIdentity aws:MultiFactorAuthPresent aws:MultiFactorAuthAge "
    "aws:SecureTransport aws:CurrentTime aws:EpochTime aws:TokenIssueTime aws:TagKeys aws:CalledVia "
    "aws:CalledViaFirst aws:CalledViaLast aws:ViaAWSService aws:RequestedRegion aws:UserAgent aws:Referer "
    "aws:FederatedProvider aws:ResourceAccount aws:ResourceOrgID aws:ResourceOrgPaths "
    "aws:Ec2InstanceSourceVpc aws:Ec2InstanceSourcePrivateIPv4 aws:SourceInstanceARN aws:IsMcpServiceAction "
    "sts:ExternalId sts:RoleSessionName sts:SourceIdentity sts:TransitiveTagKeys sts:AWSServiceName "
    "sts:DurationSeconds sts:RequestContextProviders sts:TaskPolicyArn sts:IdentityTokenAudience "
    "sts:SigningAlgorithm iam:PermissionsBoundary iam:PolicyARN iam:AWSServiceName iam:PassedToService "
    "iam:AssociatedResourceArn iam:OrganizationsPolicyId"
)
KNOWN_KEYS = frozenset(key.lower() for key in _FIXED_KEYS.split())
# Keys that take an open-ended suffix: tag keys, STS provided contexts, SAML assertion attributes.
KEY_PREFIXES = (
    "aws:principaltag/",
    "aws:requesttag/",
    "aws:resourcetag/",
    "iam:resourcetag/",
    "sts:requestcontext/",
    "saml:",
)
# Web-identity claims are named after the issuer: host (with a dot), optional path, then the claim.
_WEB_IDENTITY_KEY = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[^/:\s]+)*:[\w.-]+")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_REFERENCE = re.compile(r"\s*([^\s,']+)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPES = ("*", "?", "$")


@dataclass(frozen=True, slots=True)
class ConditionResult:
    matched: bool  # every clause holds; an empty Condition block matches
    reasons: tuple[str, ...]  # one sentence per clause, in policy order
    unknown: tuple[str, ...]  # what the evaluator could not decide; each such clause counts as not holding
    # True when every clause holds or could not be decided: what "assume the wider access" needs for an Allow.
    holds_if_undecided: bool = False


@dataclass(frozen=True, slots=True)
class _Verdict:
    holds: bool
    reason: str
    unknown: tuple[str, ...] = ()
    undecided: bool = False  # an unknown operator or a value that cannot be read: neither true nor false


def is_known_operator(operator: str) -> bool:
    return parse_operator(operator) is not None


def is_known_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in KNOWN_KEYS or _WEB_IDENTITY_KEY.fullmatch(lowered):
        return True
    return any(lowered.startswith(prefix) and len(lowered) > len(prefix) for prefix in KEY_PREFIXES)


def substitute_variables(text: str, context: RequestContext) -> str | None:
    """``text`` with its policy variables replaced; None when a key it names is absent and has no default."""
    expanded = _expand(text, context)
    return None if expanded is None else unescape(expanded)


def expand_variables(text: str, context: RequestContext) -> str | None:
    """``text`` with its variables resolved, in pattern form (what `arn_pattern_matches` reads): what a
    variable or an escape such as ``${*}`` produced stays literal. None as for `substitute_variables`."""
    return _expand(text, context)


def evaluate_conditions(
    conditions: Sequence[Condition], context: RequestContext, *, variables: bool = True
) -> ConditionResult:
    """AND of all clauses; ``variables`` is False for policies older than version 2012-10-17."""
    verdicts = [_evaluate(clause, context, variables) for clause in conditions]
    return ConditionResult(
        matched=all(verdict.holds for verdict in verdicts),
        reasons=tuple(verdict.reason for verdict in verdicts),
        unknown=tuple(dict.fromkeys(problem for verdict in verdicts for problem in verdict.unknown)),
        holds_if_undecided=all(verdict.holds or verdict.undecided for verdict in verdicts),
    )


def _expand(text: str, context: RequestContext) -> str | None:
    """``text`` in pattern form with its variables resolved; substituted text is literal, never a wildcard."""
    pieces: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        value = _resolve(match.group(1), context)
        if value is None:
            return None
        pieces += [policy_pattern(text[position : match.start()]), escape_literal(value)]
        position = match.end()
    return "".join([*pieces, policy_pattern(text[position:])])


def _resolve(body: str, context: RequestContext) -> str | None:
    if body in _ESCAPES:
        return body
    reference = _REFERENCE.fullmatch(body)
    if reference is None:
        return "${" + body + "}"  # not variable syntax, so IAM reads it as plain text
    key, default = reference.groups()
    values = context.values_of(key) if is_known_key(key) else None
    # Only a single value can be spliced into text; a multivalued key behaves like an absent one.
    return values[0] if values is not None and len(values) == 1 else default


def _unknown_variable_keys(values: Sequence[str]) -> tuple[str, ...]:
    keys = (_REFERENCE.fullmatch(match.group(1)) for value in values for match in _VARIABLE.finditer(value))
    return tuple(
        f"policy variable key '{ref.group(1)}' is not a known key; evaluated as absent"
        for ref in keys
        if ref is not None and ref.group(1) not in _ESCAPES and not is_known_key(ref.group(1))
    )


@dataclass(frozen=True, slots=True)
class _Clause:
    condition: Condition
    request: tuple[str, ...] | None  # None: the key is absent (or unknown, which AWS treats as absent)
    known_key: bool
    multivalued: bool

    @property
    def problems(self) -> tuple[str, ...]:
        if self.known_key:
            return ()
        return (f"condition key '{self.condition.key}' is not a known key; evaluated as absent",)

    def request_text(self) -> str:
        if not self.known_key:
            return "unknown key, evaluated as absent"
        if self.request is None:
            return "key absent"
        return f"request has {_show(self.request)}" if self.request else "key has no values"


def _evaluate(condition: Condition, context: RequestContext, variables: bool) -> _Verdict:
    operator = parse_operator(condition.operator)
    if operator is None:
        problem = (
            f"condition operator '{condition.operator}' (key '{condition.key}') is not a known operator; "
            "the clause does not hold"
        )
        return _Verdict(False, f"{condition.describe()}: unknown operator -> false", (problem,), undecided=True)
    known = is_known_key(condition.key)
    request = context.values_of(condition.key) if known else None
    clause = _Clause(condition, request, known, context.is_multivalued(condition.key))
    if operator.base is None:
        return _null(clause)
    return _evaluate_values(clause, operator, operator.base, context, variables)


def _null(clause: _Clause) -> _Verdict:
    condition = clause.condition
    wanted = {value.lower() for value in condition.values}
    if not wanted <= {"true", "false"}:
        problem = f"{condition.operator} {condition.key}: values must be true or false; the clause does not hold"
        reason = f"{condition.describe()}: values must be true or false -> false"
        return _Verdict(False, reason, (*clause.problems, problem), undecided=True)
    holds = ("true" if not clause.request else "false") in wanted
    return _Verdict(holds, f"{condition.describe()}: {clause.request_text()} -> {_tf(holds)}", clause.problems)


def _evaluate_values(
    clause: _Clause, operator: Operator, base: BaseOperator, context: RequestContext, variables: bool
) -> _Verdict:
    condition = clause.condition
    policy, variable_problems = _policy_values(condition, base, context, variables)
    problems = clause.problems + variable_problems
    described = condition.describe() + _resolved_text(condition, policy)
    try:
        _check_policy(base, policy)
        if clause.request and not operator.set_kind and clause.multivalued:
            outcome = f"request has {_show(clause.request)}; a multivalued key needs ForAnyValue:/ForAllValues:"
            return _Verdict(False, f"{described}: {outcome} -> false", problems)
        holds = _holds(operator, base, clause.request, policy)
    except UndecidableValueError as exc:
        problem = f"{condition.operator} {condition.key}: {exc}; the clause does not hold"
        return _Verdict(False, f"{described}: {exc} -> false", (*problems, problem), undecided=True)
    return _Verdict(holds, f"{described}: {clause.request_text()} -> {_tf(holds)}", problems)


def _check_policy(base: BaseOperator, policy: tuple[str | None, ...]) -> None:
    for value in policy:
        if value is not None:
            base.comparator.check(value)


def _policy_values(
    condition: Condition, base: BaseOperator, context: RequestContext, variables: bool
) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """The clause's values as the comparator reads them; None for a value whose variable resolved to null."""
    if not base.variables:
        return condition.values, ()
    if not variables:
        return tuple(policy_pattern(value) for value in condition.values), ()
    expanded = tuple(_expand(value, context) for value in condition.values)
    return expanded, _unknown_variable_keys(condition.values)


def _holds(
    operator: Operator, base: BaseOperator, request: tuple[str, ...] | None, policy: tuple[str | None, ...]
) -> bool:
    if not request:
        return holds_when_absent(operator)
    # Every request value is compared so that an unreadable one is reported, not skipped.
    results = [_value_holds(base, value, policy) for value in request]
    return any(results) if operator.set_kind == "ForAnyValue" else all(results)


def holds_when_absent(operator: Operator) -> bool:
    """Whether a clause (other than ``Null``) holds when its key is absent from the request."""
    if operator.set_kind == "ForAllValues" or operator.if_exists:
        return True
    if operator.set_kind == "ForAnyValue" or operator.base is None:
        return False
    return operator.base.negated


def _value_holds(base: BaseOperator, request: str, policy: tuple[str | None, ...]) -> bool:
    # A null policy value (unresolved variable) matches nothing, so a negated operator holds for it.
    hit = any(base.comparator.matches(request, value) for value in policy if value is not None)
    return hit != base.negated


def _resolved_text(clause: Condition, policy: tuple[str | None, ...]) -> str:
    if not any(_VARIABLE.search(value) for value in clause.values):
        return ""
    shown = [None if value is None else unescape(value) for value in policy]
    if shown == list(clause.values):
        return ""
    return f" (resolved: {_show(shown)})"


def _show(values: Sequence[str | None]) -> str:
    return json.dumps(values[0] if len(values) == 1 else list(values), ensure_ascii=False)


def _tf(holds: bool) -> str:
    return "true" if holds else "false"
