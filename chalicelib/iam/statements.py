"""Does one statement apply to a request? Action, resource, principal and condition, each with its reason."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .condition import ConditionResult, evaluate_conditions, expand_variables
from .context import RequestContext
from .operators import policy_pattern
from .policy import PolicyDocument, Statement
from .principal import Caller, MatchClass, PrincipalMatch, match_principal
from .wildcard import any_action_matches, arn_pattern_matches


@dataclass(frozen=True, slots=True)
class StatementHit:
    """A statement whose action, resource, principal and conditions all matched the request."""

    policy: str
    index: int
    statement: Statement
    principals: tuple[PrincipalMatch, ...]
    conditions: ConditionResult

    def describe(self) -> str:
        text = f"{self.policy} {self.statement.label(self.index)}"
        if self.principals:
            text += " via " + ", ".join(p.describe() for p in self.principals)
        if self.statement.condition:
            text += " with conditions [" + "; ".join(self.conditions.reasons) + "]"
        return text


@dataclass(frozen=True, slots=True)
class Miss:
    """Why a statement did not apply; ``unknown`` carries anything the evaluator could not decide."""

    policy: str
    index: int
    statement: Statement
    why: str
    unknown: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.policy} {self.statement.label(self.index)} does not apply: {self.why}"


def covers(statement: Statement, action: str) -> bool:
    """Does the statement's Action (or NotAction) element cover ``action``?"""
    if statement.action is not None:
        return any_action_matches(statement.action, action)
    return not any_action_matches(statement.not_action or (), action)


def _resource_applies(statement: Statement, resource: str, context: RequestContext, variables: bool) -> bool:
    patterns = statement.resource if statement.resource is not None else statement.not_resource
    if patterns is None:
        return False  # identity-type statements without a resource element are rejected by IAM
    # Version 2008-10-17 has no variables: "${*}" is then plain text and its "*" an ordinary wildcard.
    expanded = (expand_variables(p, context) if variables else policy_pattern(p) for p in patterns)
    hit = any(pattern is not None and arn_pattern_matches(pattern, resource) for pattern in expanded)
    return hit if statement.resource is not None else not hit


def _principal_matches(statement: Statement, caller: Caller) -> tuple[PrincipalMatch, ...] | None:
    if statement.principal is not None:
        return match_principal(statement.principal, caller) or None
    if statement.not_principal is not None:
        # NotPrincipal: everyone except the listed principals (invalid in trust policies, still evaluated).
        excluded = match_principal(statement.not_principal, caller)
        return None if excluded else (PrincipalMatch(MatchClass.WILDCARD, "NotPrincipal"),)
    return None


def check_statement(
    label: str,
    index: int,
    statement: Statement,
    *,
    action: str,
    context: RequestContext,
    variables: bool = True,
    resource: str | None = None,
    caller: Caller | None = None,
) -> StatementHit | Miss:
    """Match one statement. ``resource`` None means the resource is implicit (trust policies); ``caller``
    None means the policy has no principal element (identity policies, boundaries, SCPs)."""
    if not covers(statement, action):
        return Miss(label, index, statement, f"action {action} is not covered")
    if resource is not None and not _resource_applies(statement, resource, context, variables):
        return Miss(label, index, statement, f"resource {resource} is not covered")
    principals: tuple[PrincipalMatch, ...] = ()
    if caller is not None:
        found = _principal_matches(statement, caller)
        if found is None:
            return Miss(label, index, statement, f"principal does not match {caller.arn}")
        principals = found
    result = evaluate_conditions(statement.condition, context, variables=variables)
    if result.matched or (statement.effect == "Allow" and result.holds_if_undecided):
        # A clause that cannot be decided counts for the wider access: it holds in an Allow and, by the
        # branch below, never makes a Deny apply. `unknown` carries the sentence that says so.
        return StatementHit(label, index, statement, principals, result)
    why = "condition not met [" + "; ".join(result.reasons) + "]"
    return Miss(label, index, statement, why, result.unknown)


def check_policy(
    label: str,
    document: PolicyDocument,
    *,
    effect: str,
    action: str,
    context: RequestContext,
    resource: str | None = None,
    caller: Caller | None = None,
) -> Iterator[StatementHit | Miss]:
    """Check every statement of ``effect`` in the document."""
    for index, statement in enumerate(document.statements):
        if statement.effect == effect:
            yield check_statement(
                label,
                index,
                statement,
                action=action,
                context=context,
                variables=document.supports_variables,
                resource=resource,
                caller=caller,
            )
