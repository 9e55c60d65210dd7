"""The request context: condition keys and their values, looked up case-insensitively."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

# Keys that AWS documents as multivalued; a plain (non-set) operator on them never matches (spec R6.5, Q11).
MULTIVALUED_KEYS = frozenset(
    {
        "aws:tagkeys",
        "aws:principalorgpaths",
        "aws:calledvia",
        "aws:sourceorgpaths",
        "aws:resourceorgpaths",
        "sts:transitivetagkeys",
        "cognito-identity.amazonaws.com:amr",
    }
)


def _normalise_key(key: str) -> str:
    # Key names are case-insensitive, including the tag-key suffix of aws:PrincipalTag/… (spec R6.2).
    return key.lower()


class RequestContext(Mapping[str, tuple[str, ...]]):
    """Immutable mapping of condition key to its values (one value for single-valued keys)."""

    __slots__ = ("_multi", "_original", "_values")

    def __init__(self, values: Mapping[str, str | Sequence[str]] | None = None) -> None:
        self._values: dict[str, tuple[str, ...]] = {}
        self._multi: set[str] = set()
        self._original: dict[str, str] = {}
        for key, value in (values or {}).items():
            norm = _normalise_key(key)
            if isinstance(value, str):
                self._values[norm] = (value,)
            else:
                self._values[norm] = tuple(str(v) for v in value)
                self._multi.add(norm)
            self._original[norm] = key

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._values[_normalise_key(key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._original[k] for k in self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _normalise_key(key) in self._values

    def __repr__(self) -> str:
        return f"RequestContext({self.as_dict()!r})"

    def values_of(self, key: str) -> tuple[str, ...] | None:
        """The key's values, or None when the key is absent from the request."""
        return self._values.get(_normalise_key(key))

    def is_multivalued(self, key: str) -> bool:
        """True for keys AWS documents as multivalued and keys given as a list of several values."""
        norm = _normalise_key(key)
        if norm in MULTIVALUED_KEYS:
            return True
        return norm in self._multi and len(self._values.get(norm, ())) > 1

    def with_defaults(self, defaults: Mapping[str, str | Sequence[str]]) -> RequestContext:
        """A copy where each default fills a key only when the request does not already give it."""
        merged: dict[str, str | Sequence[str]] = {}
        for key, value in defaults.items():
            if key not in self:
                merged[key] = value
        for norm, values in self._values.items():
            key = self._original[norm]
            merged[key] = list(values) if norm in self._multi else values[0]
        return RequestContext(merged)

    def as_dict(self) -> dict[str, str | list[str]]:
        return {self._original[k]: (list(v) if k in self._multi else v[0]) for k, v in self._values.items()}
