"""Fingerprints of what the graph's decisions read, so a stored graph can be brought up to date by the difference.

An edge into a role is decided from the caller's side (its ARN, unique id, path, tags, identity policies with
their groups', boundary, and what the snapshot lacks) and the role's side (its ARN, tags, trust policy), in a
world of the loaded accounts and the organization's SCPs and RCPs. Each side gets a digest of exactly that;
a principal whose digest differs from the stored one has different out-edges at most, a role whose digest
differs has different in-edges at most, and a different world invalidates everything. A document that reads
the time (``aws:CurrentTime``, ``aws:EpochTime``) is decided anew on every run: its side gets no digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from .assemble import caller_side
from .entities import Identity, Inventory, PolicyLevel, Role
from .policy import PolicyDocument
from .request import ASSUME_ROLE

_TIME_KEYS = ("aws:currenttime", "aws:epochtime")
VOLATILE = ""  # the digest of a side that reads the time: never equal to a stored one


@dataclass(frozen=True, slots=True)
class Fingerprints:
    world: str
    principals: dict[str, str]  # loaded user or role ARN, as a caller
    roles: dict[str, str]  # loaded role ARN, as a target
    unique_ids: dict[str, str]  # loaded user or role ARN -> its unique id (a trust policy may name it so)


def fingerprints(inventory: Inventory) -> Fingerprints:
    texts = _Texts()
    principals = {arn: _caller_digest(inventory, arn, texts) for arn in _principals(inventory)}
    roles = {role.arn: _role_digest(role, texts) for role in inventory.roles()}
    ids = {i.arn: i.unique_id for i in (*inventory.users(), *inventory.roles()) if i.unique_id}
    return Fingerprints(_world_digest(inventory, texts), principals, roles, ids)


def _principals(inventory: Inventory) -> list[str]:
    return [arn for account in inventory.accounts.values() for arn in (*account.users, *account.roles)]


class _Texts:
    """Each document's digest once, and whether it reads the time (managed policies are shared by many
    holders): a principal's digest is then made of short digests, not of its documents' whole text."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[PolicyDocument, str, bool]] = {}

    def __call__(self, document: PolicyDocument) -> str:
        return self._known(document)[1]

    def reads_time(self, document: PolicyDocument) -> bool:
        return self._known(document)[2]

    def _known(self, document: PolicyDocument) -> tuple[PolicyDocument, str, bool]:
        found = self._by_id.get(id(document))
        if found is None:
            text = document.model_dump_json()
            digest = hashlib.sha256(text.encode()).hexdigest()[:32]
            found = self._by_id[id(document)] = (document, digest, _reads_time([text]))
        return found


def _digest(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _reads_time(texts: list[str]) -> bool:
    return any(key in text.lower() for text in texts for key in _TIME_KEYS)


def _caller_digest(inventory: Inventory, arn: str, texts: _Texts) -> str:
    side = caller_side(inventory, arn, ASSUME_ROLE)
    if any(texts.reads_time(p.document) for p in (*side.policies, *(side.boundary or ()))):
        return VOLATILE
    documents = [(p.name, texts(p.document)) for p in side.policies]
    boundary = None if side.boundary is None else [(p.name, texts(p.document)) for p in side.boundary]
    return _digest([arn, _identity(side.identity), documents, boundary, side.gaps, sorted(side.context.items())])


def _identity(identity: Identity | None) -> object:
    return None if identity is None else [identity.unique_id, identity.path, sorted(identity.tags)]


def _role_digest(role: Role, texts: _Texts) -> str:
    if role.trust_policy is not None and texts.reads_time(role.trust_policy):
        return VOLATILE
    trust = texts(role.trust_policy) if role.trust_policy else None
    return _digest([role.arn, role.unique_id, sorted(role.tags), trust, role.trust_policy_error])


def _world_digest(inventory: Inventory, texts: _Texts) -> str:
    org = inventory.organization

    def chains(levels: dict[str, tuple[PolicyLevel, ...]]) -> object:
        return {a: [[level.name, *(texts(p.document) for p in level.policies)] for level in chain]
                for a, chain in levels.items()}  # fmt: skip

    levels = [level for chain in (*org.scps.values(), *org.rcps.values()) for level in chain]
    if any(texts.reads_time(p.document) for level in levels for p in level.policies):
        return VOLATILE
    scps, rcps = chains(org.scps), chains(org.rcps)
    return _digest([sorted(inventory.accounts), org.org_id, org.management_account_id, sorted(org.account_ids),
                    sorted(org.org_paths.items()), scps, rcps])  # fmt: skip
