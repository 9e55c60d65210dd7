"""Reading snapshot JSON with its place: every error names the file and the path inside it.

A path looks like ``RoleDetailList[3].AssumeRolePolicyDocument``; messages read
``111111111111.json: RoleDetailList[3].Arn: required but missing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

JsonObject: TypeAlias = dict[str, object]
_JSON_KINDS: dict[type, str] = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


class SnapshotError(ValueError):
    """A snapshot file (or an entry of one) that cannot be used. The message names the file and the place."""

    def __init__(self, message: str, *, source: str, location: str = "", note: str = "") -> None:
        self.source = source
        self.location = location
        self.detail = message
        self.note = note  # what was done about it, when the load went on (``entry RoleDetailList[3] left out``)
        super().__init__(f"{source}: {location}: {message}" if location else f"{source}: {message}")

    def with_note(self, note: str) -> SnapshotError:
        return SnapshotError(self.detail, source=self.source, location=self.location, note=note)

    @property
    def message_with_note(self) -> str:
        return f"{self}; {self.note}" if self.note else str(self)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a value sits: the file and a path such as ``RoleDetailList[3].AssumeRolePolicyDocument``."""

    source: str
    path: str = ""

    def key(self, name: str) -> Place:
        return Place(self.source, f"{self.path}.{name}" if self.path else name)

    def index(self, position: int) -> Place:
        return Place(self.source, f"{self.path}[{position}]")

    def error(self, message: str) -> SnapshotError:
        return SnapshotError(message, source=self.source, location=self.path)

    def __str__(self) -> str:
        return f"{self.source}: {self.path}" if self.path else self.source


Entries: TypeAlias = list[tuple[Place, JsonObject]]


def json_kind(value: object) -> str:
    return _JSON_KINDS.get(type(value), type(value).__name__)


def as_object(value: object, place: Place) -> JsonObject:
    if not isinstance(value, dict):
        raise place.error(f"expected a JSON object, found {json_kind(value)}")
    return value


def items(obj: JsonObject, key: str, place: Place) -> list[tuple[Place, object]]:
    """The items of an optional list, each with its place: missing or null is empty, a non-list an error."""
    value = obj.get(key)
    if value is None:
        return []
    where = place.key(key)
    if not isinstance(value, list):
        raise where.error(f"expected a list, found {json_kind(value)}")
    return [(where.index(i), item) for i, item in enumerate(value)]


def entries(obj: JsonObject, key: str, place: Place) -> Entries:
    """The objects of an optional list; anything but a list of objects is an error."""
    return [(where, as_object(item, where)) for where, item in items(obj, key, place)]


def optional_text(obj: JsonObject, key: str, place: Place) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise place.key(key).error(f"expected a string, found {json_kind(value)}")


def text(obj: JsonObject, key: str, place: Place) -> str:
    value = optional_text(obj, key, place)
    if value is None:
        raise place.key(key).error("required but missing")
    return value


def string_list(obj: JsonObject, key: str, place: Place) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise place.key(key).error(f"expected a list of strings, found {json_kind(value)}")
    return tuple(value)
