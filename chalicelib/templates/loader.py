"""Read a CloudFormation/SAM template or a plan (YAML or JSON) keeping 1-based line numbers.

Mappings load as `LineDict` and sequences as `LineList`: ordinary dicts and lists that also know the line
each key or item starts on, so a finding can point at its statement. The short-form tags (``!Ref``,
``!GetAtt A.B``, ``!Sub``...) load as their long form (``{"Ref": ...}``, ``{"Fn::GetAtt": ["A", "B"]}``).
JSON is read by the same loader (it is YAML), so JSON templates get line numbers too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..safe_json import JsonInputError, loads
from .errors import TemplateError

# Short tag -> long-form key. !GetAtt and !Ref are special (see below); the rest take their value as is.
_FUNCTIONS = ("And", "Base64", "Cidr", "Equals", "FindInMap", "GetAZs", "If", "ImportValue", "Join", "Length",
              "Not", "Or", "Select", "Split", "Sub", "ToJsonString", "Transform")  # fmt: skip


class LineDict(dict[str, Any]):
    """A mapping that knows its own line and each key's line."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list[Any]):
    """A sequence that knows its own line and each item's line."""

    line: int = 0
    item_lines: list[int]


def line_of(value: object, default: int) -> int:
    return value.line if isinstance(value, LineDict | LineList) and value.line else default


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.Node) -> LineDict:
    assert isinstance(node, yaml.MappingNode)
    out = LineDict()
    out.line, out.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)  # CloudFormation keys are strings; YAML may read `1:` or `true:` otherwise
        if key in out:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.Node) -> LineList:
    assert isinstance(node, yaml.SequenceNode)
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line, out.item_lines = node.start_mark.line + 1, [child.start_mark.line + 1 for child in node.value]
    return out


def _content(loader: _Loader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return _sequence(loader, node)
    assert isinstance(node, yaml.MappingNode)
    return _mapping(loader, node)


def _wrap(key: str, value: Any, node: yaml.Node) -> LineDict:
    out = LineDict({key: value})
    out.line, out.key_lines = node.start_mark.line + 1, {key: node.start_mark.line + 1}
    return out


def _function(name: str) -> Any:
    key = "Ref" if name == "Ref" else ("Condition" if name == "Condition" else f"Fn::{name}")

    def construct(loader: _Loader, node: yaml.Node) -> LineDict:
        return _wrap(key, _content(loader, node), node)

    return construct


def _get_att(loader: _Loader, node: yaml.Node) -> LineDict:
    value = _content(loader, node)
    if isinstance(value, str):  # !GetAtt Role.Arn -> ["Role", "Arn"]; the attribute may itself contain dots
        value = value.split(".", 1)
    return _wrap("Fn::GetAtt", value, node)


yaml.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping, Loader=_Loader)
yaml.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence, Loader=_Loader)
for _name in (*_FUNCTIONS, "Ref", "Condition"):
    yaml.add_constructor(f"!{_name}", _function(_name), Loader=_Loader)
yaml.add_constructor("!GetAtt", _get_att, Loader=_Loader)
# Dates and times stay strings: a policy Version "2012-10-17" must not become a date.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(path: Path, shown: str) -> Any:
    """The document in ``path``; errors name ``shown`` (the path as the user gave it) and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(shown, None, f"cannot read: {' '.join(str(exc).split())}") from None
    try:
        if text.lstrip().startswith(("{", "[")):
            return _json(text, shown)
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader with CloudFormation tags
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid"
        raise TemplateError(shown, mark.line + 1 if mark else None, f"not YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise TemplateError(shown, None, f"not YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise TemplateError(shown, None, "nested too deeply") from None


def _json(text: str, shown: str) -> Any:
    """JSON values exactly as JSON reads them (numbers, surrogate pairs), lines from YAML's node tree.

    Read strictly (`chalicelib.safe_json`): a duplicate key (which statement would IAM see?), NaN, an integer
    too long to convert or nesting too deep is bad input naming the file and the place, not a guess or a crash.
    Valid JSON has no raw tab inside a string, so tabs can become spaces for YAML, which refuses them."""
    try:
        data = loads(text)
    except JsonInputError as exc:
        raise _json_error(exc, shown) from None
    return _with_lines(data, yaml.compose(text.replace("\t", " "), Loader=_Loader))


_LINE_COLUMN = re.compile(r"line (\d+) column (\d+)")


def _json_error(exc: JsonInputError, shown: str) -> TemplateError:
    """``file:line: not JSON: ... (column C)`` for syntax and nesting, ``file: Resources.A...: reason`` for a
    value or key refused at a place in the document."""
    found = _LINE_COLUMN.fullmatch(exc.where or "")
    if found:
        return TemplateError(shown, int(found.group(1)), f"{exc.reason} (column {found.group(2)})")
    return TemplateError(shown, None, f"{exc.where}: {exc.reason}" if exc.where else exc.reason)


def _with_lines(value: Any, node: yaml.Node | None) -> Any:
    if isinstance(value, dict):
        pairs = {str(k.value): (k, v) for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}
        out = LineDict()
        out.line = node.start_mark.line + 1 if node else 0
        out.key_lines = {}
        for key, item in value.items():
            key_node, value_node = pairs.get(key, (None, None))
            out[key] = _with_lines(item, value_node)
            out.key_lines[key] = key_node.start_mark.line + 1 if key_node else out.line
        return out
    if isinstance(value, list):
        children = node.value if isinstance(node, yaml.SequenceNode) and len(node.value) == len(value) else []
        items = LineList(_with_lines(v, children[i] if children else None) for i, v in enumerate(value))
        items.line = node.start_mark.line + 1 if node else 0
        items.item_lines = [c.start_mark.line + 1 for c in children] or [items.line] * len(value)
        return items
    return value
