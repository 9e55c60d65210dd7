"""Terraform plans (``terraform show -json``): IAM resources of the root module and every child module.

Policies are JSON strings in the plan, so every statement points at the line of the attribute holding the
document (``assume_role_policy``, ``policy``). A value only known after apply (a policy ARN the plan creates,
a document rendered from unknown inputs) is taken from the plan's configuration references when they name
a resource or ``aws_iam_policy_document`` of the plan; otherwise it is reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .documents import template_policy
from .errors import TemplateError
from .loader import LineDict
from .model import Extracted, Policy, Problem, TemplateIdentity, Where

IDENTITIES = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}
INLINE = {"aws_iam_role_policy": ("role", "role"), "aws_iam_user_policy": ("user", "user"),
          "aws_iam_group_policy": ("group", "group")}  # fmt: skip
ATTACH = {"aws_iam_role_policy_attachment": ("role", "role"), "aws_iam_user_policy_attachment": ("user", "user"),
          "aws_iam_group_policy_attachment": ("group", "group")}  # fmt: skip


def is_plan(data: object) -> bool:
    return isinstance(data, dict) and ("planned_values" in data or "terraform_version" in data)


def resources(data: Any, file: str) -> list[LineDict]:
    planned = data.get("planned_values")
    root = planned.get("root_module") if isinstance(planned, dict) else None
    if not isinstance(root, dict):
        line = data.key_lines.get("planned_values") if isinstance(data, LineDict) else None
        raise TemplateError(
            file, line, "not a Terraform plan: no planned_values.root_module (use terraform show -json)"
        )
    found = list(_walk(root, file))
    prior = (data.get("prior_state") or {}).get("values", {}).get("root_module")
    # Data sources read at plan time (a rendered aws_iam_policy_document) may only be in the prior state.
    data_sources = [r for r in _walk(prior, file) if r.get("mode") == "data"] if isinstance(prior, dict) else []
    return found + data_sources


def _walk(module: dict[str, Any], file: str) -> Iterator[LineDict]:
    for resource in module.get("resources") or []:
        if not isinstance(resource, dict) or not isinstance(resource.get("address"), str):
            raise TemplateError(file, getattr(resource, "line", None), "plan resource without an address")
        yield resource  # type: ignore[misc]  # loaded as LineDict
    for child in module.get("child_modules") or []:
        yield from _walk(child, file)


def extract(data: Any, file: str, account_id: str, partition: str = "aws") -> Extracted:
    out = Extracted(file, account_id, partition)
    found = resources(data, file)
    managed = [r for r in found if r.get("mode", "managed") == "managed"]
    documents = {r["address"]: r for r in found if r.get("type") == "aws_iam_policy_document"}
    plan = _Plan(out, data, documents)
    for resource in managed:
        if resource.get("type") in IDENTITIES:
            out.identities.append(plan.identity(resource))
    arns = {r["address"]: plan.policy(r) for r in managed if r.get("type") == "aws_iam_policy"}
    for resource in managed:
        kind = resource.get("type")
        if kind in INLINE:
            plan.inline(resource, *INLINE[kind])
        elif kind in ATTACH or kind == "aws_iam_policy_attachment":
            plan.attach(resource, arns)
    return out


class _Plan:
    def __init__(self, out: Extracted, data: Any, documents: dict[str, LineDict]) -> None:
        self.out, self.documents = out, documents
        self.references = _references(data.get("configuration", {}).get("root_module", {}), "")

    def where(self, resource: LineDict, attribute: str | None = None) -> Where:
        values = resource.get("values")
        line = values.key_lines.get(attribute) if attribute and isinstance(values, LineDict) else None
        return Where(self.out.file, line or resource.line, resource["address"])

    def document(self, resource: LineDict, attribute: str, name: str) -> tuple[Policy | None, str | None]:
        values = resource.get("values") or {}
        raw = values.get(attribute)
        at = self.where(resource, attribute)
        if not raw:
            rendered = self._rendered(resource["address"], attribute)
            if rendered is None:
                self.out.problems.append(Problem(at, f"{attribute}: only known after apply; not evaluated"))
                return None, None
            raw, at = rendered
        return template_policy(raw, at, None, name, self.out.problems)

    def _reported(self, resource: LineDict, found: tuple[Policy | None, str | None]) -> Policy | None:
        """An identity policy that is not policy grammar is an audit-error at its attribute."""
        policy, error = found
        if error:
            self.out.problems.append(Problem(self.where(resource, "policy"), error))
        return policy

    def _rendered(self, address: str, attribute: str) -> tuple[str, Where] | None:
        for ref in self.references.get((_unindexed(address), attribute), []):
            for doc_address, doc in self.documents.items():
                if _unindexed(doc_address) == ref and (doc.get("values") or {}).get("json"):
                    return doc["values"]["json"], self.where(doc, "json")
        return None

    def identity(self, resource: LineDict) -> TemplateIdentity:
        kind, values = IDENTITIES[resource["type"]], resource.get("values") or {}
        name = values.get("name") or resource.get("name") or resource["address"]
        path = values.get("path") or "/"
        arn = values.get("arn") or f"arn:{self.out.partition}:iam::{self.out.account_id}:{kind}{path}{name}"
        identity = TemplateIdentity(kind, arn, name, self.where(resource), path=path)
        if kind == "role":
            identity.trust, identity.trust_error = self.document(resource, "assume_role_policy", "assume_role_policy")
            for index, entry in enumerate(values.get("inline_policy") or []):
                self._inline_entry(identity, resource, index, entry)
            identity.managed_arns = [a for a in values.get("managed_policy_arns") or [] if isinstance(a, str)]
        return identity

    def _inline_entry(self, identity: TemplateIdentity, resource: LineDict, index: int, entry: Any) -> None:
        if not (isinstance(entry, LineDict) and entry.get("policy")):
            return
        at = Where(self.out.file, entry.key_lines.get("policy"), resource["address"])
        name = entry.get("name") or f"inline_policy[{index}]"
        policy, error = template_policy(entry["policy"], at, None, name, self.out.problems)
        identity.inline += [policy] if policy else []
        self.out.problems += [Problem(at, error)] if error else []

    def policy(self, resource: LineDict) -> str:
        values = resource.get("values") or {}
        path, name = values.get("path") or "/", values.get("name") or resource.get("name")
        arn: str = values.get("arn") or f"arn:{self.out.partition}:iam::{self.out.account_id}:policy{path}{name}"
        policy = self._reported(resource, self.document(resource, "policy", arn))
        if policy is not None:
            self.out.managed[arn] = policy
        return arn

    def inline(self, resource: LineDict, kind: str, attribute: str) -> None:
        values = resource.get("values") or {}
        policy = self._reported(resource, self.document(resource, "policy", values.get("name") or resource["address"]))
        holder = values.get(attribute)
        if policy is not None:
            name = holder if isinstance(holder, str) else "unattached-policies"
            self.out.identity(kind if isinstance(holder, str) else "group", name, self.where(resource)).inline.append(
                policy
            )

    def attach(self, resource: LineDict, arns: dict[str, str]) -> None:
        values, at = resource.get("values") or {}, self.where(resource, "policy_arn")
        arn = values.get("policy_arn") or next(
            (arns[a] for ref in self.references.get((_unindexed(resource["address"]), "policy_arn"), [])
             for a in arns if _unindexed(a) == ref), None)  # fmt: skip
        if not isinstance(arn, str):
            self.out.problems.append(
                Problem(at, "policy_arn: only known after apply; the attachment was not evaluated")
            )
            return
        for key, kind in (("role", "role"), ("user", "user"), ("group", "group"), ("roles", "role"),
                          ("users", "user"), ("groups", "group")):  # fmt: skip
            names = values.get(key)
            for name in [names] if isinstance(names, str) else names or []:
                self.out.identity(kind, name, at).managed_arns.append(arn)


def _unindexed(address: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", address)


def _references(module: Any, prefix: str) -> dict[tuple[str, str], list[str]]:
    """(resource address, attribute) -> the addresses its configuration expression refers to, per module."""
    out: dict[tuple[str, str], list[str]] = {}
    for resource in module.get("resources") or []:
        for attribute, expression in (resource.get("expressions") or {}).items():
            refs = expression.get("references") if isinstance(expression, dict) else None
            out[(prefix + resource["address"], attribute)] = [prefix + r for r in refs or []]
    for name, call in (module.get("module_calls") or {}).items():
        out |= _references(call.get("module") or {}, f"{prefix}module.{name}.")
    return out
