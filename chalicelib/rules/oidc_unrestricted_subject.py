"""oidc-unrestricted-subject: any identity of a web identity provider can assume the role.

Risk: a ``Federated`` OIDC provider grant (``arn:aws:iam::ACCT:oidc-provider/ISSUER``) of
``sts:AssumeRoleWithWebIdentity`` admits every token the issuer signs unless a condition pins whose token it
is: for ``token.actions.githubusercontent.com`` every workflow of every GitHub repository; for an EKS issuer
every service account of the cluster; for ``cognito-identity.amazonaws.com`` any identity pool's users.

Restricted means: one condition of the statement with a positive string operator (StringEquals,
StringEqualsIgnoreCase, StringLike, or ``ForAnyValue:`` of them; never ``…IfExists``/``ForAllValues:``) on
``ISSUER:sub`` — for GitHub also ``:repository``, ``:repository_owner(_id)``, ``:repository_id``,
``:job_workflow_ref`` — whose values *all* pin an owner; or a Deny covering the grant whose only conditions
are StringNotEquals/StringNotLike with such values. A value pins an owner when its literal text before the
first wildcard (only ``…Like`` reads ``*``/``?`` as wildcards) fixes the first field after the claim label,
up to its separator: ``repo:OWNER/``, ``system:serviceaccount:NAMESPACE:``, ``project_path:GROUP/``,
``organization:ORG:``. ``*``, ``repo:*``, ``repo:*/*``, ``repo:*:*``, ``repo:my-org*`` (also ``my-org-evil``),
``system:serviceaccount:*`` and ``…:*:app`` fail; ``repo:my-org/*`` and exact values pass. A GitHub sub must
start with a label naming the repository or its owner (``repo:``, ``repository_owner:``…): a customized
``environment:prod`` matches that environment in every repository. Well-known providers need an exact
audience: ``cognito-identity.amazonaws.com:aud`` (the pool id), ``accounts.google.com:aud``,
``graph.facebook.com:app_id``, ``www.amazon.com:app_id``.

Failing example: ``{"Effect": "Allow", "Principal": {"Federated":
"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}, "Action":
"sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud":
"sts.amazonaws.com"}}}``.

Fix: add ``"StringLike": {"token.actions.githubusercontent.com:sub": "repo:my-org/my-repo:*"}`` (or the pod's
``system:serviceaccount:NAMESPACE:NAME``; or the Cognito identity pool id as ``aud``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..iam.arn import try_parse
from ..iam.policy import Condition, PolicyDocument
from ..iam.request import ASSUME_ROLE_WITH_WEB_IDENTITY
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import Grant, Operator, PrincipalKind, covered_apis
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict, with_condition

META = RuleMeta(
    id="oidc-unrestricted-subject",
    severity=Severity.CRITICAL,
    title="Any identity of a web identity provider can assume the role",
    summary="An OIDC/web identity grant without a condition pinning the token's subject (repository, namespace, pool)",
    scope=Scope.ROLE,
    doc=__doc__ or "",
)

GITHUB = "token.actions.githubusercontent.com"
GITHUB_CLAIMS = ("sub", "repository", "repository_owner", "repository_owner_id", "repository_id", "job_workflow_ref")
GITHUB_SUB_LABELS = frozenset({*GITHUB_CLAIMS[1:], "repo", "enterprise", "enterprise_id"})
AUDIENCE_CLAIMS = {"cognito-identity.amazonaws.com": "aud", "accounts.google.com": "aud",
                   "graph.facebook.com": "app_id", "www.amazon.com": "app_id"}  # fmt: skip
SERVICE_ACCOUNT = "system:serviceaccount:"
POSITIVE = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike"})
NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"})
_OWNER_FIELD = re.compile(r"[^/:]+[/:]")
# Per kind of provider: who the grant admits, the owner a value must pin, the condition that fixes it.
_ANYONE = {"github": "any GitHub Actions workflow of any repository",
           "eks": "any service account of any namespace of the cluster behind {issuer}",
           "audience": "any user of any application or identity pool that {issuer} issues tokens for",
           "oidc": "any subject that {issuer} issues tokens for"}  # fmt: skip
_OWNER = {"github": "repository owner", "eks": "namespace", "oidc": "owner", "audience": "audience"}
_PIN = {"github": ("StringLike", "repo:<owner>/<repository>:*"),
        "eks": ("StringEquals", SERVICE_ACCOUNT + "<namespace>:<service-account>"),
        "audience": ("StringEquals", "<identity-pool-id or application-id>"),
        "oidc": ("StringEquals", "<subject>")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Provider:
    issuer: str  # HOST[/PATH] of an OIDC provider ARN, or a well-known provider name
    claims: tuple[str, ...]  # the claims whose pinned value restricts who can assume
    audience_only: bool  # a well-known provider: only an exact audience (app or pool id) restricts

    @property
    def github(self) -> bool:
        return self.issuer.split("/")[0].lower() == GITHUB

    @property
    def kind(self) -> str:
        if self.audience_only:
            return "audience"
        return "github" if self.github else "eks" if self.issuer.lower().startswith("oidc.eks.") else "oidc"

    def claim(self, key: str) -> str | None:
        return next((c for c in self.claims if key.lower() == f"{self.issuer}:{c}".lower()), None)


def provider_of(entry: str) -> Provider | None:
    if entry in AUDIENCE_CLAIMS:
        return Provider(entry, (AUDIENCE_CLAIMS[entry],), True)
    parsed = try_parse(entry)
    if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("oidc-provider/"):
        return None  # SAML providers and anything else
    issuer = parsed.resource.removeprefix("oidc-provider/")
    return Provider(issuer, GITHUB_CLAIMS if issuer.split("/")[0].lower() == GITHUB else ("sub",), False)


def pins(provider: Provider, claim: str, value: str, like: bool) -> bool:
    """Does this condition value fix whose token it is (see the module docstring)?"""
    cut = min((i for i in (value.find("*"), value.find("?")) if i >= 0), default=-1) if like else -1
    literal, wild = (value, False) if cut < 0 else (value[:cut], True)
    if provider.audience_only:
        return bool(literal) and not wild
    if claim != "sub":
        return _owner_fixed(literal, wild)
    if literal.startswith(SERVICE_ACCOUNT):
        return _owner_fixed(literal.removeprefix(SERVICE_ACCOUNT), wild)
    label, colon, rest = literal.partition(":")
    if not colon:
        return not wild if provider.github else _owner_fixed(literal, wild)
    return (label in GITHUB_SUB_LABELS or not provider.github) and _owner_fixed(rest, wild)


def _owner_fixed(rest: str, wild: bool) -> bool:
    return bool(rest) and (not wild or _OWNER_FIELD.match(rest) is not None)


def _pinned(condition: Condition, provider: Provider, *, deny: bool = False) -> bool:
    """An Allow's positive (or a Deny's negated) string condition that pins the token's owner."""
    op = Operator.parse(condition.operator)
    claim = provider.claim(condition.key)
    operators, set_prefixes = (NEGATED, ("",)) if deny else (POSITIVE, ("", "ForAnyValue"))
    if claim is None or op.base not in operators or op.set_prefix not in set_prefixes:
        return False
    if op.if_exists and not deny:
        return False  # an absent claim passes an …IfExists test (a Deny's negated …IfExists still refuses)
    like = op.base.endswith("Like")
    return bool(condition.values) and all(pins(provider, claim, v, like) for v in condition.values)


def _denied_unless_pinned(document: PolicyDocument, grant: Grant, provider: Provider) -> bool:
    for statement in document.statements:
        principal = statement.principal
        if statement.effect != "Deny" or principal is None:
            continue
        covers = grant.entry in principal.federated or "*" in principal.aws_entries
        applies = covers and ASSUME_ROLE_WITH_WEB_IDENTITY in covered_apis(statement)
        if applies and all(_pinned(c, provider, deny=True) for c in statement.condition):
            return True
    return False


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    for grant in target.grants:
        provider = provider_of(grant.entry) if grant.kind is PrincipalKind.FEDERATED else None
        if provider is None or ASSUME_ROLE_WITH_WEB_IDENTITY not in grant.actions:
            continue
        if any(_pinned(c, provider) for c in grant.statement.condition):
            continue
        if target.trust is not None and _denied_unless_pinned(target.trust, grant, provider):
            continue
        yield _finding(target, ctx, grant, provider)


def _finding(target: RoleTarget, ctx: AuditContext, grant: Grant, provider: Provider) -> Finding:
    considered = [c for c in grant.statement.condition if provider.claim(c.key)]
    main_key = f"{provider.issuer}:{provider.claims[0]}"
    why = "; ".join(_why_not(c, provider) for c in considered) or f"it has no condition on {main_key}"
    anyone = _ANYONE[provider.kind].format(issuer=provider.issuer)
    return ctx.role_finding(
        META,
        target,
        key=(grant.entry,),
        principal=grant.entry,
        statement=grant.index,
        explanation=(
            f"{grant.statement.label(grant.index)} lets {anyone} assume {target.arn} with "
            f"sts:AssumeRoleWithWebIdentity: {why}."
        ),
        remediation="Pin the token's subject:\n" + show(_fixed(grant, provider)),
        evidence={"issuer": provider.issuer, "conditions": [c.describe() for c in considered], "keys": [main_key]},
    )


def _why_not(condition: Condition, provider: Provider) -> str:
    op = Operator.parse(condition.operator)
    if op.if_exists or op.set_prefix == "ForAllValues":
        return f"{condition.describe()} does not pin it (it also passes when the claim is absent)"
    if op.base not in POSITIVE:
        return f"{condition.describe()} does not pin it (it admits every token it does not list)"
    claim, like = provider.claim(condition.key) or "", op.base.endswith("Like")
    loose = ", ".join(repr(v) for v in condition.values if not pins(provider, claim, v, like))
    owner = _OWNER[provider.kind]
    return f"{condition.describe()} does not pin the {owner}: {loose} matches tokens of any {owner}"


def _fixed(grant: Grant, provider: Provider) -> dict[str, Any]:
    corrected = statement_dict(grant.statement)
    block = {
        op: {k: v for k, v in keys.items() if provider.claim(k) is None}
        for op, keys in corrected.get("Condition", {}).items()
    }
    corrected["Condition"] = {op: keys for op, keys in block.items() if keys}
    operator, value = _PIN[provider.kind]
    return with_condition(corrected, operator, f"{provider.issuer}:{provider.claims[0]}", value)


RULE = RoleRule(META, check)
