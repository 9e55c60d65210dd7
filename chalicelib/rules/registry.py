"""The rule catalog: every rule module, listed explicitly (no discovery by glob)."""

from __future__ import annotations

from . import (
    account_root_trust,
    audit_error,
    broad_assume_permission,
    dangling_principal,
    invalid_trust_policy,
    missing_external_id,
    new_access,
    oidc_unrestricted_subject,
    public_trust,
    runtime,
    service_confused_deputy,
    session_principal_trust,
    transitive_external_access,
    trust_bypasses_caller_policy,
    untrusted_account,
)
from .registry_types import Rule, RuleMeta

RULES: tuple[Rule, ...] = (
    public_trust.RULE,
    untrusted_account.RULE,
    missing_external_id.RULE,
    account_root_trust.RULE,
    trust_bypasses_caller_policy.RULE,
    dangling_principal.RULE,
    oidc_unrestricted_subject.RULE,
    service_confused_deputy.RULE,
    invalid_trust_policy.RULE,
    session_principal_trust.RULE,
    transitive_external_access.RULE,
    broad_assume_permission.RULE,
    audit_error.RULE,
)


# Decided on CloudTrail events by the auditor, not by scans: listed for the catalog, suppressions and config.
EVENT_RULES: tuple[RuleMeta, ...] = (
    new_access.META,
    runtime.UNEXPECTED_ASSUMPTION,
    runtime.DENIED_ASSUMPTION_BURST,
    runtime.AUDITOR_TAMPERING,
)
CATALOG: tuple[RuleMeta, ...] = (*(rule.meta for rule in RULES), *EVENT_RULES)
