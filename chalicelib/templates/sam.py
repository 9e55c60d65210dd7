"""SAM: the role ``AWS::Serverless::Function`` (and ``StateMachine``) creates when it names no ``Role``.

SAM calls it ``<LogicalId>Role`` and has it trust the service; ``AssumeRolePolicyDocument`` replaces that
trust. ``Policies`` entries are managed policy names or ARNs, inline documents (with ``Statement``), or SAM
policy templates (``{"S3ReadPolicy": {...}}``: none of them grants ``sts:AssumeRole``, so they are not read).
"""

from __future__ import annotations

from typing import Any

from .documents import template_policy
from .loader import LineDict
from .model import Extracted, Problem, TemplateIdentity, Where
from .resolve import Scope, Unresolved, resolve

SERVICES = {
    "AWS::Serverless::Function": "lambda.amazonaws.com",
    "AWS::Serverless::StateMachine": "states.amazonaws.com",
}


def sam_roles(out: Extracted, scope: Scope, logical_id: str, body: Any, line: int | None) -> list[TemplateIdentity]:
    props = body.get("Properties") or LineDict()
    if "Role" in props:
        return []  # the function uses a role defined elsewhere (audited there, or not in this template)
    name = f"{logical_id}Role"
    at = Where(out.file, line, logical_id)
    role = TemplateIdentity("role", f"arn:{scope.partition}:iam::{scope.account_id}:role/{name}", name, at)
    raw = props.get("AssumeRolePolicyDocument") or _default_trust(SERVICES[body["Type"]])
    doc_at = Where(out.file, _key_line(props, "AssumeRolePolicyDocument", line), logical_id)
    role.trust, role.trust_error = template_policy(raw, doc_at, scope, "AssumeRolePolicyDocument", out.problems)
    policies = props.get("Policies") or []
    for index, entry in enumerate(policies if isinstance(policies, list) else [policies]):
        entry_line = (
            policies.item_lines[index] if hasattr(policies, "item_lines") else _key_line(props, "Policies", line)
        )
        entry_at = Where(out.file, entry_line, logical_id)
        if isinstance(entry, dict) and "Statement" in entry:
            policy, error = template_policy(entry, entry_at, scope, f"Policies[{index}]", out.problems)
            role.inline += [policy] if policy else []
            if error:
                out.problems.append(Problem(entry_at, error))
        elif isinstance(entry, str) or (isinstance(entry, dict) and entry and next(iter(entry)) in ("Ref", "Fn::Sub")):
            _managed_name(out, scope, role, entry, entry_at)
    return [role]


def _managed_name(out: Extracted, scope: Scope, role: TemplateIdentity, entry: Any, at: Where) -> None:
    try:
        value = str(resolve(entry, scope))
    except Unresolved as exc:
        out.problems.append(Problem(at, f"Policies: {exc}"))
        return
    prefix = f"arn:{scope.partition}:iam::aws:policy/"
    role.managed_arns.append(value if value.startswith("arn:") else prefix + value)


def _default_trust(service: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": [service]},
            "Action": ["sts:AssumeRole"]}]}  # fmt: skip


def _key_line(props: Any, key: str, fallback: int | None) -> int | None:
    return props.key_lines.get(key, fallback) if isinstance(props, LineDict) else fallback
