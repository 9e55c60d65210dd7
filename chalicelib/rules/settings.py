"""What the configuration says about rules, checked against the catalog: rule ids, option names, option types.

`parse_config` checks the file's shape; only the catalog knows which rules and options exist, so this check
runs once the configuration is read (the CLI's ``--config``, the auditor's SSM parameter). A misspelt option
would otherwise be ignored without a word, and the rule would run with its defaults.
"""

from __future__ import annotations

from ..config import Config, ConfigError
from .registry import CATALOG
from .registry_types import RuleMeta

_KINDS = {list: "a list of strings", int: "a whole number", bool: "true or false", str: "a string"}


def check_rule_settings(config: Config, *, source: str) -> Config:
    """``config`` when every rule it names and every option it sets exists; `ConfigError` naming the field."""
    catalog = {meta.id: meta for meta in CATALOG}
    for rule_id, settings in config.rules.items():
        meta = catalog.get(rule_id)
        if meta is None:
            raise ConfigError(f"{source}: rules.{rule_id}: unknown rule {rule_id!r} (see `trustwatch rules`)")
        for name, value in settings.options.items():
            problem = _option_problem(meta, name, value)
            if problem:
                raise ConfigError(f"{source}: rules.{rule_id}.options.{name}: {problem}")
    for index, suppression in enumerate(config.suppressions):
        if suppression.rule is not None and suppression.rule not in (*catalog, "*"):
            message = f"unknown rule {suppression.rule!r} (see `trustwatch rules`)"
            raise ConfigError(f"{source}: suppressions.{index}.rule: {message}")
    return config


def _option_problem(meta: RuleMeta, name: str, value: object) -> str | None:
    if name not in meta.options:
        known = ", ".join(sorted(meta.options)) or "none"
        return f"unknown option (the options of {meta.id}: {known})"
    kind = type(meta.options[name])
    if kind is list:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
    else:
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    return None if ok else f"expected {_KINDS.get(kind, kind.__name__)}, found {value!r}"
