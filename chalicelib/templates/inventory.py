"""An in-memory `Inventory` from what a template creates, so the scan's rules run over it unchanged."""

from __future__ import annotations

from ..iam.entities import Account, Group, Inventory, NamedPolicy, Role, User
from .model import Extracted, TemplateIdentity


def inventory_of(extracted: Extracted) -> Inventory:
    account = Account(extracted.account_id)
    for arn, policy in extracted.managed.items():
        account.managed_policies[arn] = NamedPolicy(arn, policy.document)
    for identity in extracted.identities:
        _add(account, identity)
    return Inventory([account])


def _add(account: Account, identity: TemplateIdentity) -> None:
    common = {
        "arn": identity.arn,
        "name": identity.name,
        "unique_id": "",  # assigned by IAM at creation
        "path": identity.path,
        "inline_policies": tuple(NamedPolicy(p.name, p.document) for p in identity.inline),
        "managed_policy_arns": tuple(dict.fromkeys(identity.managed_arns)),
    }
    if identity.kind == "role":
        trust = identity.trust.document if identity.trust else None
        account.roles[identity.arn] = Role(**common, trust_policy=trust, trust_policy_error=identity.trust_error)  # type: ignore[arg-type]
    elif identity.kind == "user":
        account.users[identity.arn] = User(**common, group_names=tuple(identity.group_names))  # type: ignore[arg-type]
    else:
        account.groups[identity.name] = Group(**common)  # type: ignore[arg-type]
