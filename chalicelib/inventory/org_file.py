"""The organization file: which accounts belong to the organization, their org paths, SCP and RCP chains.

Optional, at most one per load (docs/snapshots.md has the details)::

    {
      "Organization": {"Id": "o-a1b2c3d4e5", "ManagementAccountId": "999999999999"},
      "Accounts": [
        {
          "Id": "111111111111",
          "OrgPath": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/",
          "ServiceControlPolicies": [
            {"Target": "r-ab12", "Policies": [{"Name": "FullAWSAccess", "Document": {"Version": "...", ...}}]},
            {"Target": "ou-ab12-11111111", "Policies": [...]},
            {"Target": "111111111111", "Policies": [...]}
          ],
          "ResourceControlPolicies": [...]
        }
      ]
    }

``Organization.Id`` is required; ``ManagementAccountId``, ``OrgPath`` and both chains are optional.
``OrgPath`` is the account's parents as ``aws:PrincipalOrgPaths`` shows them (org id, root, OUs, each
followed by ``/``). A chain lists the levels root first, then each OU down the path, then the account;
each level names its target and the policies attached there. ``Document`` is an object or a JSON string
(plain or URL-encoded). An account without a chain (or with an empty one) gets no entry in
``Organization.scps`` / ``rcps``: such policies are not in effect for it (as for the management account,
which counts as a member of the organization but is never restricted by SCPs or RCPs). Unlike in account
files, a document or entry that cannot be read is an error for the whole file: leaving one SCP out would
change what the chain allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..iam.arn import is_account_id
from ..iam.entities import NamedPolicy, Organization, PolicyLevel
from ..iam.errors import PolicyParseError
from ..iam.policy import parse_policy
from .json_place import JsonObject, Place, SnapshotError, as_object, entries, optional_text, text

ORGANIZATION_KEYS = ("Organization", "Accounts")
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")


@dataclass(frozen=True, slots=True)
class _Member:
    account_id: str
    org_path: str | None
    scps: tuple[PolicyLevel, ...]
    rcps: tuple[PolicyLevel, ...]


def _account_id_at(obj: JsonObject, key: str, place: Place, *, required: bool) -> str | None:
    value = text(obj, key, place) if required else optional_text(obj, key, place)
    if value is not None and not is_account_id(value):
        raise place.key(key).error(f"not a 12-digit account id: {value!r}")
    return value


def _org_id(header: JsonObject, place: Place) -> str:
    org_id = text(header, "Id", place)
    if not _ORG_ID.match(org_id):
        raise place.key("Id").error(f"not an organization id (o-...): {org_id!r}")
    return org_id


def _org_path(entry: JsonObject, place: Place, org_id: str) -> str | None:
    """``o-x/r-y/ou-z/``: the organization, its root, then OUs, each followed by ``/``."""
    path = optional_text(entry, "OrgPath", place)
    if path is None:
        return None
    parts = path.split("/")
    ous_ok = all(p.startswith("ou-") for p in parts[2:-1])
    if len(parts) < 3 or parts[0] != org_id or not parts[1].startswith("r-") or parts[-1] or not ous_ok:
        raise place.key("OrgPath").error(f"expected {org_id}/r-.../ou-.../ (ending with /), found {path!r}")
    return path


def _org_policy(item: JsonObject, place: Place) -> NamedPolicy:
    name = text(item, "Name", place)
    where = place.key("Document")
    try:
        raw = item.get("Document")
        if raw is None:
            raise PolicyParseError("the policy document is missing", source=str(where))
        return NamedPolicy(name, parse_policy(raw, source=str(where)))
    except PolicyParseError as exc:
        location = f"{where.path}.{exc.location}" if exc.location else where.path
        raise SnapshotError(exc.detail, source=place.source, location=location) from None


def _chain(entry: JsonObject, key: str, place: Place) -> tuple[PolicyLevel, ...]:
    """Root-first levels, each a target (root, OU or account id) and the policies attached to it."""
    return tuple(
        PolicyLevel(
            text(level, "Target", where), tuple(_org_policy(p, w) for w, p in entries(level, "Policies", where))
        )
        for where, level in entries(entry, key, place)
    )


def _members(top: JsonObject, place: Place, org_id: str) -> list[_Member]:
    members: dict[str, _Member] = {}
    for where, entry in entries(top, "Accounts", place):
        account_id = _account_id_at(entry, "Id", where, required=True) or ""
        if account_id in members:
            raise where.key("Id").error(f"account {account_id} is listed twice")
        members[account_id] = _Member(
            account_id=account_id,
            org_path=_org_path(entry, where, org_id),
            scps=_chain(entry, "ServiceControlPolicies", where),
            rcps=_chain(entry, "ResourceControlPolicies", where),
        )
    return list(members.values())


def parse_organization(data: object, *, source: str) -> Organization:
    """The organization file described in this module's docstring, as an `Organization`."""
    place = Place(source)
    top = as_object(data, place)
    where = place.key("Organization")
    header = as_object(top.get("Organization"), where)
    org_id = _org_id(header, where)
    management = _account_id_at(header, "ManagementAccountId", where, required=False)
    members = _members(top, place, org_id)
    return Organization(
        org_id=org_id,
        management_account_id=management,
        account_ids=frozenset([m.account_id for m in members] + ([management] if management else [])),
        scps={m.account_id: m.scps for m in members if m.scps},
        rcps={m.account_id: m.rcps for m in members if m.rcps},
        org_paths={m.account_id: m.org_path for m in members if m.org_path},
    )
