"""Decision classes: which (principal, role) pairs the evaluator must decide alike, so it decides each class once.

`can_assume` reads a loaded caller through its account, kind, partition, tags, policies (identity, boundary,
its account's SCPs) and, only in a few places, its own name: a principal entry that names it, or a condition
or policy variable on ``aws:PrincipalArn``/``aws:username``/``aws:userid``. It reads a role through its trust
policy, its account (same- or cross-account, RCPs), its tags and its ARN, and the ARN only where a
``Resource``/``NotResource`` pattern is matched against it. So two pairs decide alike when they agree on

- the role's *trust class*: the trust document's content, the role's account, the role tags any condition of
  the inventory reads, and which RCP ``Resource`` patterns match the role;
- the caller's *class*: account, kind, partition, service-linked or not, the tags conditions read, and the
  contents of its identity policies and boundary;
- the *resource view*: which of the patterns in the caller's policies and SCPs match the role's ARN.

Where the name can matter (the trust policy or an RCP names the caller, or a document reads the caller's
name) the pair is its own class, keyed by both ARNs. `DecisionClasses.key` computes the key; the graph runs
the full evaluator once per key. The reference the tests compare with evaluates every pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .assemble import caller_side
from .condition import evaluate_conditions
from .context import RequestContext
from .entities import Inventory, Role
from .graph_index import IdentityIndex, loaded_principal
from .policy import Condition, PolicyDocument, Statement
from .request import ASSUME_ROLE, derived_context
from .wildcard import arn_matches

# Keys whose value is the caller's own name: a document that reads one decides per principal.
_NAME_KEYS = frozenset({"aws:principalarn", "aws:username", "aws:userid"})
ClassKey = tuple[object, ...]
NameClause = tuple[int, int, Condition]  # (content id of its document, position, the clause)


@dataclass(frozen=True, slots=True)
class _RoleClass:
    key: tuple[object, ...]
    named: frozenset[str]  # loaded principals an entry of the trust policy or an RCP could name specifically
    by_name: bool  # a document has policy variables: every pair is its own class
    name_clauses: tuple[NameClause, ...]  # clauses on the caller's name (no variables)


@dataclass(frozen=True, slots=True)
class _CallerClass:
    key: tuple[object, ...]
    patterns: int  # interned tuple of the Resource/NotResource patterns of its documents
    by_name: bool
    name_clauses: tuple[NameClause, ...]
    name_context: RequestContext  # the caller's values of the name keys


class DecisionClasses:
    """Class keys of an inventory's (principal, role) pairs, computed once per principal and per role."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._content: dict[int, int] = {}  # id(document) -> content id
        self._contents: dict[str, int] = {}
        self._keep: list[PolicyDocument] = []  # keeps ids stable for the inventory's life
        self._variables: dict[int, bool] = {}
        self._name_clauses: dict[int, tuple[NameClause, ...]] = {}
        self._outcomes: dict[tuple[int, int, str], tuple[bool, bool]] = {}
        self._partitions: dict[tuple[int, tuple[tuple[int, int], ...]], list[tuple[ClassKey, tuple[str, ...]]]] = {}
        self._roles: dict[str, _RoleClass] = {}
        self._callers: dict[str, _CallerClass] = {}
        self._patterns: dict[tuple[str, ...], int] = {}
        self._pattern_list: list[tuple[str, ...]] = []
        self._views: dict[tuple[int, str], frozenset[str]] = {}
        self._by_unique_id = {i.unique_id: i.arn for i in (*inventory.users(), *inventory.roles()) if i.unique_id}
        self.tag_keys, self.resource_tag_keys = _tag_keys_read(inventory)

    def key(self, principal: str, role: Role) -> ClassKey:
        """Equal keys, equal decisions (for the same hop context of the same trust document)."""
        role_class = self._role(role)
        caller = self._caller(principal)
        if role_class.by_name or caller.by_name or principal in role_class.named:
            return ("pair", principal, role.arn)
        key: ClassKey = (role_class.key, caller.key, self._view(caller.patterns, role.arn))
        clauses = role_class.name_clauses + caller.name_clauses
        return key + self._outcomes_of(clauses, principal, caller.name_context) if clauses else key

    def partition(self, members: tuple[str, ...], role: Role) -> list[tuple[ClassKey, tuple[str, ...]]]:
        """``members`` (one `CallerGroup`, none of them named by the role) split into the classes that decide
        alike for ``role``: one part, unless a document reads the callers' names."""
        role_class, caller = self._role(role), self._caller(members[0])
        if role_class.by_name or caller.by_name:
            return [(("pair", member, role.arn), (member,)) for member in members]
        base: ClassKey = (role_class.key, caller.key, self._view(caller.patterns, role.arn))
        clauses = role_class.name_clauses + caller.name_clauses
        if not clauses:
            return [(base, members)]
        # Roles with the same trust document split the same group the same way: once per document.
        signature = (id(members), tuple((c[0], c[1]) for c in clauses))
        parts = self._partitions.get(signature)
        if parts is None:
            by_outcome: dict[ClassKey, list[str]] = {}
            for member in members:
                outcome = self._outcomes_of(clauses, member, self._caller(member).name_context)
                by_outcome.setdefault(outcome, []).append(member)
            parts = self._partitions[signature] = [(o, tuple(m)) for o, m in by_outcome.items()]
        return [(base + outcome, part) for outcome, part in parts]

    def named(self, role: Role) -> frozenset[str]:
        """Loaded principals that the role's trust policy or RCPs may name: each is decided on its own."""
        return self._role(role).named

    def group_key(self, principal: str) -> tuple[object, ...]:
        """Principals with equal group keys are one decision class for every role that does not name them."""
        caller = self._caller(principal)
        return (caller.key, caller.patterns)

    def outside_key(self, name: str, action: str, role: Role) -> ClassKey:
        """The class of a principal outside the snapshot assuming ``role``: its name stands for its class."""
        role_class = self._role(role)
        return ("outside", name, action, role.arn if role_class.by_name else role_class.key)

    def content_id(self, document: PolicyDocument) -> int:
        found = self._content.get(id(document))
        if found is None:
            text = document.model_dump_json()
            found = self._contents.setdefault(text, len(self._contents))
            self._content[id(document)] = found
            if found not in self._variables:
                self._variables[found] = "${" in text
                clauses = (c for s in document.statements for c in s.condition)
                named = (c for c in enumerate(clauses) if c[1].key.lower() in _NAME_KEYS)
                self._name_clauses[found] = tuple((found, index, clause) for index, clause in named)
            self._keep.append(document)
        return found

    def _reads(self, documents: Iterable[PolicyDocument]) -> tuple[bool, tuple[NameClause, ...]]:
        """Whether any document has policy variables, and the clauses they hold on the caller's name."""
        ids = [self.content_id(d) for d in documents]
        return any(self._variables[i] for i in ids), tuple(c for i in ids for c in self._name_clauses[i])

    def _outcomes_of(self, clauses: tuple[NameClause, ...], principal: str, context: RequestContext) -> ClassKey:
        """Whether each clause holds for the caller (and whether it holds or is undecided): all they decide."""
        return tuple(self._outcome(clause, principal, context) for clause in clauses)

    def _outcome(self, clause: NameClause, principal: str, context: RequestContext) -> tuple[bool, bool]:
        key = (clause[0], clause[1], principal)
        found = self._outcomes.get(key)
        if found is None:
            result = evaluate_conditions((clause[2],), context, variables=False)
            found = self._outcomes[key] = (result.matched, result.holds_if_undecided)
        return found

    def _role(self, role: Role) -> _RoleClass:
        found = self._roles.get(role.arn)
        if found is None:
            org = self.inventory.organization
            rcps = [p.document for level in org.rcps.get(role.account_id, ()) for p in level.policies]
            trust = role.trust_policy
            documents = ([trust] if trust else []) + rcps
            rcp_patterns = sorted({p for d in rcps for s in d.statements for p in _patterns(s)})
            key = (
                self.content_id(trust) if trust else None,
                role.account_id,
                tuple((k, v) for k, v in role.tags if k.lower() in self.resource_tag_keys),
                tuple(p for p in rcp_patterns if arn_matches(p, role.arn)),
            )
            named = frozenset(arn for d in documents for arn in self._named(d))
            found = self._roles[role.arn] = _RoleClass(key, named, *self._reads(documents))
        return found

    def _caller(self, principal: str) -> _CallerClass:
        found = self._callers.get(principal)
        if found is None:
            side = caller_side(self.inventory, principal, ASSUME_ROLE)
            caller, org = side.caller, self.inventory.organization
            scps = [p.document for level in org.scps.get(caller.account or "", ()) for p in level.policies]
            own = [p.document for p in side.policies]
            boundary = None if side.boundary is None else [p.document for p in side.boundary]
            documents = own + (boundary or []) + scps
            patterns = tuple(sorted({p for d in documents for s in d.statements for p in _patterns(s)}))
            tags = tuple((k, v) for k, v in side.identity.tags if k.lower() in self.tag_keys) if side.identity else ()
            service_linked = bool(side.identity and side.identity.path.startswith("/aws-service-role/"))
            key = (
                caller.account,
                caller.kind,
                caller.partition,
                service_linked,
                tags,
                tuple(self.content_id(d) for d in own),
                None if boundary is None else tuple(self.content_id(d) for d in boundary),
                side.identity is None,
            )
            names = RequestContext({k: v for k, v in derived_context(caller).items() if k.lower() in _NAME_KEYS})
            found = _CallerClass(key, self._intern(patterns), *self._reads(documents), names)
            self._callers[principal] = found
        return found

    def _intern(self, patterns: tuple[str, ...]) -> int:
        found = self._patterns.get(patterns)
        if found is None:
            found = self._patterns[patterns] = len(self._pattern_list)
            self._pattern_list.append(patterns)
        return found

    def _view(self, patterns: int, role_arn: str) -> frozenset[str]:
        key = (patterns, role_arn)
        found = self._views.get(key)
        if found is None:
            found = frozenset(p for p in self._pattern_list[patterns] if arn_matches(p, role_arn))
            self._views[key] = found
        return found

    def _named(self, document: PolicyDocument) -> Iterator[str]:
        """Loaded principals a principal entry could match by name (a superset is safe: it only splits classes)."""
        for statement in document.statements:
            for principal in (statement.principal, statement.not_principal):
                for entry in principal.aws_entries if principal else ():
                    found = loaded_principal(self.inventory, self._by_unique_id, entry)
                    if found is not None:
                        yield found


def _patterns(statement: Statement) -> tuple[str, ...]:
    return statement.resource or statement.not_resource or ()


def _tag_keys_read(inventory: Inventory) -> tuple[frozenset[str], frozenset[str]]:
    """The principal and resource tag keys any condition of the inventory reads (lower case)."""
    org = inventory.organization
    documents: list[PolicyDocument] = [r.trust_policy for r in inventory.roles() if r.trust_policy]
    for account in inventory.accounts.values():
        owners = [*account.users.values(), *account.groups.values(), *account.roles.values()]
        documents += [p.document for owner in owners for p in owner.inline_policies]
        documents += [p.document for p in account.managed_policies.values()]
    for chains in (org.scps, org.rcps):
        documents += [p.document for levels in chains.values() for level in levels for p in level.policies]
    keys = {c.key.lower() for d in documents for s in d.statements for c in s.condition}
    principal = frozenset(k.removeprefix("aws:principaltag/") for k in keys if k.startswith("aws:principaltag/"))
    resource = frozenset(k.removeprefix("aws:resourcetag/") for k in keys if k.startswith("aws:resourcetag/"))
    return principal, resource


@dataclass(frozen=True, slots=True)
class CallerGroup:
    """The principals of one account that form one decision class, and the AssumeRole patterns they share."""

    members: tuple[str, ...]
    member_set: frozenset[str]
    patterns: tuple[str, ...]  # `IdentityIndex.patterns`: where their identity policies may allow sts:AssumeRole


class CallerGroups:
    """An account's principals grouped into decision classes, indexed by the roles their policies may name."""

    def __init__(self, principals: Iterable[str], classes: DecisionClasses, identities: IdentityIndex) -> None:
        by_key: dict[tuple[object, ...], list[str]] = {}
        for principal in principals:
            by_key.setdefault(classes.group_key(principal), []).append(principal)
        self.groups = [CallerGroup(tuple(sorted(m)), frozenset(m), identities.patterns(m[0])) for m in by_key.values()]
        self._of = {member: group for group in self.groups for member in group.members}
        self._exact: dict[str, list[CallerGroup]] = {}
        self._wild: dict[str, list[CallerGroup]] = {}
        for group in self.groups:
            for pattern in group.patterns:
                (self._wild if _wild(pattern) else self._exact).setdefault(pattern, []).append(group)

    def admits(self, principal: str, role_arn: str) -> bool:
        """Whether ``principal``'s group is among `matching` (``role_arn``), without matching every group."""
        group = self._of.get(principal)
        if group is None:
            return False
        return any(p == role_arn if not _wild(p) else arn_matches(p, role_arn) for p in group.patterns)

    def matching(self, role_arn: str) -> list[CallerGroup]:
        """Groups whose identity policies may allow sts:AssumeRole on ``role_arn`` (never fewer than may)."""
        found = {id(g): g for g in self._exact.get(role_arn, ())}
        for pattern, groups in self._wild.items():
            if arn_matches(pattern, role_arn):
                found.update((id(g), g) for g in groups)
        return list(found.values())


def _wild(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern or "${" in pattern  # `arn_matches` decides those
