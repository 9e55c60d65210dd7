"""What PATH... names: template files, Terraform plans, CDK cloud assemblies, or directories searched for them.

A file named on the command line must be one of those (bad input otherwise); in a directory, files that are
none of them (workflows, configuration) are passed over, and ``.git``, ``node_modules``, ``.terraform`` are
not entered. A CDK assembly is read through its ``manifest.json``: each stack's template, with the stack's
account and region when the environment names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..safe_json import JsonInputError, loads
from .errors import TemplateError
from .loader import load
from .terraform import is_plan

SUFFIXES = (".yaml", ".yml", ".json", ".template")
SKIP_DIRS = {".git", "node_modules", ".terraform", ".venv", "__pycache__"}


@dataclass(frozen=True)
class Input:
    file: str  # as the user would write it: the given path, joined with what was found under it
    kind: str  # "cloudformation" | "terraform"
    data: Any
    account_id: str | None = None  # from a CDK stack's environment
    region: str | None = None


def discover(paths: list[str]) -> list[Input]:
    found: list[Input] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise TemplateError(given, None, "no such file or directory")
        if path.is_dir():
            found += _directory(path, given)
        elif path.name == "manifest.json" and _is_assembly(path):
            found += _assembly(path.parent, str(Path(given).parent))
        else:
            found += [item] if (item := _file(path, given, strict=True)) else []
    return found


def _directory(path: Path, shown: str) -> list[Input]:
    if _is_assembly(path / "manifest.json"):
        return _assembly(path, shown)
    found: list[Input] = []
    for child in sorted(path.iterdir()):
        child_shown = f"{shown.rstrip('/')}/{child.name}"
        if child.is_dir() and child.name not in SKIP_DIRS:
            found += _directory(child, child_shown)
        elif child.is_file() and child.name.endswith(SUFFIXES):
            item = _file(child, child_shown, strict=False)
            found += [item] if item else []
    return found


def _file(path: Path, shown: str, *, strict: bool) -> Input | None:
    try:
        data = load(path, shown)
    except TemplateError:
        if strict or path.suffix in (".template",) or path.name.endswith(".template.json"):
            raise
        return None  # a directory's unreadable non-template file (e.g. a YAML with custom tags of another tool)
    if is_plan(data):
        return Input(shown, "terraform", data)
    if isinstance(data, dict) and ("Resources" in data or "AWSTemplateFormatVersion" in data):
        return Input(shown, "cloudformation", data)
    if strict:
        raise TemplateError(shown, None, "not a CloudFormation/SAM template (no Resources) nor a Terraform plan")
    return None


def _is_assembly(manifest: Path) -> bool:
    data = _manifest(manifest)
    return isinstance(data, dict) and isinstance(data.get("artifacts"), dict) and "version" in data


def _manifest(manifest: Path) -> Any:
    """A ``manifest.json``'s JSON, or None when there is none or it is not JSON (another tool's file, passed
    over). JSON whose syntax is fine but that holds a duplicate key, NaN or an integer too long is bad input:
    read leniently it would name templates by a guess."""
    try:
        return loads(manifest.read_bytes()) if manifest.is_file() else None
    except OSError:
        return None
    except JsonInputError as exc:
        if exc.reason.startswith("not JSON"):
            return None
        raise TemplateError(str(manifest), None, f"{exc.where}: {exc.reason}") from None


def _assembly(path: Path, shown: str) -> list[Input]:
    manifest = _manifest(path / "manifest.json")
    found: list[Input] = []
    for name, artifact in manifest["artifacts"].items():
        props = artifact.get("properties") or {} if isinstance(artifact, dict) else {}
        if artifact.get("type") == "aws:cloudformation:stack" and props.get("templateFile"):
            account, region = _environment(artifact.get("environment"))
            child = f"{shown.rstrip('/')}/{props['templateFile']}"
            data = load(path / props["templateFile"], child)
            found.append(Input(child, "cloudformation", data, account, region))
        elif artifact.get("type") == "cdk:cloud-assembly" and props.get("directoryName"):
            found += _assembly(path / props["directoryName"], f"{shown.rstrip('/')}/{props['directoryName']}")
        elif artifact.get("type") == "aws:cloudformation:stack":
            raise TemplateError(f"{shown}/manifest.json", None, f"artifact {name}: no templateFile")
    return found


def _environment(value: object) -> tuple[str | None, str | None]:
    """``aws://123456789012/eu-west-1``; CDK writes ``unknown-account``/``unknown-region`` when unset."""
    parts = value.removeprefix("aws://").split("/") if isinstance(value, str) else []
    account = parts[0] if parts and parts[0].isdigit() and len(parts[0]) == 12 else None
    region = parts[1] if len(parts) > 1 and not parts[1].startswith("unknown") else None
    return account, region
