"""What IAM refuses in a *trust* policy although the document is valid policy grammar.

These are the mistakes a pre-deployment check exists to catch: ``NotPrincipal``, a ``Resource`` element,
a statement without a principal, a partial wildcard in a principal, a group as principal, an entry that is
neither ``*``, an account, an ARN of a principal type, nor a unique id.
"""

from __future__ import annotations

from dataclasses import dataclass

from .arn import is_account_id, try_parse
from .policy import PolicyDocument, Statement
from .principal import unique_id_kind

_AWS_PRINCIPAL_TYPES = {
    ("iam", "root"),
    ("iam", "user"),
    ("iam", "role"),
    ("sts", "assumed-role"),
    ("sts", "federated-user"),
}


@dataclass(frozen=True, slots=True)
class TrustProblem:
    """One thing IAM would refuse, with its place in the document (``Statement[0].Principal.AWS[1]``)."""

    location: str
    message: str
    statement: int

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def trust_policy_problems(document: PolicyDocument) -> list[TrustProblem]:
    problems: list[TrustProblem] = []
    for index, statement in enumerate(document.statements):
        problems += _statement_problems(index, statement)
    return problems


def _statement_problems(index: int, statement: Statement) -> list[TrustProblem]:
    here = f"Statement[{index}]"
    problems: list[TrustProblem] = []
    if statement.not_principal is not None:
        problems.append(
            TrustProblem(f"{here}.NotPrincipal", "NotPrincipal cannot be used in a role trust policy", index)
        )
    elif statement.principal is None:
        problems.append(TrustProblem(here, "a trust policy statement must have a Principal", index))
    for element, value in (("Resource", statement.resource), ("NotResource", statement.not_resource)):
        if value is not None:
            problems.append(TrustProblem(f"{here}.{element}", f"a trust policy may not contain {element}", index))
    if statement.principal is not None:
        for i, entry in enumerate(statement.principal.aws):
            message = _aws_entry_problem(entry)
            if message:
                problems.append(TrustProblem(f"{here}.Principal.AWS[{i}]", message, index))
        for i, entry in enumerate(statement.principal.federated):
            if "*" in entry:
                problems.append(
                    TrustProblem(f"{here}.Principal.Federated[{i}]", "wildcards are not allowed here", index)
                )
        if statement.principal.canonical_user:
            problems.append(TrustProblem(f"{here}.Principal.CanonicalUser", "CanonicalUser is only for S3", index))
    return problems


def _aws_entry_problem(entry: str) -> str | None:
    if entry == "*" or is_account_id(entry) or unique_id_kind(entry):
        return None
    if "*" in entry or "?" in entry:
        return f"partial wildcard in principal {entry!r}: only a bare '*' is allowed"
    parsed = try_parse(entry)
    if parsed is None:
        return f"{entry!r} is not an account id, principal ARN or unique id"
    if (parsed.service, parsed.resource_type) == ("iam", "group"):
        return f"groups cannot be principals: {entry!r}"
    if (parsed.service, parsed.resource_type) not in _AWS_PRINCIPAL_TYPES or not is_account_id(parsed.account):
        return f"{entry!r} is not an ARN of a user, role, role session or account"
    if not _well_formed_resource(parsed.resource_type, parsed.resource):
        return f"{entry!r} does not name a principal (missing name or session name)"
    return None


def _well_formed_resource(kind: str, resource: str) -> bool:
    parts = resource.split("/")
    if kind == "root":
        return resource == "root"
    if kind == "assumed-role":
        return len(parts) == 3 and all(parts)
    return len(parts) >= 2 and all(parts[1:])
