"""The runtime rules, decided on CloudTrail events: unexpected-assumption, denied-assumption-burst and
auditor-tampering. Pure: the auditor hands in what it observed and what the inventory says.
"""

from __future__ import annotations

from .context import AuditContext
from .findings import Finding, Severity
from .registry_types import RuleMeta, Scope

UNEXPECTED_ASSUMPTION = RuleMeta(
    id="unexpected-assumption",
    severity=Severity.HIGH,
    title="Role assumed by an unexpected caller",
    summary="An AssumeRole* succeeded for an untrusted account's caller, or one the trust model says is denied",
    scope=Scope.EVENT,
    doc="""Risk: the role was actually assumed by a principal of an account you do not trust, or by a caller
    the evaluator says cannot assume it — then the inventory is stale or a grant is invisible to the auditor
    (a legacy self-trust, a policy changed without an event). Either way someone holds the role's credentials.

    Failing example: AssumeRole on foobaz succeeds for ``arn:aws:sts::999988887777:assumed-role/x/s``.

    Fix: find out who the caller is; revoke the role's sessions (``AWSRevokeOlderSessions``) if unexpected, and
    remove the grant that let it in.""",
)

DENIED_ASSUMPTION_BURST = RuleMeta(
    id="denied-assumption-burst",
    severity=Severity.MEDIUM,
    title="Repeated denied role assumptions",
    summary="One caller got AccessDenied on AssumeRole* several times in a short window: probing",
    scope=Scope.EVENT,
    options={"threshold": 5, "window_seconds": 300},
    doc="""Risk: repeated AccessDenied answers to AssumeRole* calls from one caller (``threshold`` within
    ``window_seconds``, configurable) are how attackers enumerate roles and probe trust policies.

    Failing example: five denied AssumeRole calls from ``arn:aws:iam::999988887777:user/x`` in two minutes.

    Fix: identify the caller; if it is not yours, nothing to change on your side but to watch it; if it is,
    fix the automation that keeps failing.""",
)

AUDITOR_TAMPERING = RuleMeta(
    id="auditor-tampering",
    severity=Severity.CRITICAL,
    title="Trustwatch itself was changed",
    summary="A change to the auditor's own EventBridge rules, Lambda functions, SNS subscriptions or IAM role",
    scope=Scope.EVENT,
    doc="""Risk: disabling the auditor's rules, replacing its code, unsubscribing its alert topic or widening
    its role is what an attacker does first, so that what follows goes unseen.

    Failing example: ``events:DisableRule`` on ``trustwatch-dev-on_iam_change``.

    Fix: check who made the change and why; redeploy the auditor from source if it was not a planned
    deployment.""",
)


def unexpected_assumption(
    ctx: AuditContext, *, role_arn: str, caller: str, caller_account: str | None, why: str, key: str
) -> Finding:
    account = role_arn.split(":")[4]
    return ctx.finding(
        UNEXPECTED_ASSUMPTION,
        account_id=account,
        subject=role_arn,
        key=(caller, key),
        role_arn=role_arn,
        principal=caller,
        explanation=f"{caller} assumed {role_arn}: {why}",
        remediation=(
            "Confirm who the caller is. If unexpected, revoke the role's active sessions and remove the grant; "
            "then re-scan the account so the inventory matches what AWS allows."
        ),
        evidence={"caller_account": caller_account or "unknown"},
    )


def denied_burst(
    ctx: AuditContext, *, caller: str, account_id: str, roles: list[str], count: int, window: int
) -> Finding:
    return ctx.finding(
        DENIED_ASSUMPTION_BURST,
        account_id=account_id,
        subject=caller,
        principal=caller,
        role_arn=roles[0] if len(roles) == 1 else None,
        explanation=(
            f"{caller} was denied AssumeRole* {count} times within {window} seconds "
            f"(roles tried: {', '.join(sorted(set(roles)))}): someone is probing which roles they can assume."
        ),
        remediation="Identify the caller; block it at its source if it is not yours, or fix the failing automation.",
        evidence={"count": count, "window_seconds": window, "roles": sorted(set(roles))},
    )


def tampering(
    ctx: AuditContext, *, account_id: str, resource: str, action: str, actor: str, actor_arn: str | None = None
) -> Finding:
    return ctx.finding(
        AUDITOR_TAMPERING,
        account_id=account_id,
        subject=resource,
        key=(action,),
        principal=actor_arn or actor,
        explanation=f"{actor} called {action} on {resource}, a resource of the Trustwatch auditor itself.",
        remediation="Verify the change was a planned deployment; otherwise redeploy Trustwatch from source and "
        "investigate the actor's other activity.",
        evidence={"resource": resource, "action": action},
    )
