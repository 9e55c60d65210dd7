"""Corrected trust policy statements, shown as JSON in findings' remediations."""

from __future__ import annotations

import json
from typing import Any

from ..iam.policy import PolicyDocument, Principal, Statement


def statement_dict(statement: Statement) -> dict[str, Any]:
    """The statement back in AWS's JSON form (single values stay single)."""
    out: dict[str, Any] = {}
    if statement.sid:
        out["Sid"] = statement.sid
    out["Effect"] = statement.effect
    if statement.principal is not None:
        p = statement.principal
        out["Principal"] = "*" if p.wildcard and not (p.aws or p.service or p.federated) else _principal_map(p)
    if statement.not_principal is not None:
        out["NotPrincipal"] = _principal_map(statement.not_principal)
    for name, value in (
        ("Action", statement.action),
        ("NotAction", statement.not_action),
        ("Resource", statement.resource),
        ("NotResource", statement.not_resource),
    ):
        if value is not None:
            out[name] = _one_or_list(value)
    if statement.condition:
        block: dict[str, dict[str, Any]] = {}
        for c in statement.condition:
            block.setdefault(c.operator, {})[c.key] = _one_or_list(c.values)
        out["Condition"] = block
    return out


def _principal_map(p: Principal) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in (("AWS", p.aws_entries), ("Service", p.service), ("Federated", p.federated)):
        if values:
            out[name] = _one_or_list(values)
    return out


def _one_or_list(values: tuple[str, ...]) -> Any:
    return values[0] if len(values) == 1 else list(values)


def document_dict(document: PolicyDocument) -> dict[str, Any]:
    """The whole document back in AWS's JSON form: it parses back to an equal document."""
    out: dict[str, Any] = {}
    if document.version:
        out["Version"] = document.version
    if document.id:
        out["Id"] = document.id
    out["Statement"] = [statement_dict(s) for s in document.statements]
    return out


def with_condition(statement: dict[str, Any], operator: str, key: str, value: Any) -> dict[str, Any]:
    corrected = dict(statement)
    block = {op: dict(keys) for op, keys in corrected.get("Condition", {}).items()}
    block.setdefault(operator, {})[key] = value
    corrected["Condition"] = block
    return corrected


def show(statement: dict[str, Any] | list[dict[str, Any]]) -> str:
    return json.dumps(statement, indent=2)
