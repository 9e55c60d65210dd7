"""Account files: the JSON of ``aws iam get-account-authorization-details``, read into `Account` objects.

Exactly what ``aws iam get-account-authorization-details --output json`` prints: the lists ``UserDetailList``,
``GroupDetailList``, ``RoleDetailList`` and ``Policies``. Any of them may be missing or empty; every other key
(``IsTruncated``, ``Marker``, ``CreateDate``, ``RoleLastUsed``, ...) is ignored. Policy documents may be
objects (what the CLI prints) or URL-encoded JSON strings (the raw API form). Of a managed policy only the
default version is kept, under its ARN.

Nothing one entry holds hides the rest. An entry that cannot be read (not an object, no ``Arn``, an ARN that
is not an account's, such as ``arn:aws:iam::aws:user/x``, a field of the wrong type) is left out and named,
with its file and place, in ``Account.errors``; so is an inline or managed policy that does not parse. A role
whose trust policy does not parse is kept with the error in ``Role.trust_policy_error``. A file whose entries
belong to several accounts is split into one `Account` per account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar

from ..iam.arn import Arn, is_account_id, try_parse
from ..iam.entities import Account, Group, Identity, NamedPolicy, Role, User
from ..iam.errors import PolicyParseError
from ..iam.policy import PolicyDocument, parse_policy
from .json_place import JsonObject, Place, SnapshotError, as_object, entries, items, optional_text, string_list, text

GAAD_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
_I = TypeVar("_I", bound=Identity)


@dataclass(frozen=True, slots=True)
class _Kind:
    """The keys under which GAAD stores one kind of identity."""

    name_key: str
    id_key: str
    policies_key: str


_USER = _Kind("UserName", "UserId", "UserPolicyList")
_GROUP = _Kind("GroupName", "GroupId", "GroupPolicyList")
_ROLE = _Kind("RoleName", "RoleId", "RolePolicyList")
_NAME_KEYS = ("UserName", "GroupName", "RoleName", "PolicyName")


@dataclass(frozen=True, slots=True)
class _Entry:
    """One readable entry of a list: where it is, what it holds, and the ARN that says whose it is."""

    list_key: str
    place: Place
    data: JsonObject
    arn: Arn


def _arn(obj: JsonObject, place: Place, *, aws_managed: bool = False) -> Arn:
    """The entry's ``Arn``: an IAM ARN of a 12-digit account (or ``aws``, for AWS managed policies)."""
    value = text(obj, "Arn", place)
    parsed = try_parse(value)
    owner_ok = parsed is not None and (is_account_id(parsed.account) or (aws_managed and parsed.account == "aws"))
    if parsed is None or parsed.service != "iam" or not owner_ok:
        raise place.key("Arn").error(f"not an IAM ARN of an account: {value!r}")
    return parsed


def _document(raw: object, place: Place) -> PolicyDocument:
    if raw is None:
        raise PolicyParseError("the policy document is missing", source=str(place))
    return parse_policy(raw, source=str(place))


def _left_out(place: Place, raw: object) -> str:
    names = [raw[k] for k in _NAME_KEYS if isinstance(raw, dict) and isinstance(raw.get(k), str)]
    return f"entry {place.path} ({names[0]!r}) left out" if names else f"entry {place.path} left out"


def _inline_policies(
    entry: JsonObject, key: str, place: Place, owner: str, errors: list[str]
) -> tuple[NamedPolicy, ...]:
    policies: list[NamedPolicy] = []
    for where, item in entries(entry, key, place):
        name = text(item, "PolicyName", where)
        try:
            policies.append(NamedPolicy(name, _document(item.get("PolicyDocument"), where.key("PolicyDocument"))))
        except PolicyParseError as exc:
            errors.append(f"inline policy {name!r} of {owner} left out: {exc}")
    return tuple(policies)


def _boundary_arn(entry: JsonObject, place: Place) -> str | None:
    value = entry.get("PermissionsBoundary")
    if value is None:
        return None
    where = place.key("PermissionsBoundary")
    return optional_text(as_object(value, where), "PermissionsBoundaryArn", where)


def _identity(cls: type[_I], kind: _Kind, entry: _Entry, errors: list[str]) -> _I:
    """What users, groups and roles share; the name and path default to what the ARN says."""
    data, place, arn = entry.data, entry.place, entry.arn
    return cls(
        arn=str(arn),
        name=optional_text(data, kind.name_key, place) or arn.resource_name,
        unique_id=optional_text(data, kind.id_key, place) or "",
        path=optional_text(data, "Path", place) or arn.path,
        inline_policies=_inline_policies(data, kind.policies_key, place, str(arn), errors),
        managed_policy_arns=tuple(text(i, "PolicyArn", w) for w, i in entries(data, "AttachedManagedPolicies", place)),
        boundary_arn=_boundary_arn(data, place),
        tags=tuple((text(t, "Key", w), text(t, "Value", w)) for w, t in entries(data, "Tags", place)),
    )


def _add_user(entry: _Entry, account: Account) -> None:
    user = _identity(User, _USER, entry, account.errors)
    account.users[user.arn] = replace(user, group_names=string_list(entry.data, "GroupList", entry.place))


def _add_group(entry: _Entry, account: Account) -> None:
    group = _identity(Group, _GROUP, entry, account.errors)
    account.groups[group.name] = group


def _add_role(entry: _Entry, account: Account) -> None:
    role = _identity(Role, _ROLE, entry, account.errors)
    try:
        trust = _document(entry.data.get("AssumeRolePolicyDocument"), entry.place.key("AssumeRolePolicyDocument"))
        account.roles[role.arn] = replace(role, trust_policy=trust)
    except PolicyParseError as exc:
        account.roles[role.arn] = replace(role, trust_policy_error=str(exc))


def _default_version(entry: JsonObject, place: Place) -> tuple[Place, JsonObject] | None:
    """The version flagged ``IsDefaultVersion``, else the one named by ``DefaultVersionId``."""
    versions = entries(entry, "PolicyVersionList", place)
    default_id = entry.get("DefaultVersionId")
    flagged = [v for v in versions if v[1].get("IsDefaultVersion") is True]
    named = [v for v in versions if default_id is not None and v[1].get("VersionId") == default_id]
    return next(iter(flagged + named), None)


def _add_managed_policy(entry: _Entry, account: Account) -> None:
    """The default version under the policy's ARN (moto leaves ``PolicyName`` out: the ARN gives it)."""
    arn, place = str(entry.arn), entry.place
    label = f"managed policy {optional_text(entry.data, 'PolicyName', place) or arn.rsplit('/', 1)[-1]!r} ({arn})"
    version = _default_version(entry.data, place)
    if version is None:
        account.errors.append(f"{label} left out: {place.key('PolicyVersionList')}: no default version")
        return
    where, item = version
    try:
        account.managed_policies[arn] = NamedPolicy(arn, _document(item.get("Document"), where.key("Document")))
    except PolicyParseError as exc:
        account.errors.append(f"{label} left out: {exc}")


_ADD: dict[str, Callable[[_Entry, Account], None]] = {
    "UserDetailList": _add_user,
    "GroupDetailList": _add_group,
    "RoleDetailList": _add_role,
    "Policies": _add_managed_policy,
}


def _entry(key: str, where: Place, raw: object) -> _Entry:
    data = as_object(raw, where)
    return _Entry(key, where, data, _arn(data, where, aws_managed=key == "Policies"))


def _readable(top: JsonObject, place: Place, bad: list[SnapshotError]) -> Iterator[_Entry]:
    """Every entry with a usable ARN; the others go into ``bad``. A list that is not a list stops the file."""
    for key, found in [(key, items(top, key, place)) for key in GAAD_LISTS]:
        seen: dict[str, Place] = {}
        for where, raw in found:
            try:
                entry = _entry(key, where, raw)
            except SnapshotError as exc:
                bad.append(exc.with_note(_left_out(where, raw)))
                continue
            if (first := seen.setdefault(str(entry.arn), where)) is not where:
                again = where.error(f"{entry.arn} is listed again (first at {first.path})")
                bad.append(again.with_note("the later entry is kept"))
            yield entry


def parse_accounts(data: object, *, source: str) -> list[Account]:
    """The accounts in the JSON of ``get-account-authorization-details`` (already decoded), one per account
    that its ARNs name, in order of first appearance. ``source`` names the file in messages.

    Raises `SnapshotError` when the data is not of that shape at all (not an object, a list that is not a
    list, no entry with an account's ARN); what one entry holds only goes into ``Account.errors``."""
    place = Place(source)
    top = as_object(data, place)
    bad: list[SnapshotError] = []
    readable = list(_readable(top, place, bad))
    accounts = {e.arn.account: Account(e.arn.account) for e in readable if e.arn.account != "aws"}
    if not accounts:
        raise (
            bad[0]
            if bad
            else place.error("no account id: the file has no user, group, role or customer managed policy ARN")
        )
    first = next(iter(accounts.values()))
    first.errors.extend(exc.message_with_note for exc in bad)
    if top.get("IsTruncated") is True:
        for account in accounts.values():
            account.errors.append(f"{place}: IsTruncated is true: this is one page of the output, the rest is missing")
    for entry in readable:
        # AWS managed policies are the same everywhere: the inventory finds them in any account that has them.
        account = accounts.get(entry.arn.account, first)
        try:
            _ADD[entry.list_key](entry, account)
        except SnapshotError as exc:
            account.errors.append(exc.with_note(_left_out(entry.place, entry.data)).message_with_note)
    return list(accounts.values())


def parse_authorization_details(data: object, *, source: str) -> Account:
    """One account, for data that must hold exactly one (IAM's answer for the caller's own account)."""
    accounts = parse_accounts(data, source=source)
    if len(accounts) > 1:
        ids = ", ".join(a.account_id for a in accounts)
        raise SnapshotError(f"holds entries of {len(accounts)} accounts ({ids}), one was expected", source=source)
    return accounts[0]
