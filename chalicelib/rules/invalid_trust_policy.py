"""invalid-trust-policy: the document is valid policy grammar, but IAM refuses it as a role trust policy.

Risk: a template (CloudFormation, Terraform, CDK) with such a trust policy fails at deployment, or, worse,
its author "fixes" the error by widening the trust. What IAM refuses: ``NotPrincipal``, a ``Resource`` or
``NotResource`` element (the resource of a trust policy is the role itself), a statement without a
principal, a partial wildcard in a principal ARN (``arn:aws:iam::*:root``, ``…:role/ci-*``), a group ARN (groups
cannot be principals), a wildcard in a ``Federated`` entry, ``CanonicalUser``, and AWS entries that are no
account, principal ARN or unique id. One finding per problem, naming its place
(``Statement[0].Principal.AWS[1]``). Found before deployment by ``trustwatch check-trust``.

Failing example: ``{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/ci-*"},
"Action": "sts:AssumeRole"}``.

Fix: name principals exactly; to match a pattern, trust the account (or ``"*"`` with an
``aws:PrincipalOrgID`` condition) and put the pattern in ``"ArnLike": {"aws:PrincipalArn": "…"}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..iam.arn import account_root_arn, is_account_id, try_parse
from ..iam.policy import Statement
from ..iam.trust import TrustProblem, trust_policy_problems
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict, with_condition

META = RuleMeta(
    id="invalid-trust-policy",
    severity=Severity.MEDIUM,
    title="IAM refuses this trust policy",
    summary="NotPrincipal, Resource, a statement without Principal, a partial wildcard or group principal…",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)

_AWS_ENTRY = re.compile(r"\.Principal\.AWS\[(\d+)\]$")


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    if target.trust is None:
        return
    for problem in trust_policy_problems(target.trust):
        statement = target.trust.statements[problem.statement]
        entry = _aws_entry(problem, statement)
        # The Sid (else the index) and the element, not the full location: reordering entries is no new problem.
        place = statement.sid or str(problem.statement)
        element = re.sub(r"\[\d+\]", "", problem.location.split(".", 1)[-1])
        yield ctx.role_finding(
            META,
            target,
            key=(place, element, problem.message),
            principal=entry,
            statement=problem.statement,
            explanation=(
                f"{problem.location}: {problem.message}. IAM refuses this trust policy for {target.arn} "
                "(CreateRole and UpdateAssumeRolePolicy fail with MalformedPolicyDocument)."
            ),
            remediation=_remediation(problem, statement, entry, target),
            evidence={"location": problem.location, "problem": problem.message},
        )


def _aws_entry(problem: TrustProblem, statement: Statement) -> str | None:
    match = _AWS_ENTRY.search(problem.location)
    if match is None or statement.principal is None:
        return None
    return statement.principal.aws[int(match.group(1))]


def _remediation(problem: TrustProblem, statement: Statement, entry: str | None, target: RoleTarget) -> str:
    where = problem.location
    if where.endswith(".NotPrincipal"):
        return (
            "Use Principal to name who may assume the role; to exclude some of them, add a Deny statement with a "
            "condition on aws:PrincipalArn."
        )
    if where.endswith((".Resource", ".NotResource")):
        return "Remove the element: the resource of a trust policy is the role itself.\n" + show(
            statement_dict(statement)
        )
    if statement.principal is None:
        fixed = {**statement_dict(statement), "Principal": {"AWS": account_root_arn(target.account_id)}}
        return "Add a Principal naming who may assume the role, e.g.:\n" + show(fixed)
    if entry is not None and ("*" in entry or "?" in entry or ":group/" in entry):
        return _pattern_remediation(statement, entry)
    if ".Principal.Federated" in where:
        return "Name the identity provider exactly (its provider ARN, or a well-known name)."
    if where.endswith(".CanonicalUser"):
        return "Remove CanonicalUser: it is a principal type of S3 bucket policies only."
    return "Replace the entry with a 12-digit account id, a user, role or role session ARN, or a unique id."


def _pattern_remediation(statement: Statement, entry: str) -> str:
    parsed = try_parse(entry)
    account = parsed.account if parsed is not None and is_account_id(parsed.account) else None
    group = parsed is not None and parsed.resource_type == "group"
    pattern = f"arn:aws:iam::{account}:user/<each user of {parsed.resource_name}>" if group and parsed else entry
    fixed: dict[str, Any] = statement_dict(statement)
    if account is not None:
        fixed["Principal"] = {"AWS": account_root_arn(account)}
    else:
        fixed["Principal"] = "*"
        fixed = with_condition(fixed, "StringEquals", "aws:PrincipalOrgID", "o-xxxxxxxxxx")
    fixed = with_condition(fixed, "ArnLike", "aws:PrincipalArn", pattern)
    return (
        f"{entry!r} cannot be a principal. Name each principal exactly, or move it to a statement of its own that "
        "trusts the account (or everyone in your organization) and matches the principals with a condition:\n"
        + show(fixed)
    )


RULE = RoleRule(META, check)
