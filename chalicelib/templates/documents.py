"""Policy documents out of template values: resolved statement by statement, each keeping its line.

A statement with a value the template does not decide is left out of the audit and reported as a `Problem`
at its line (an audit-error finding): it is never guessed or matched. A document that is not policy grammar
is a problem too, naming the element.
"""

from __future__ import annotations

from typing import Any

from ..iam.errors import PolicyParseError
from ..iam.policy import decode_document, parse_policy
from .loader import LineList, line_of
from .model import Policy, Problem, Where
from .resolve import NO_VALUE, Scope, Unresolved, resolve


def is_intrinsic(value: object) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))


def template_policy(
    raw: Any, where: Where, scope: Scope | None, name: str, problems: list[Problem]
) -> tuple[Policy | None, str | None]:
    """The policy in ``raw`` (an object, an intrinsic, a JSON string), or None and why not.

    ``where.line`` is the line of the attribute holding the document; ``scope`` None means no intrinsics
    (a Terraform plan)."""
    what = f"{name}: "
    if isinstance(raw, dict) and not is_intrinsic(raw):
        return _statements(raw, where, scope, name, problems)
    try:
        data = resolve(raw, scope) if scope else raw
        if isinstance(data, str):
            data = decode_document(data, source=where.file)
    except Unresolved as exc:
        problems.append(Problem(where, f"{what}{exc}; the document was not evaluated"))
        return None, None
    except PolicyParseError as exc:
        return None, f"{what}{exc.detail}"
    if not isinstance(data, dict):
        return None, f"{what}a policy document must be an object"
    return _statements(data, where, None, name, problems)


def _statements(
    raw: dict[str, Any], where: Where, scope: Scope | None, name: str, problems: list[Problem]
) -> tuple[Policy | None, str | None]:
    what = f"{name}: "
    listed = raw.get("Statement")
    items = listed if isinstance(listed, list) else [listed]
    lines = listed.item_lines if isinstance(listed, LineList) else [line_of(listed, where.line or 0)]
    kept: list[Any] = []
    kept_lines: list[int] = []
    for index, (item, line) in enumerate(zip(items, lines, strict=False)):
        try:
            value = resolve(item, scope) if scope else item
        except Unresolved as exc:
            at = Where(where.file, line or where.line, where.resource)
            problems.append(Problem(at, f"{what}statement {index}: {exc}; the statement was not evaluated"))
            continue
        if value is not NO_VALUE:
            kept.append(value)
            kept_lines.append(line or where.line or 1)
    if not kept and items:
        return None, None  # every statement is a problem already reported (or AWS::NoValue)
    try:
        rest = {k: resolve(v, scope) if scope else v for k, v in raw.items() if k != "Statement"}
        document = parse_policy({**rest, "Statement": kept if isinstance(listed, list) else kept[0]})
    except Unresolved as exc:
        problems.append(Problem(where, f"{what}{exc}; the document was not evaluated"))
        return None, None
    except PolicyParseError as exc:
        return None, f"{what}{exc.location + ': ' if exc.location else ''}{exc.detail}"
    return Policy(name, document, where, tuple(kept_lines)), None
