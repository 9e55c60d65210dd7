"""What the parsers find in a template: identities, their policies, and where each was written."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..iam.policy import PolicyDocument


@dataclass(frozen=True, slots=True)
class Where:
    """The place a finding points at: the file as given, the 1-based line, the logical id or Terraform address."""

    file: str
    line: int | None
    resource: str | None


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy document and the line of each of its statements (all the attribute's line for a JSON string)."""

    name: str  # inline policy name, or the managed policy ARN
    document: PolicyDocument
    where: Where
    statement_lines: tuple[int, ...]

    def line(self, statement: int | None) -> int | None:
        if statement is not None and 0 <= statement < len(self.statement_lines):
            return self.statement_lines[statement]
        return self.where.line


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the template does not decide (an import, a value known only after apply), or that is broken."""

    where: Where
    message: str


@dataclass
class TemplateIdentity:
    """A role, user or group the template creates (or names, when ``stub``: only its policies come from here)."""

    kind: str  # "role" | "user" | "group"
    arn: str
    name: str
    where: Where
    path: str = "/"
    trust: Policy | None = None
    trust_error: str | None = None
    inline: list[Policy] = field(default_factory=list)
    managed_arns: list[str] = field(default_factory=list)
    group_names: list[str] = field(default_factory=list)
    stub: bool = False


@dataclass
class Extracted:
    """Everything one template (or one plan) holds for the audit, for one deploying account."""

    file: str
    account_id: str
    partition: str = "aws"
    identities: list[TemplateIdentity] = field(default_factory=list)
    managed: dict[str, Policy] = field(default_factory=dict)  # by ARN
    problems: list[Problem] = field(default_factory=list)

    def identity(self, kind: str, name: str, where: Where) -> TemplateIdentity:
        """The identity of that kind and name; a stub when the template only names it (for its policies)."""
        for identity in self.identities:
            if identity.kind == kind and identity.name == name:
                return identity
        arn = f"arn:{self.partition}:iam::{self.account_id}:{kind}/{name}"
        stub = TemplateIdentity(kind, arn, name, where, stub=True)
        self.identities.append(stub)
        return stub
