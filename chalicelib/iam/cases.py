"""Decision cases in the format of ``assume-role-vectors.json``: one JSON object per case.

Fields: ``name``, ``principal`` (user ARN, session ARN, role ARN, service principal or identity provider),
``role``, ``action``, ``identity`` (list of ``{name, policy}``), ``trust``, optional ``boundary`` (list of
``{name, policy}``), ``sessionPolicy``, ``scps``/``rcps`` (lists of ``{orgIdentifier, policies}``, root
first) and ``context``. Extra fields (``expect``, ``note``) are ignored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .arn import Arn
from .context import RequestContext
from .entities import NamedPolicy, PolicyLevel
from .errors import ArnError, InvalidRequestError, PolicyParseError
from .evaluate import Decision, can_assume
from .policy import parse_policy
from .principal import caller_from_principal
from .request import AssumeRoleRequest
from .trust import trust_policy_problems


class _NamedPolicyCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    policy: Any


class _LevelCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    org_identifier: str = Field(alias="orgIdentifier")
    policies: list[_NamedPolicyCase]


class RequestCase(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = ""
    principal: str
    role: str
    action: str = "sts:AssumeRole"
    identity: list[_NamedPolicyCase] = []
    trust: Any
    boundary: list[_NamedPolicyCase] | None = None
    session_policy: Any = Field(default=None, alias="sessionPolicy")
    scps: list[_LevelCase] = []
    rcps: list[_LevelCase] = []
    context: dict[str, str | list[str]] = {}


def _named(items: list[_NamedPolicyCase], source: str, field: str) -> tuple[NamedPolicy, ...]:
    return tuple(
        NamedPolicy(item.name, parse_policy(item.policy, source=f"{source}: {field}[{i}] ({item.name})"))
        for i, item in enumerate(items)
    )


def _levels(levels: list[_LevelCase], source: str, field: str) -> tuple[PolicyLevel, ...]:
    return tuple(
        PolicyLevel(level.org_identifier, _named(level.policies, source, f"{field}[{i}].policies"))
        for i, level in enumerate(levels)
    )


def _case_location(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + p for i, p in enumerate(loc))


def request_from_case(data: object, *, source: str = "case") -> tuple[str, AssumeRoleRequest]:
    """Parse one case into its name and request; bad input raises PolicyParseError naming the place."""
    try:
        case = RequestCase.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PolicyParseError(str(first["msg"]), source=source, location=_case_location(tuple(first["loc"]))) from None
    source = f"{source} ({case.name})" if case.name else source
    try:
        Arn.parse(case.role)
        caller = caller_from_principal(case.principal, action=case.action)
    except (ArnError, InvalidRequestError) as exc:
        raise PolicyParseError(str(exc), source=source) from None
    session = parse_policy(case.session_policy, source=f"{source}: sessionPolicy") if case.session_policy else None
    request = AssumeRoleRequest(
        caller=caller,
        role_arn=case.role,
        trust_policy=parse_policy(case.trust, source=f"{source}: trust"),
        action=case.action,
        identity_policies=_named(case.identity, source, "identity"),
        permissions_boundary=_named(case.boundary, source, "boundary") if case.boundary is not None else None,
        session_policy=NamedPolicy("session", session) if session else None,
        scps=_levels(case.scps, source, "scps"),
        rcps=_levels(case.rcps, source, "rcps"),
        context=RequestContext(case.context),
    )
    return case.name, request


def decide_case(data: object, *, source: str = "case") -> tuple[str, AssumeRoleRequest, Decision]:
    """Parse a case, refuse a trust policy IAM would reject, decide it. What the CLI and the Lambda share.

    Bad input raises PolicyParseError (or InvalidRequestError for a request AWS would reject outright).
    """
    name, request = request_from_case(data, source=source)
    problems = trust_policy_problems(request.trust_policy)
    if problems:
        where = f"{source} ({name})" if name else source
        raise PolicyParseError(f"{problems[0]} (IAM would refuse this trust policy)", source=f"{where}: trust")
    return name, request, can_assume(request)


def decision_json(name: str, decision: Decision) -> dict[str, object]:
    """``{"name", "decision", "reasons"}`` (CONTRACTS.md §4), plus ``unknown`` when something was undecidable."""
    result: dict[str, object] = {"name": name, "decision": decision.decision.value, "reasons": list(decision.reasons)}
    if decision.unknown:
        result["unknown"] = list(decision.unknown)
    return result
