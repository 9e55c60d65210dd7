"""``check-template --baseline-snapshot``: what a template would change in the deployed roles' trust.

Each role of the template is looked up by name in the deployed account (the snapshot's); new-access's own
diff decides what is added (principals, accounts, grants that lost their conditions), at the severity the
trust rules give the added grants. A role the account does not have yet is new: all its grants are added.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Config
from ..iam.entities import Inventory
from ..rules import new_access
from ..rules.context import AuditContext, RoleTarget
from ..rules.engine import finalize
from ..rules.findings import Finding
from ..templates import Extracted
from .common import BadInputError, load_inventory, one_line


class Baseline:
    def __init__(self, inventory: Inventory, files: Sequence[str]) -> None:
        self.inventory, self.files = inventory, list(files)

    @classmethod
    def load(cls, files: Sequence[str]) -> Baseline:
        return cls(load_inventory(list(files)), files)  # what the load left out: a warning line each

    @classmethod
    def load_live(cls, *, profile: str | None, endpoint_url: str | None, region: str | None) -> Baseline:
        """The account the credentials reach, read through GetAccountAuthorizationDetails (boto3 loads only here)."""
        from ..inventory.errors import InventoryError  # noqa: PLC0415
        from ..inventory.live import LiveSource  # noqa: PLC0415

        source = LiveSource(profile=profile, endpoint_url=endpoint_url, region=region)
        try:
            loaded = source.load()
        except InventoryError as exc:
            raise BadInputError(one_line(exc)) from None
        if loaded.errors:
            raise BadInputError(f"--baseline-live: {one_line(loaded.errors[0].message)}")
        return cls(loaded.inventory, [f"the live account {', '.join(sorted(loaded.inventory.accounts))}"])

    def only_account(self) -> str | None:
        """The deploying account when the snapshots hold exactly one."""
        return next(iter(self.inventory.accounts)) if len(self.inventory.accounts) == 1 else None

    def new_access(
        self, extracted: Extracted, template: Inventory, config: Config, verdicts: Sequence[Finding]
    ) -> list[Finding]:
        ctx = AuditContext(config, template)
        found: list[Finding] = []
        for identity in extracted.identities:
            if identity.kind != "role" or identity.stub or identity.trust is None:
                continue
            deployed = self.inventory.role_by_name(extracted.account_id, identity.name)
            target = RoleTarget(identity.arn, identity.trust.document, template.role(identity.arn))
            where = f"{identity.where.file} ({identity.where.resource})"
            baseline = (
                f"compared with the deployed {deployed.arn} in {', '.join(self.files)}"
                if deployed
                else f"the role is not in {', '.join(self.files)}: it is new"
            )
            added = new_access.check(
                target,
                ctx,
                previous=deployed.trust_policy if deployed else None,
                verdicts=[f for f in verdicts if f.role_arn == identity.arn],
                change=f"Deploying {where}",
                baseline=baseline,
            )
            found += [added] if added else []
        return list(finalize(found, config, template).findings)
