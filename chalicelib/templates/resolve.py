"""CloudFormation intrinsic functions, resolved where the template alone decides them.

``AWS::AccountId`` is the deploying account, ``AWS::Partition`` the partition, parameters take their
defaults, ``Ref``/``GetAtt Arn`` of a resource of the same template give what CloudFormation would (a role's
name and ARN). Anything else (an import, an unknown parameter, an attribute only known after deployment)
raises `Unresolved` naming it: the caller reports it, it is never guessed, matched or dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()  # AWS::NoValue: the key or item disappears
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class Unresolved(Exception):  # noqa: N818  (read as a verdict: the value is unresolved)
    """A value only known at deployment; the message names the intrinsic."""


@dataclass
class Scope:
    """What intrinsics may refer to in one template."""

    account_id: str
    partition: str = "aws"
    region: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)  # name -> default (absent: no default)
    declared: frozenset[str] = frozenset()  # every parameter name, with or without a default
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # logical id -> what Ref gives
    arns: dict[str, str] = field(default_factory=dict)  # logical id -> what GetAtt .Arn gives

    def pseudo(self, name: str) -> str:
        known = {"AWS::AccountId": self.account_id, "AWS::Partition": self.partition,
                 "AWS::URLSuffix": "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"}  # fmt: skip
        if self.region:
            known["AWS::Region"] = self.region
        if name not in known:
            raise Unresolved(f"{name} is only known at deployment")
        return known[name]


def resolve(value: Any, scope: Scope) -> Any:
    """``value`` with every intrinsic replaced; `NO_VALUE` for ``Ref AWS::NoValue``."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, arg),) = value.items()
            handler = _HANDLERS.get(key)
            if handler is not None:
                return handler(arg, scope)
        return {k: v for k, item in value.items() if (v := resolve(item, scope)) is not NO_VALUE}
    if isinstance(value, list):
        return [v for item in value if (v := resolve(item, scope)) is not NO_VALUE]
    return value


def _ref(name: Any, scope: Scope) -> Any:
    if not isinstance(name, str):
        raise Unresolved(f"Ref of {json.dumps(name)}")
    if name == "AWS::NoValue":
        return NO_VALUE
    if name.startswith("AWS::"):
        return scope.pseudo(name)
    if name in scope.parameters:
        return scope.parameters[name]
    if name in scope.declared:
        raise Unresolved(f"parameter {name} has no default")
    if name in scope.refs:
        return scope.refs[name]
    raise Unresolved(f"Ref {name}: no such parameter or resource in the template")


def _get_att(arg: Any, scope: Scope) -> str:
    parts = resolve(arg, scope)
    if not (isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts)):
        raise Unresolved(f"Fn::GetAtt of {json.dumps(parts)}")
    target, attribute = parts
    if attribute == "Arn" and target in scope.arns:
        return scope.arns[target]
    raise Unresolved(f"Fn::GetAtt {target}.{attribute} is only known at deployment")


def _sub(arg: Any, scope: Scope) -> str:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
        text, variables = arg[0], {k: resolve(v, scope) for k, v in arg[1].items()}
    else:
        text, variables = arg, {}
    if not isinstance(text, str):
        raise Unresolved("Fn::Sub of a non-string")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"  # ${!Literal} is the literal text ${Literal}
        if name in variables:
            found: Any = variables[name]
        elif "." in name:
            found = _get_att(name.split(".", 1), scope)
        else:
            found = _ref(name, scope)
        if not isinstance(found, str | int):
            raise Unresolved(f"Fn::Sub ${{{name}}} is not a string")
        return str(found)

    return _SUB_VARIABLE.sub(substitute, text)


def _join(arg: Any, scope: Scope) -> str:
    resolved = resolve(arg, scope)
    if not (isinstance(resolved, list) and len(resolved) == 2 and isinstance(resolved[1], list)):
        raise Unresolved("Fn::Join needs [delimiter, [values]]")
    return str(resolved[0]).join(str(v) for v in resolved[1])


def _select(arg: Any, scope: Scope) -> Any:
    resolved = resolve(arg, scope)
    if not (isinstance(resolved, list) and len(resolved) == 2 and isinstance(resolved[1], list)):
        raise Unresolved("Fn::Select needs [index, [values]]")
    try:
        return resolved[1][int(resolved[0])]
    except (ValueError, IndexError):
        raise Unresolved(f"Fn::Select index {resolved[0]!r} out of range") from None


def _split(arg: Any, scope: Scope) -> list[str]:
    resolved = resolve(arg, scope)
    if not (isinstance(resolved, list) and len(resolved) == 2 and all(isinstance(v, str) for v in resolved)):
        raise Unresolved("Fn::Split needs [delimiter, string]")
    return str(resolved[1]).split(str(resolved[0]))


def _find_in_map(arg: Any, scope: Scope) -> Any:
    keys = resolve(arg, scope)
    value: Any = scope.mappings
    for key in keys if isinstance(keys, list) else [keys]:
        if not isinstance(value, dict) or key not in value:
            raise Unresolved(f"Fn::FindInMap {json.dumps(keys)}: no such entry")
        value = value[key]
    return resolve(value, scope)


def condition(name: Any, scope: Scope) -> bool:
    if not isinstance(name, str) or name not in scope.conditions:
        raise Unresolved(f"condition {name!r} is not defined")
    return _truth(scope.conditions[name], scope)


def _truth(value: Any, scope: Scope) -> bool:
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Condition":
            return condition(arg, scope)
        if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            left, right = resolve(arg[0], scope), resolve(arg[1], scope)
            return str(left) == str(right)
        if key in ("Fn::Not", "Fn::And", "Fn::Or") and isinstance(arg, list):
            values = [_truth(item, scope) for item in arg]
            return not values[0] if key == "Fn::Not" else (all(values) if key == "Fn::And" else any(values))
    raise Unresolved(f"condition {json.dumps(value, default=str)} cannot be evaluated")


def _if(arg: Any, scope: Scope) -> Any:
    if not (isinstance(arg, list) and len(arg) == 3):
        raise Unresolved("Fn::If needs [condition, then, else]")
    return resolve(arg[1] if condition(arg[0], scope) else arg[2], scope)


def _import(arg: Any, scope: Scope) -> Any:
    name = resolve(arg, scope)
    raise Unresolved(f"Fn::ImportValue {name} is another stack's export, only known at deployment")


def _unknown(name: str) -> Callable[[Any, Scope], Any]:
    def handler(arg: Any, scope: Scope) -> Any:
        raise Unresolved(f"{name} is only known at deployment")

    return handler


_HANDLERS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": _ref, "Fn::GetAtt": _get_att, "Fn::Sub": _sub, "Fn::Join": _join, "Fn::Select": _select,
    "Fn::Split": _split, "Fn::FindInMap": _find_in_map, "Fn::If": _if, "Fn::ImportValue": _import,
    "Fn::GetAZs": _unknown("Fn::GetAZs"), "Fn::Base64": _unknown("Fn::Base64"), "Fn::Cidr": _unknown("Fn::Cidr"),
    "Fn::Transform": _unknown("Fn::Transform"),
}  # fmt: skip
