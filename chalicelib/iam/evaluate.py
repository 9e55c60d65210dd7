"""The AssumeRole decision, step by step as in ASSUME_ROLE.md §2.

`can_assume` runs the pre-checks, then decides each required action independently (the API action plus
``sts:TagSession``/``sts:SetSourceIdentity`` when the request needs them) and combines them: any explicit
deny wins, otherwise every action must be allowed. Every step that decides leaves a reason naming the
policy and statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .context import RequestContext
from .entities import NamedPolicy
from .errors import InvalidRequestError
from .principal import DIRECT_GRANTS, CallerKind, MatchClass
from .request import (
    ASSUME_ROLE_WITH_SAML,
    ASSUME_ROLE_WITH_WEB_IDENTITY,
    MAX_CHAINED_DURATION,
    AssumeRoleRequest,
    derived_context,
    required_actions,
)
from .statements import Miss, StatementHit, check_policy


class DecisionKind(StrEnum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit-deny"
    EXPLICIT_DENY = "explicit-deny"


@dataclass(frozen=True, slots=True)
class Decision:
    decision: DecisionKind
    reasons: tuple[str, ...]
    unknown: tuple[str, ...] = ()  # conditions the evaluator could not decide (unknown operators, keys)

    @property
    def allowed(self) -> bool:
        return self.decision is DecisionKind.ALLOW


@dataclass(slots=True)
class _Trace:
    """Reasons and unknowns collected while deciding one action."""

    reasons: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def done(self, kind: DecisionKind, reason: str) -> Decision:
        self.reasons.append(reason)
        return Decision(kind, tuple(self.reasons), tuple(dict.fromkeys(self.unknown)))

    def note(self, results: list[StatementHit | Miss]) -> None:
        for result in results:
            self.unknown.extend(result.unknown if isinstance(result, Miss) else result.conditions.unknown)


def can_assume(request: AssumeRoleRequest) -> Decision:
    """Can ``request.caller`` call ``request.action`` on ``request.role_arn``?"""
    refused = _precheck(request)
    if refused is not None:
        return refused
    context = request.context.with_defaults(derived_context(request.caller))
    actions = required_actions(request)
    decisions = [_decide(request, action, context) for action in actions]
    kinds = {d.decision for d in decisions}
    if DecisionKind.EXPLICIT_DENY in kinds:
        overall = DecisionKind.EXPLICIT_DENY
    elif kinds == {DecisionKind.ALLOW}:
        overall = DecisionKind.ALLOW
    else:
        overall = DecisionKind.IMPLICIT_DENY
    several = len(actions) > 1
    reasons = tuple(f"{a}: {r}" if several else r for a, d in zip(actions, decisions, strict=True) for r in d.reasons)
    unknown = tuple(dict.fromkeys(u for d in decisions for u in d.unknown))
    return Decision(overall, reasons, unknown)


def identity_grant(request: AssumeRoleRequest) -> StatementHit | None:
    """The caller's identity-policy statement that allows the request's action on the role, if any.

    Explains a decision rather than makes one: same-account grants to a role or user ARN do not need it.
    """
    context = request.context.with_defaults(derived_context(request.caller))
    policies = [(f"identity policy {p.name}", p) for p in request.identity_policies]
    return _first_allow(policies, request, request.action, context, _Trace())


def _precheck(request: AssumeRoleRequest) -> Decision | None:
    """Requests AWS refuses before evaluating policies (ASSUME_ROLE.md §2.1)."""
    caller, action = request.caller, request.action.lower()
    if request.chained and (request.duration_seconds or 0) > MAX_CHAINED_DURATION:
        raise InvalidRequestError(
            f"role chaining limits DurationSeconds to {MAX_CHAINED_DURATION}; {request.duration_seconds} fails"
        )
    deny = DecisionKind.IMPLICIT_DENY
    if caller.kind is CallerKind.ROOT:
        return Decision(
            deny, ("the account root user cannot assume roles ('Roles may not be assumed by root accounts')",)
        )
    if caller.kind is CallerKind.FEDERATED_USER:
        return Decision(deny, ("a GetFederationToken session cannot call STS AssumeRole APIs",))
    needs = {CallerKind.SAML: ASSUME_ROLE_WITH_SAML, CallerKind.WEB_IDENTITY: ASSUME_ROLE_WITH_WEB_IDENTITY}
    api = needs.get(caller.kind)
    if api is not None and action in ("sts:assumerole", _other(api)):
        return Decision(deny, (f"a {caller.kind.value} caller can only call {api}, not {request.action}",))
    if caller.is_iam and action in ("sts:assumerolewithsaml", "sts:assumerolewithwebidentity"):
        return Decision(deny, (f"{request.action} needs a SAML assertion or web identity token, not IAM credentials",))
    return None


def _other(api: str) -> str:
    return (ASSUME_ROLE_WITH_WEB_IDENTITY if api == ASSUME_ROLE_WITH_SAML else ASSUME_ROLE_WITH_SAML).lower()


def _decide(request: AssumeRoleRequest, action: str, context: RequestContext) -> Decision:
    trace = _Trace()
    denial = _explicit_deny(request, action, context, trace)
    if denial is not None:
        return trace.done(DecisionKind.EXPLICIT_DENY, f"explicit deny: {denial.describe()}")
    missing_scp = _scp_without_allow(request, action, context, trace)
    if missing_scp is not None:
        return trace.done(DecisionKind.IMPLICIT_DENY, missing_scp)
    results = _trust_results(request, action, context, effect="Allow")
    trace.note(results)
    hits = [r for r in results if isinstance(r, StatementHit)]
    if not hits:
        trace.reasons.extend(m.describe() for m in results)
        return trace.done(DecisionKind.IMPLICIT_DENY, _no_trust_reason(request, action))
    trace.reasons.extend(f"trust grant: {hit.describe()}" for hit in hits)
    classes = {p.match_class for hit in hits for p in hit.principals}
    if request.caller.kind in (CallerKind.SERVICE, CallerKind.WEB_IDENTITY, CallerKind.SAML):
        if classes & {MatchClass.SERVICE, MatchClass.FEDERATED}:
            return trace.done(
                DecisionKind.ALLOW, "allowed: the trust policy names this caller; no identity policies apply"
            )
        return trace.done(DecisionKind.IMPLICIT_DENY, "only a Service or Federated principal entry admits this caller")
    if request.caller.account == request.role_account:
        return _same_account(request, action, context, classes, trace)
    return _cross_account(request, action, context, trace)


def _no_trust_reason(request: AssumeRoleRequest, action: str) -> str:
    reason = f"no Allow statement of the trust policy of {request.role_arn} matches {request.caller.arn} for {action}"
    if request.caller.role_arn and request.caller.role_arn.lower().endswith(
        "/" + request.role_arn.rsplit("/", 1)[-1].lower()
    ):
        reason += " (roles do not trust themselves implicitly; only legacy-exempt roles could)"
    return reason


def _trust_results(
    request: AssumeRoleRequest, action: str, context: RequestContext, *, effect: str
) -> list[StatementHit | Miss]:
    return list(
        check_policy(
            "trust policy",
            request.trust_policy,
            effect=effect,
            action=action,
            context=context,
            caller=request.caller,
        )
    )


def _caller_side(request: AssumeRoleRequest) -> list[tuple[str, NamedPolicy]]:
    """The caller's identity policies, boundary and session policy, with the label reasons use."""
    if not request.caller.is_iam:
        return []
    side = [(f"identity policy {p.name}", p) for p in request.identity_policies]
    side += [(f"permissions boundary {p.name}", p) for p in request.permissions_boundary or ()]
    if request.session_policy is not None:
        side.append((f"session policy {request.session_policy.name}", request.session_policy))
    return side


def _scps_apply(request: AssumeRoleRequest) -> bool:
    return (
        request.caller.is_iam and not request.caller_in_management_account and not request.caller_is_service_linked_role
    )


def _explicit_deny(
    request: AssumeRoleRequest, action: str, context: RequestContext, trace: _Trace
) -> StatementHit | None:
    """Step 1: a matching Deny in the trust policy, caller-side policies, SCPs or RCPs."""
    results = _trust_results(request, action, context, effect="Deny")
    for label, policy in _caller_side(request):
        results += check_policy(
            label, policy.document, effect="Deny", action=action, context=context, resource=request.role_arn
        )
    levels = [("SCP", lvl) for lvl in request.scps] if _scps_apply(request) else []
    levels += [("RCP", lvl) for lvl in request.rcps] if not request.role_in_management_account else []
    for kind, level in levels:
        caller = request.caller if kind == "RCP" else None
        for p in level.policies:
            results += check_policy(
                f"{kind} {p.name} at {level.name}",
                p.document,
                effect="Deny",
                action=action,
                context=context,
                resource=request.role_arn,
                caller=caller,
            )
    trace.note(results)
    return next((r for r in results if isinstance(r, StatementHit)), None)


def _scp_without_allow(request: AssumeRoleRequest, action: str, context: RequestContext, trace: _Trace) -> str | None:
    """Step 4: every level of the caller's SCP chain must allow the action. RCPs need no such check:
    RCPFullAWSAccess sits at every level and cannot be detached, so only their Denies bite (step 1)."""
    if not _scps_apply(request):
        return None
    for level in request.scps:
        hit = _first_allow(
            [(f"SCP {p.name} at {level.name}", p) for p in level.policies], request, action, context, trace
        )
        if hit is None:
            return f"no service control policy at {level.name} allows {action} (an SCP Allow is needed at every level)"
        trace.reasons.append(f"SCP allows: {hit.describe()}")
    return None


def _first_allow(
    policies: list[tuple[str, NamedPolicy]],
    request: AssumeRoleRequest,
    action: str,
    context: RequestContext,
    trace: _Trace,
) -> StatementHit | None:
    results: list[StatementHit | Miss] = []
    for label, policy in policies:
        results += check_policy(
            label, policy.document, effect="Allow", action=action, context=context, resource=request.role_arn
        )
    trace.note(results)
    return next((r for r in results if isinstance(r, StatementHit)), None)


def _limits(request: AssumeRoleRequest, action: str, context: RequestContext, trace: _Trace) -> str | None:
    """The permissions boundary and session policy: each, when present, must allow the action."""
    boundary = request.permissions_boundary
    if boundary is not None:
        hit = _first_allow([(f"permissions boundary {p.name}", p) for p in boundary], request, action, context, trace)
        if hit is None:
            return f"the caller's permissions boundary does not allow {action} on {request.role_arn}"
        trace.reasons.append(f"boundary allows: {hit.describe()}")
    session = request.session_policy
    if session is not None:
        hit = _first_allow([(f"session policy {session.name}", session)], request, action, context, trace)
        if hit is None:
            return f"the caller's session policy does not allow {action} on {request.role_arn}"
        trace.reasons.append(f"session policy allows: {hit.describe()}")
    return None


def _identity_allows(request: AssumeRoleRequest, action: str, context: RequestContext, trace: _Trace) -> str | None:
    policies = [(f"identity policy {p.name}", p) for p in request.identity_policies]
    hit = _first_allow(policies, request, action, context, trace)
    if hit is None:
        return f"no identity policy of {request.caller.principal_arn} allows {action} on {request.role_arn}"
    trace.reasons.append(f"identity allows: {hit.describe()}")
    return None


def _same_account(
    request: AssumeRoleRequest, action: str, context: RequestContext, classes: set[MatchClass], trace: _Trace
) -> Decision:
    """Step 8: a direct grant needs nothing more; a role grant needs boundary and session policy; an account
    grant delegates to the caller's identity policies as well."""
    if classes & DIRECT_GRANTS:
        _note_open_questions(request, action, context, classes, trace)
        return trace.done(DecisionKind.ALLOW, "allowed: same account and the trust policy grants the caller directly")
    if MatchClass.ROLE in classes:
        blocked = _limits(request, action, context, trace)
        if blocked is None:
            return trace.done(DecisionKind.ALLOW, "allowed: same account and the trust policy names the caller's role")
        if MatchClass.ACCOUNT not in classes:
            return trace.done(DecisionKind.IMPLICIT_DENY, blocked)
    blocked = _identity_allows(request, action, context, trace) or _limits(request, action, context, trace)
    if blocked is not None:
        return trace.done(
            DecisionKind.IMPLICIT_DENY,
            f"the trust policy trusts the account, which delegates to the caller's policies: {blocked}",
        )
    return trace.done(
        DecisionKind.ALLOW, "allowed: the trust policy trusts the account and the caller's own policies allow it"
    )


def _cross_account(request: AssumeRoleRequest, action: str, context: RequestContext, trace: _Trace) -> Decision:
    """Step 9: across accounts both sides must allow: the trust policy and the caller's own policies."""
    blocked = _identity_allows(request, action, context, trace) or _limits(request, action, context, trace)
    if blocked is not None:
        return trace.done(
            DecisionKind.IMPLICIT_DENY, f"cross-account, so the caller's account must allow it too: {blocked}"
        )
    return trace.done(
        DecisionKind.ALLOW, "allowed: cross-account, and both the trust policy and the caller's policies allow it"
    )


def _note_open_questions(
    request: AssumeRoleRequest, action: str, context: RequestContext, classes: set[MatchClass], trace: _Trace
) -> None:
    """Direct grants where AWS's documentation disagrees with itself (ASSUME_ROLE.md §12 Q1, Q2, Q15):
    decided as allowed, which over-approximates access, and said so."""
    limited = _limits(request, action, context, _Trace())
    if limited is not None:
        trace.reasons.append(f"note: {limited}; AWS documents direct grants as not limited by it (spec §12 Q1/Q2/Q15)")
