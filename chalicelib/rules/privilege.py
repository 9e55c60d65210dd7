"""Is a role administrator-equivalent? Findings about such roles rise one severity level."""

from __future__ import annotations

from ..iam.entities import Inventory, NamedPolicy, Role
from ..iam.policy import Statement
from ..iam.wildcard import any_action_matches

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
# Any one of these lets the holder rewrite IAM policies, which is administrator access with extra steps.
POLICY_CHANGING_ACTIONS = (
    "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutUserPolicy", "iam:AttachUserPolicy",
    "iam:PutGroupPolicy", "iam:AttachGroupPolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
    "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
)  # fmt: skip


def privilege_reason(role: Role, inventory: Inventory | None) -> str | None:
    """Why the role is administrator-equivalent, or None."""
    if ADMINISTRATOR_ACCESS in role.managed_policy_arns:
        return "it has AdministratorAccess attached"
    for policy in _policies(role, inventory):
        for index, statement in enumerate(policy.document.statements):
            reason = _statement_reason(statement)
            if reason:
                return f"{reason} ({policy.name} statement {index})"
    return None


def _policies(role: Role, inventory: Inventory | None) -> list[NamedPolicy]:
    policies = list(role.inline_policies)
    if inventory is not None:
        found = (inventory.managed_policy(role.account_id, arn) for arn in role.managed_policy_arns)
        policies += [p for p in found if p is not None]
    return policies


def _statement_reason(statement: Statement) -> str | None:
    if statement.effect != "Allow" or statement.condition or statement.resource != ("*",):
        return None
    for action in ("*:*", "iam:*", *POLICY_CHANGING_ACTIONS):
        covered = (
            any_action_matches(statement.action, action)
            if statement.action is not None
            else not any_action_matches(statement.not_action or (), action)
        )
        if covered:
            return "it may perform any action on any resource" if action == "*:*" else f"it may call {action} on *"
    return None
