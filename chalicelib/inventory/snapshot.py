"""Snapshot files: accounts as ``aws iam get-account-authorization-details`` prints them, and an organization file.

Account file (one per account)
    Exactly the JSON printed by ``aws iam get-account-authorization-details --output json``: the lists
    ``UserDetailList``, ``GroupDetailList``, ``RoleDetailList`` and ``Policies``. Any of them may be missing or
    empty; every other key (``IsTruncated``, ``Marker``, ``CreateDate``, ``RoleLastUsed``, ...) is ignored.
    Policy documents may be objects (what the CLI prints) or URL-encoded JSON strings (the raw API form).
    The account id comes from the ARNs in the file, which must all agree. One document that does not parse
    never hides the rest: a role keeps its trust policy's error in ``Role.trust_policy_error``; an inline or
    managed policy that does not parse is left out and named in ``Account.errors``. Of a managed policy only
    the default version is kept, under its ARN.

Organization file (optional, at most one per load; docs/snapshots.md has the details)::

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
    files, a document that does not parse is an error here: leaving one SCP out would change what the
    chain allows.

`load_snapshots` tells the two kinds apart by their top-level keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeAlias, TypeVar

from chalicelib.iam.arn import Arn, is_account_id, try_parse
from chalicelib.iam.entities import (
    Account,
    Group,
    Identity,
    Inventory,
    NamedPolicy,
    Organization,
    PolicyLevel,
    Role,
    User,
)
from chalicelib.iam.errors import PolicyParseError
from chalicelib.iam.policy import PolicyDocument, parse_policy

GAAD_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
ORGANIZATION_KEYS = ("Organization", "Accounts")
_ORG_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
_JSON_KINDS: dict[type, str] = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}

JsonObject: TypeAlias = dict[str, object]
_I = TypeVar("_I", bound=Identity)


class SnapshotError(ValueError):
    """A snapshot file that cannot be used at all. The message names the file and the place inside it."""

    def __init__(self, message: str, *, source: str, location: str = "") -> None:
        self.source = source
        self.location = location
        self.detail = message
        super().__init__(f"{source}: {location}: {message}" if location else f"{source}: {message}")


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a value sits: the file and a path such as ``RoleDetailList[3].AssumeRolePolicyDocument``."""

    source: str
    path: str = ""

    def key(self, name: str) -> _Place:
        return _Place(self.source, f"{self.path}.{name}" if self.path else name)

    def index(self, position: int) -> _Place:
        return _Place(self.source, f"{self.path}[{position}]")

    def error(self, message: str) -> SnapshotError:
        return SnapshotError(message, source=self.source, location=self.path)

    def __str__(self) -> str:
        return f"{self.source}: {self.path}" if self.path else self.source


_Entries: TypeAlias = list[tuple[_Place, JsonObject]]


@dataclass(frozen=True, slots=True)
class _Kind:
    """The keys under which GAAD stores one kind of identity."""

    name_key: str
    id_key: str
    policies_key: str


_USER = _Kind("UserName", "UserId", "UserPolicyList")
_GROUP = _Kind("GroupName", "GroupId", "GroupPolicyList")
_ROLE = _Kind("RoleName", "RoleId", "RolePolicyList")


# --- reading JSON values with their place -------------------------------------------------------------------


def _json_kind(value: object) -> str:
    return _JSON_KINDS.get(type(value), type(value).__name__)


def _object(value: object, place: _Place) -> JsonObject:
    if not isinstance(value, dict):
        raise place.error(f"expected a JSON object, found {_json_kind(value)}")
    return value


def _entries(obj: JsonObject, key: str, place: _Place) -> _Entries:
    """The objects of an optional list: missing or null is empty, anything but a list of objects an error."""
    value = obj.get(key)
    if value is None:
        return []
    where = place.key(key)
    if not isinstance(value, list):
        raise where.error(f"expected a list, found {_json_kind(value)}")
    return [(where.index(i), _object(item, where.index(i))) for i, item in enumerate(value)]


def _optional_text(obj: JsonObject, key: str, place: _Place) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise place.key(key).error(f"expected a string, found {_json_kind(value)}")


def _text(obj: JsonObject, key: str, place: _Place) -> str:
    value = _optional_text(obj, key, place)
    if value is None:
        raise place.key(key).error("required but missing")
    return value


def _string_list(obj: JsonObject, key: str, place: _Place) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise place.key(key).error(f"expected a list of strings, found {_json_kind(value)}")
    return tuple(value)


def _arn(obj: JsonObject, place: _Place, *, aws_managed: bool = False) -> Arn:
    """The entry's ``Arn``: an IAM ARN of a 12-digit account (or ``aws``, for AWS managed policies)."""
    text = _text(obj, "Arn", place)
    parsed = try_parse(text)
    owner_ok = parsed is not None and (is_account_id(parsed.account) or (aws_managed and parsed.account == "aws"))
    if parsed is None or parsed.service != "iam" or not owner_ok:
        raise place.key("Arn").error(f"not an IAM ARN of an account: {text!r}")
    return parsed


def _document(raw: object, place: _Place) -> PolicyDocument:
    if raw is None:
        raise PolicyParseError("the policy document is missing", source=str(place))
    return parse_policy(raw, source=str(place))


def _read_json(path: Path, source: str) -> object:
    """The file's JSON (UTF-8, -16 or -32, with or without BOM); SnapshotError when unreadable or not JSON."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"cannot read the file: {exc.strerror or exc}", source=source) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"not JSON: {exc.msg}", source=source, location=f"line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError:
        raise SnapshotError("not JSON: the file is not UTF-8, UTF-16 or UTF-32 text", source=source) from None
    except RecursionError:
        raise SnapshotError("not JSON: nested too deeply", source=source) from None


# --- account files (get-account-authorization-details) ------------------------------------------------------


def _owned_arns(lists: dict[str, _Entries]) -> Iterator[tuple[_Place, Arn]]:
    """Every ARN of the file that belongs to an account: entities first, then customer managed policies."""
    for key in GAAD_LISTS:
        for where, entry in lists[key]:
            arn = _arn(entry, where, aws_managed=key == "Policies")
            if arn.account != "aws":
                yield where, arn


def _account_id(lists: dict[str, _Entries], place: _Place) -> str:
    first: tuple[str, _Place] | None = None
    for where, arn in _owned_arns(lists):
        if first is None:
            first = (arn.account, where)
        elif arn.account != first[0]:
            message = f"account {arn.account} differs from account {first[0]} of {first[1].path}"
            raise where.key("Arn").error(message)
    if first is None:
        raise place.error("no account id: the file has no user, group, role or customer managed policy ARN")
    return first[0]


def _inline_policies(
    entry: JsonObject, key: str, place: _Place, owner: str, errors: list[str]
) -> tuple[NamedPolicy, ...]:
    policies: list[NamedPolicy] = []
    for where, item in _entries(entry, key, place):
        name = _text(item, "PolicyName", where)
        try:
            policies.append(NamedPolicy(name, _document(item.get("PolicyDocument"), where.key("PolicyDocument"))))
        except PolicyParseError as exc:
            errors.append(f"inline policy {name!r} of {owner} left out: {exc}")
    return tuple(policies)


def _attached_arns(entry: JsonObject, place: _Place) -> tuple[str, ...]:
    return tuple(_text(item, "PolicyArn", where) for where, item in _entries(entry, "AttachedManagedPolicies", place))


def _boundary_arn(entry: JsonObject, place: _Place) -> str | None:
    value = entry.get("PermissionsBoundary")
    if value is None:
        return None
    where = place.key("PermissionsBoundary")
    return _optional_text(_object(value, where), "PermissionsBoundaryArn", where)


def _tags(entry: JsonObject, place: _Place) -> tuple[tuple[str, str], ...]:
    return tuple(
        (_text(tag, "Key", where), _text(tag, "Value", where)) for where, tag in _entries(entry, "Tags", place)
    )


def _identity(cls: type[_I], kind: _Kind, entry: JsonObject, place: _Place, errors: list[str]) -> _I:
    """What users, groups and roles share; the name and path default to what the ARN says."""
    arn = _arn(entry, place)
    return cls(
        arn=str(arn),
        name=_optional_text(entry, kind.name_key, place) or arn.resource_name,
        unique_id=_optional_text(entry, kind.id_key, place) or "",
        path=_optional_text(entry, "Path", place) or arn.path,
        inline_policies=_inline_policies(entry, kind.policies_key, place, str(arn), errors),
        managed_policy_arns=_attached_arns(entry, place),
        boundary_arn=_boundary_arn(entry, place),
        tags=_tags(entry, place),
    )


def _user(entry: JsonObject, place: _Place, errors: list[str]) -> User:
    user = _identity(User, _USER, entry, place, errors)
    return replace(user, group_names=_string_list(entry, "GroupList", place))


def _role(entry: JsonObject, place: _Place, errors: list[str]) -> Role:
    role = _identity(Role, _ROLE, entry, place, errors)
    where = place.key("AssumeRolePolicyDocument")
    try:
        return replace(role, trust_policy=_document(entry.get("AssumeRolePolicyDocument"), where))
    except PolicyParseError as exc:
        return replace(role, trust_policy_error=str(exc))


def _default_version(entry: JsonObject, place: _Place) -> tuple[_Place, JsonObject] | None:
    """The version flagged ``IsDefaultVersion``, else the one named by ``DefaultVersionId``."""
    versions = _entries(entry, "PolicyVersionList", place)
    default_id = entry.get("DefaultVersionId")
    flagged = [v for v in versions if v[1].get("IsDefaultVersion") is True]
    named = [v for v in versions if default_id is not None and v[1].get("VersionId") == default_id]
    return next(iter(flagged + named), None)


def _managed_policy(entry: JsonObject, place: _Place, errors: list[str]) -> NamedPolicy | None:
    """The default version under the policy's ARN (moto leaves ``PolicyName`` out: the ARN gives it)."""
    arn = str(_arn(entry, place, aws_managed=True))
    label = f"managed policy {_optional_text(entry, 'PolicyName', place) or arn.rsplit('/', 1)[-1]!r} ({arn})"
    version = _default_version(entry, place)
    if version is None:
        errors.append(f"{label} left out: {place.key('PolicyVersionList')}: no default version")
        return None
    where, item = version
    try:
        return NamedPolicy(arn, _document(item.get("Document"), where.key("Document")))
    except PolicyParseError as exc:
        errors.append(f"{label} left out: {exc}")
        return None


def _truncation_notes(top: JsonObject, place: _Place) -> list[str]:
    if top.get("IsTruncated") is True:
        return [f"{place}: IsTruncated is true: this is one page of the output, the pages after it are missing"]
    return []


def _fill(account: Account, lists: dict[str, _Entries]) -> None:
    for where, entry in lists["Policies"]:
        policy = _managed_policy(entry, where, account.errors)
        if policy is not None:
            account.managed_policies[policy.name] = policy
    for where, entry in lists["GroupDetailList"]:
        group = _identity(Group, _GROUP, entry, where, account.errors)
        account.groups[group.name] = group
    for where, entry in lists["UserDetailList"]:
        user = _user(entry, where, account.errors)
        account.users[user.arn] = user
    for where, entry in lists["RoleDetailList"]:
        role = _role(entry, where, account.errors)
        account.roles[role.arn] = role


def parse_authorization_details(data: object, *, source: str) -> Account:
    """One account from the JSON of ``aws iam get-account-authorization-details`` (already decoded).

    ``source`` names the file in messages. Raises `SnapshotError` when the data is not of that shape at all;
    a policy document that does not parse only marks its role or goes into ``Account.errors``.
    """
    place = _Place(source)
    top = _object(data, place)
    lists = {key: _entries(top, key, place) for key in GAAD_LISTS}
    account = Account(account_id=_account_id(lists, place), errors=_truncation_notes(top, place))
    _fill(account, lists)
    return account


# --- organization files ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Member:
    account_id: str
    org_path: str | None
    scps: tuple[PolicyLevel, ...]
    rcps: tuple[PolicyLevel, ...]


def _account_id_at(obj: JsonObject, key: str, place: _Place, *, required: bool) -> str | None:
    value = _text(obj, key, place) if required else _optional_text(obj, key, place)
    if value is not None and not is_account_id(value):
        raise place.key(key).error(f"not a 12-digit account id: {value!r}")
    return value


def _org_id(header: JsonObject, place: _Place) -> str:
    org_id = _text(header, "Id", place)
    if not _ORG_ID.match(org_id):
        raise place.key("Id").error(f"not an organization id (o-...): {org_id!r}")
    return org_id


def _org_path(entry: JsonObject, place: _Place, org_id: str) -> str | None:
    """``o-x/r-y/ou-z/``: the organization, its root, then OUs, each followed by ``/``."""
    path = _optional_text(entry, "OrgPath", place)
    if path is None:
        return None
    parts = path.split("/")
    ous_ok = all(p.startswith("ou-") for p in parts[2:-1])
    if len(parts) < 3 or parts[0] != org_id or not parts[1].startswith("r-") or parts[-1] or not ous_ok:
        raise place.key("OrgPath").error(f"expected {org_id}/r-.../ou-.../ (ending with /), found {path!r}")
    return path


def _org_policy(item: JsonObject, place: _Place) -> NamedPolicy:
    name = _text(item, "Name", place)
    where = place.key("Document")
    try:
        return NamedPolicy(name, _document(item.get("Document"), where))
    except PolicyParseError as exc:
        location = f"{where.path}.{exc.location}" if exc.location else where.path
        raise SnapshotError(exc.detail, source=place.source, location=location) from None


def _chain(entry: JsonObject, key: str, place: _Place) -> tuple[PolicyLevel, ...]:
    """Root-first levels, each a target (root, OU or account id) and the policies attached to it."""
    return tuple(
        PolicyLevel(
            _text(level, "Target", where), tuple(_org_policy(p, w) for w, p in _entries(level, "Policies", where))
        )
        for where, level in _entries(entry, key, place)
    )


def _members(top: JsonObject, place: _Place, org_id: str) -> list[_Member]:
    members: dict[str, _Member] = {}
    for where, entry in _entries(top, "Accounts", place):
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
    place = _Place(source)
    top = _object(data, place)
    where = place.key("Organization")
    header = _object(top.get("Organization"), where)
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


# --- loading files ---------------------------------------------------------------------------------------


def _is_organization(data: object, source: str) -> bool:
    top = _object(data, _Place(source))
    is_org = any(key in top for key in ORGANIZATION_KEYS)
    is_account = any(key in top for key in GAAD_LISTS)
    if is_org and is_account:
        raise SnapshotError("mixes account keys (RoleDetailList, ...) with organization keys", source=source)
    if not is_org and not is_account:
        expected = ", ".join(GAAD_LISTS)
        raise SnapshotError(f"neither an account snapshot ({expected}) nor an organization file", source=source)
    return is_org


def load_snapshots(paths: Sequence[str | Path]) -> Inventory:
    """Account files and at most one organization file, in any order, as one `Inventory`.

    Raises `SnapshotError` (naming the file) for an unreadable file, bad JSON, a file of neither kind, two
    files of the same account or two organization files.
    """
    accounts: dict[str, tuple[Account, str]] = {}
    organization: tuple[Organization, str] | None = None
    for path in paths:
        source = str(path)
        data = _read_json(Path(path), source)
        if not _is_organization(data, source):
            account = parse_authorization_details(data, source=source)
            if account.account_id in accounts:
                other = accounts[account.account_id][1]
                raise SnapshotError(f"account {account.account_id} is also loaded from {other}", source=source)
            accounts[account.account_id] = (account, source)
        elif organization is not None:
            raise SnapshotError(f"a second organization file (the first is {organization[1]})", source=source)
        else:
            organization = (parse_organization(data, source=source), source)
    return Inventory((a for a, _ in accounts.values()), organization[0] if organization else None)
