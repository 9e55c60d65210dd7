"""session-principal-trust: the trust policy names a role session, a name that whoever assumes the role can take.

Risk: ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`` reads like one person or one job, but the session
name is chosen by the caller of AssumeRole on ROLE: anyone who can assume ROLE can ask for that name and then
assume this role too. The grant is as wide as ROLE's own trust policy, which this policy does not show (and
which may be another account's to change): medium. IAM Identity Center sessions (roles named
``AWSReservedSSO_…``) are low: the identity provider sets the session name to the user's sign-in name. When
ROLE is loaded and every statement of its trust ties the name to the caller (``sts:RoleSessionName`` equal
to a policy variable such as ``${aws:username}``), the name identifies someone and the rule stays quiet.

Failing example: ``{"Effect": "Allow", "Principal": {"AWS":
"arn:aws:sts::111122223333:assumed-role/ci-runner/deploy-bot"}, "Action": "sts:AssumeRole"}``.

Fix: trust the role itself (``arn:aws:iam::111122223333:role/ci-runner``), which says what the grant is;
if the session name must identify who acts, make ROLE's trust policy require ``"sts:RoleSessionName":
"${aws:username}"``; or name the principal that should have access (a user or a role of its own).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..iam.arn import role_arn, try_parse
from ..iam.entities import Role
from ..iam.policy import PolicyDocument
from .context import AuditContext, RoleTarget
from .findings import Finding, Severity
from .grants import Grant, PrincipalKind, covered_apis, positive_values, trust_grants
from .registry_types import RoleRule, RuleMeta, Scope
from .remediation import show, statement_dict

META = RuleMeta(
    id="session-principal-trust",
    severity=Severity.MEDIUM,
    title="Trust policy names a role session",
    summary=(
        "A grant names a role session (assumed-role/ROLE/SESSION): whoever can assume ROLE picks that name; "
        "low for IAM Identity Center sessions"
    ),
    scope=Scope.ROLE,
    doc=__doc__ or "",
)
SSO_PREFIX = "awsreservedsso_"
PINNING = {"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}


@dataclass(frozen=True, slots=True)
class Session:
    """A session principal taken apart: the role whose session it is, and the name."""

    account: str
    role_name: str
    name: str
    role: Role | None  # the role, when its account is loaded

    @property
    def role_arn(self) -> str:
        return self.role.arn if self.role else role_arn(self.account, self.role_name)

    @property
    def identity_center(self) -> bool:
        return self.role_name.lower().startswith(SSO_PREFIX)


def check(target: RoleTarget, ctx: AuditContext) -> Iterator[Finding]:
    seen: set[str] = set()
    for grant in target.grants:
        session = _session(grant, ctx)
        if session is None or grant.entry in seen:
            continue
        seen.add(grant.entry)
        trust = session.role.trust_policy if session.role else None
        if trust is not None and not session.identity_center and _name_pinned(trust):
            continue  # the session name is the caller's own identity: it names someone
        yield _finding(target, ctx, grant, session)


def _session(grant: Grant, ctx: AuditContext) -> Session | None:
    parsed = try_parse(grant.entry) if grant.kind is PrincipalKind.SESSION else None
    if parsed is None or parsed.service != "sts" or parsed.resource_type != "assumed-role":
        return None  # a federated-user session is named by the IAM user calling GetFederationToken
    parts = parsed.resource.split("/")
    if len(parts) != 3 or not all(parts):
        return None  # malformed: invalid-trust-policy reports it
    role = ctx.inventory.role_by_name(parsed.account, parts[1]) if ctx.inventory else None
    return Session(parsed.account, parts[1], parts[2], role)


def _name_pinned(trust: PolicyDocument) -> bool:
    """Every Allow statement of ROLE's trust requires the session name to be a policy variable of the caller."""
    allows = [s for s in trust.statements if s.effect == "Allow" and covered_apis(s)]
    pinned = (positive_values(s, "sts:RoleSessionName") for s in allows)
    return bool(allows) and all(values and all(_caller_variable(v) for v in values) for values in pinned)


def _caller_variable(value: str) -> bool:
    """A value taken from the caller's identity (``${aws:username}``), not the requested name compared with itself."""
    return "${" in value and "${sts:rolesessionname}" not in value.lower()


def _finding(target: RoleTarget, ctx: AuditContext, grant: Grant, session: Session) -> Finding:
    where = f"Trust policy {grant.statement.label(grant.index)} names the role session {grant.entry!r}"
    if session.identity_center:
        explanation = (
            f"{where}, an IAM Identity Center session: the identity provider sets the session name "
            f"({session.name!r}) to the user's sign-in name, so the grant follows whoever holds that user name "
            f"and can use the permission set's role {session.role_arn}."
        )
    else:
        explanation = (
            f"{where}: the session name {session.name!r} is chosen by whoever calls AssumeRole on "
            f"{session.role_arn}, so anyone who can assume that role can take the name and then assume "
            f"{target.arn}. The grant is as wide as that role's own trust policy{_whose_trust(session)}."
        )
    finding = ctx.role_finding(
        META,
        target,
        key=(grant.entry,),
        principal=grant.entry,
        statement=grant.index,
        explanation=explanation,
        remediation=_remediation(target, ctx, grant, session),
        evidence=_evidence(session),
    )
    return finding.model_copy(update={"severity": Severity.LOW}) if session.identity_center else finding


def _whose_trust(session: Session) -> str:
    if session.role is None:
        return f" (account {session.account} is not loaded: who that is cannot be seen here)"
    if session.role.trust_policy is None:
        return " (which could not be read)"
    admitted = _admitted(session.role)
    return f", which admits {', '.join(repr(e) for e in admitted)}" if admitted else ", which admits nobody"


def _admitted(role: Role) -> list[str]:
    return sorted({g.entry for g in trust_grants(role.trust_policy)}) if role.trust_policy else []


def _remediation(target: RoleTarget, ctx: AuditContext, grant: Grant, session: Session) -> str:
    if session.identity_center:
        return (
            "Nothing to change while this Identity Center user should have the access. The grant names the "
            "permission set's generated role name: a re-created permission set gets a new one, and the grant then "
            "matches nobody."
        )
    corrected = show(_naming_the_role(grant, session.role_arn))
    path = "" if session.role else " (with the role's path, if it has one)"
    if ctx.trust_model.is_internal(session.account, target.account_id):
        pin = (
            f"If the session name must identify who acts, also require it in the trust policy of "
            f"{session.role_arn!r}: {json.dumps(PINNING)} (an IAM user can then only take its own user name)."
        )
    else:
        pin = (
            f"Account {ctx.trust_model.name(session.account)} decides who can assume {session.role_arn!r}: only "
            "its owner can make the session name identify someone."
        )
    return f"{pin}\nTrust the role itself, which says what the grant allows{path}:\n{corrected}"


def _naming_the_role(grant: Grant, role: str) -> dict[str, Any]:
    """The statement with the session entry replaced by its role's ARN (other principals kept)."""
    corrected = statement_dict(grant.statement)
    entries = grant.statement.principal.aws_entries if grant.statement.principal else ()
    aws = list(dict.fromkeys(role if e == grant.entry else e for e in entries))
    principal = corrected.get("Principal")
    others = {k: v for k, v in principal.items() if k != "AWS"} if isinstance(principal, dict) else {}
    return {**corrected, "Principal": {**others, "AWS": aws[0] if len(aws) == 1 else aws}}


def _evidence(session: Session) -> dict[str, object]:
    return {
        "session_role": session.role_arn,
        "session_name": session.name,
        "identity_center": session.identity_center,
        "role_loaded": session.role is not None,
        "role_trust": _admitted(session.role) if session.role else None,
    }


RULE = RoleRule(META, check)
