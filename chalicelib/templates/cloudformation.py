"""CloudFormation and SAM templates: the roles, users, groups and policies they create, with their lines.

Names: a resource without ``RoleName``/``UserName``/... is named by its logical id (CloudFormation would add
the stack name and a random suffix, which the template cannot know); a SAM function without ``Role`` gets
the role SAM generates, ``<Function>Role``, trusting ``lambda.amazonaws.com``.
"""

from __future__ import annotations

from typing import Any

from .documents import template_policy
from .errors import TemplateError
from .loader import LineDict
from .model import Extracted, Problem, TemplateIdentity, Where
from .resolve import Scope, Unresolved, resolve
from .sam import SERVICES, sam_roles

KINDS = {"AWS::IAM::Role": ("role", "RoleName"), "AWS::IAM::User": ("user", "UserName"),
         "AWS::IAM::Group": ("group", "GroupName")}  # fmt: skip
POLICY_TYPES = {"AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy"}
HOLDERS = (("Roles", "role"), ("Users", "user"), ("Groups", "group"))
SINGLE_HOLDER = {"RoleName": "role", "UserName": "user", "GroupName": "group"}


def resources_of(data: Any, file: str) -> LineDict:
    if not isinstance(data, dict):
        raise TemplateError(file, None, "not a CloudFormation template (the file is not a mapping)")
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError(file, _line(data, "Resources"), "not a CloudFormation template: no Resources")
    for logical_id, body in resources.items():
        if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
            raise TemplateError(file, _line(resources, logical_id), f"resource {logical_id}: no Type")
    return resources if isinstance(resources, LineDict) else LineDict(resources)


def extract(data: Any, file: str, account_id: str, partition: str = "aws", region: str | None = None) -> Extracted:
    resources = resources_of(data, file)
    out = Extracted(file, account_id, partition)
    scope = _scope(data, account_id, partition)
    scope.region = region
    for logical_id, body in resources.items():
        if body["Type"] in KINDS:
            out.identities.append(_identity(out, scope, logical_id, body, _line(resources, logical_id)))
        elif body["Type"] in SERVICES:
            out.identities += sam_roles(out, scope, logical_id, body, _line(resources, logical_id))
    for logical_id, body in resources.items():
        at = Where(file, _line(resources, logical_id), logical_id)
        if body["Type"] == "AWS::IAM::ManagedPolicy":
            _managed(out, scope, logical_id, body, at)
        elif body["Type"] in POLICY_TYPES:
            _inline(out, scope, logical_id, body, at)
    return out


def _line(mapping: Any, key: str) -> int | None:
    return mapping.key_lines.get(key) if isinstance(mapping, LineDict) else None


def _props(body: Any) -> LineDict:
    props = body.get("Properties")
    return props if isinstance(props, LineDict) else LineDict(props or {})


def _scope(data: dict[str, Any], account_id: str, partition: str) -> Scope:
    parameters = data.get("Parameters") or {}
    scope = Scope(account_id, partition, declared=frozenset(parameters), mappings=data.get("Mappings") or {})
    scope.conditions = data.get("Conditions") or {}
    scope.parameters = {n: p["Default"] for n, p in parameters.items() if isinstance(p, dict) and "Default" in p}
    resources = data["Resources"]
    for logical_id, body in resources.items():
        kind, name_key = KINDS.get(body["Type"], (None, None))
        if kind is None and body["Type"] == "AWS::IAM::ManagedPolicy":
            scope.refs[logical_id] = _arn(scope, "policy", _props(body), "ManagedPolicyName", logical_id)
        elif kind is not None and name_key is not None:
            # Before any policy is read: a policy may name a role of the template that comes after it.
            name, path = _name_path(scope, _props(body), name_key, logical_id, [], None)
            scope.refs[logical_id] = name
            scope.arns[logical_id] = f"arn:{partition}:iam::{account_id}:{kind}{path}{name}"
    for logical_id, body in resources.items():
        if body["Type"] in SERVICES and "Role" not in _props(body):
            scope.refs[f"{logical_id}Role"] = f"{logical_id}Role"
            scope.arns[f"{logical_id}Role"] = f"arn:{partition}:iam::{account_id}:role/{logical_id}Role"
    return scope


def _arn(scope: Scope, kind: str, props: dict[str, Any], name_key: str, logical_id: str) -> str:
    name, path = _name_path(scope, props, name_key, logical_id, [], None)
    return f"arn:{scope.partition}:iam::{scope.account_id}:{kind}{path}{name}"


def _name_path(  # noqa: PLR0917  (the name and path of one resource, and where to report an unresolvable one)
    scope: Scope, props: dict[str, Any], name_key: str, logical_id: str, problems: list[Problem], at: Where | None
) -> tuple[str, str]:
    try:
        return str(resolve(props.get(name_key, logical_id), scope)), str(resolve(props.get("Path", "/"), scope))
    except Unresolved as exc:
        if at is not None:
            problems.append(Problem(at, f"{name_key}: {exc}; audited as {logical_id}"))
        return logical_id, "/"


def _identity(out: Extracted, scope: Scope, logical_id: str, body: Any, line: int | None) -> TemplateIdentity:
    kind, name_key = KINDS[body["Type"]]
    props, at = _props(body), Where(out.file, line, logical_id)
    name, path = _name_path(scope, props, name_key, logical_id, out.problems, at)
    arn = f"arn:{scope.partition}:iam::{scope.account_id}:{kind}{path}{name}"
    identity = TemplateIdentity(kind, arn, name, at, path=path)
    if kind == "role":
        raw = props.get("AssumeRolePolicyDocument")
        doc_at = Where(out.file, _line(props, "AssumeRolePolicyDocument") or line, logical_id)
        identity.trust, identity.trust_error = template_policy(
            raw, doc_at, scope, "AssumeRolePolicyDocument", out.problems
        )
    for index, entry in enumerate(props.get("Policies") or []):
        entry_at = Where(out.file, _item_line(props.get("Policies"), index, line), logical_id)
        name_of = _resolved(entry.get("PolicyName", f"Policies[{index}]"), scope, entry_at, out.problems)
        doc_at = Where(out.file, _line(entry, "PolicyDocument") or entry_at.line, logical_id)
        policy, error = template_policy(entry.get("PolicyDocument"), doc_at, scope, str(name_of), out.problems)
        _keep(out, identity.inline, policy, error, doc_at)
    identity.managed_arns = _strings(props.get("ManagedPolicyArns"), scope, at, out.problems)
    identity.group_names = _strings(props.get("Groups"), scope, at, out.problems) if kind == "user" else []
    return identity


def _managed(out: Extracted, scope: Scope, logical_id: str, body: Any, at: Where) -> None:
    props = _props(body)
    arn = scope.refs[logical_id]
    doc_at = Where(out.file, _line(props, "PolicyDocument") or at.line, logical_id)
    policy, error = template_policy(props.get("PolicyDocument"), doc_at, scope, arn, out.problems)
    if policy is None:
        _keep(out, [], policy, error, doc_at)
        return
    out.managed[arn] = policy
    for identity in _holders(out, scope, props, at):
        identity.managed_arns.append(arn)


def _inline(out: Extracted, scope: Scope, logical_id: str, body: Any, at: Where) -> None:
    props = _props(body)
    name = _resolved(props.get("PolicyName", logical_id), scope, at, out.problems)
    doc_at = Where(out.file, _line(props, "PolicyDocument") or at.line, logical_id)
    policy, error = template_policy(props.get("PolicyDocument"), doc_at, scope, str(name), out.problems)
    for identity in _holders(out, scope, props, at) if policy else []:
        identity.inline.append(policy)  # type: ignore[arg-type]  # policy is not None here
    _keep(out, [], None, error, doc_at)


def _holders(out: Extracted, scope: Scope, props: dict[str, Any], at: Where) -> list[TemplateIdentity]:
    """Who a policy is attached to; a policy attached to nobody the template knows is still audited, held by
    a stand-in group (so broad-assume-permission sees it)."""
    found: list[TemplateIdentity] = []
    for key, kind in HOLDERS:
        found += [out.identity(kind, n, at) for n in _strings(props.get(key), scope, at, out.problems)]
    for key, kind in SINGLE_HOLDER.items():
        if key in props:
            found += [out.identity(kind, n, at) for n in _strings([props[key]], scope, at, out.problems)]
    return found or [out.identity("group", "unattached-policies", at)]


def _keep(out: Extracted, into: list[Any], policy: Any, error: str | None, at: Where) -> None:
    if policy is not None:
        into.append(policy)
    if error:
        out.problems.append(Problem(at, error))


def _item_line(items: Any, index: int, fallback: int | None) -> int | None:
    lines = getattr(items, "item_lines", None)
    return lines[index] if lines and index < len(lines) else fallback


def _resolved(value: Any, scope: Scope, at: Where, problems: list[Problem]) -> Any:
    try:
        return resolve(value, scope)
    except Unresolved as exc:
        problems.append(Problem(at, str(exc)))
        return "(unresolved)"


def _strings(value: Any, scope: Scope, at: Where, problems: list[Problem]) -> list[str]:
    """A list of names or ARNs; an item the template does not decide is reported, never guessed."""
    out: list[str] = []
    for index, item in enumerate(value if isinstance(value, list) else [value] if value else []):
        try:
            resolved = resolve(item, scope)
        except Unresolved as exc:
            problems.append(Problem(Where(at.file, _item_line(value, index, at.line), at.resource), str(exc)))
            continue
        out += [str(v) for v in (resolved if isinstance(resolved, list) else [resolved])]
    return out
