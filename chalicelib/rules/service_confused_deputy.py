"""service-confused-deputy: an AWS service can assume the role on behalf of anyone's resources.

Risk: a ``Service`` principal such as ``sns.amazonaws.com`` assumes roles for resources of every AWS customer.
Without a condition that ties the call to *your* resources, another customer who learns the role ARN can
point their resource at it and have the service act in your account with the role's permissions
(cross-service confused deputy). The condition must be a restricting one on ``aws:SourceAccount``,
``aws:SourceArn``, ``aws:SourceOrgID`` or ``aws:SourceOrgPaths`` (positive operator, no ``…IfExists`` unless
Null-guarded, no wildcard account); a source condition that names an account you do not trust is reported
by ``untrusted-account`` instead. Service-linked roles (path ``/aws-service-role/``) are exempt: AWS owns
their trust policy.

Exempt services: services that only ever assume a role *passed* to a resource
of the role's own account (``iam:PassRole`` cannot pass a role across accounts) and for which AWS documents
no source keys on that call, so the condition would protect nothing and could break the role: EC2 instance
profiles (``ec2``), Lambda execution roles (``lambda``, ``edgelambda``), EKS cluster and pod roles (``eks``,
``eks-fargate-pods``, and ``pods.eks``, which AWS documents restricting with the ``aws:RequestTag/kubernetes-*``
session tags instead). Not exempt, because their documentation recommends ``aws:SourceAccount`` /
``aws:SourceArn`` in the trust policy: ``ecs-tasks``, ``states``, ``codebuild`` and most others.

Options: ``exempt_services`` lists services exempted *in addition* to these; ``not_exempt_services`` lists
services of this list to check anyway (e.g. ``[ec2.amazonaws.com]``).

Failing example: ``{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action":
"sts:AssumeRole"}``.

Fix: add ``"Condition": {"StringEquals": {"aws:SourceAccount": "<your account id>"}}`` (or
``ArnLike aws:SourceArn`` naming your resources).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..iam.arn import Arn
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import Grant, PrincipalKind
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict, with_condition

SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"})
SERVICE_LINKED_PATH = "/aws-service-role/"
EXEMPT_SERVICES = (
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "edgelambda.amazonaws.com",
    "eks.amazonaws.com",
    "eks-fargate-pods.amazonaws.com",
    "pods.eks.amazonaws.com",
)

META = RuleMeta(
    id="service-confused-deputy",
    severity=Severity.LOW,
    title="Service principal without a source condition",
    summary="An AWS service may assume the role without aws:SourceAccount/SourceArn/SourceOrgID tying it to you",
    scope=Scope.ROLE,
    doc=__doc__ or "",
    options={"exempt_services": [], "not_exempt_services": []},
)


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    if _service_linked(target):
        return
    exempt = _exempt(ctx)
    for grant in target.grants:
        if grant.kind is not PrincipalKind.SERVICE or grant.entry.lower() in exempt:
            continue
        if any(limit.condition.key.lower() in SOURCE_KEYS for limit in grant.limits):
            continue
        yield _finding(target, ctx, grant)


def _exempt(ctx: AuditContext) -> set[str]:
    """The built-in list, plus ``exempt_services``, minus ``not_exempt_services`` (additions never replace it)."""
    added = {s.lower() for s in ctx.option(META, "exempt_services") or ()}
    removed = {s.lower() for s in ctx.option(META, "not_exempt_services") or ()}
    return ({s.lower() for s in EXEMPT_SERVICES} | added) - removed


def _service_linked(target: RoleTarget) -> bool:
    path = target.role.path if target.role is not None else Arn.parse(target.arn).path
    return path.startswith(SERVICE_LINKED_PATH)


def _finding(target: RoleTarget, ctx: AuditContext, grant: Grant) -> Finding:
    sources = [c.describe() for c in grant.statement.condition if c.key.lower() in SOURCE_KEYS]
    considered = (
        f" Its source conditions ({'; '.join(sources)}) do not restrict it: an …IfExists form, a negated "
        "operator, or a value that admits any account."
        if sources
        else ""
    )
    fixed = with_condition(statement_dict(grant.statement), "StringEquals", "aws:SourceAccount", target.account_id)
    return ctx.role_finding(
        META,
        target,
        key=(grant.entry,),
        principal=grant.entry,
        statement=grant.index,
        explanation=(
            f"{grant.statement.label(grant.index)} lets the service {grant.entry} assume {target.arn} without "
            "aws:SourceAccount, aws:SourceArn or aws:SourceOrgID: another AWS customer can make the service act "
            f"for their resource with this role (cross-service confused deputy).{considered}"
        ),
        remediation="Tie the service to your own resources:\n" + show(fixed),
        evidence={"service": grant.entry, "source_conditions": sources},
    )


RULE = RoleRule(META, check)
