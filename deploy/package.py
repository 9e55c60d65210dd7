"""``python -m deploy.package STAGE [OUTDIR]``: the deployable SAM template of one stage, in ``dist/<stage>``.

Runs ``chalice package`` merged with ``deploy/merge-template.json`` (the table, the topic, the names, the
AssumeRole rule state), which needs a region but no AWS credentials, then checks the result for what a deep
merge or a careless edit gets wrong silently: a resource without a type (merged into a logical id Chalice
renamed), an intrinsic merged into another one, the AssumeRole rule left in plain ``ENABLED`` (it would never
fire), a wildcard action or a managed policy on a Lambda role, a resource not scoped to this stack, a Slack
webhook URL in the template, a function or rule target whose failures would vanish (``deploy.dead_letters``).

Chalice's ``iam_policy_file`` is per function, not per stage: ``deploy.stage.for_stage`` makes the packaged
template the stage's own (its docstring says how), and ``stage_problems`` checks that it is.

Chalice's ``deployment.zip`` holds no bytecode, and ``/var/task`` is read-only, so every cold start would
compile every module it imports again (more than half of ``import app``: ``make bench``). The zip is therefore
rewritten with a ``__pycache__/<module>.cpython-3XX.pyc`` beside each ``.py``, compiled as *unchecked-hash*
pycs, which the interpreter uses whatever the files' mtimes after Lambda unpacks them. This happens only when
this interpreter is the template's Lambda runtime (``Runtime: python3.11``): bytecode for another minor version
is never shipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploy import dead_letters
from deploy.stage import for_stage, stage_problems

PROJECT = Path(__file__).resolve().parents[1]
MERGE_TEMPLATE = PROJECT / "deploy" / "merge-template.json"
DEFAULT_REGION = "us-east-1"  # IAM's CloudTrail events reach EventBridge only there

ASSUME_ROLE_FUNCTION = "OnRoleAssumption"  # Chalice's logical ids for on_role_assumption and its rule
ASSUME_ROLE_EVENT = "OnRoleAssumptionEvent"
READ_ONLY_EVENTS_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
SLACK_WEBHOOK = re.compile(r"hooks\.slack(-gov)?\.com", re.IGNORECASE)

LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the zip: the source path recorded in the bytecode
PYCACHE = "__pycache__"
# Installer metadata and scripts are never imported; compiling them would only grow the zip.
NOT_IMPORTED = re.compile(r"(^|/)[^/]+\.(dist-info|data)/")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # what Chalice writes too: the zip depends on the contents only
FILE_MODE = 0o100644 << 16


@dataclass(frozen=True, slots=True)
class Bytecode:
    """What ``add_bytecode`` did to a deployment zip."""

    runtime: str | None  # the template's Lambda runtime, when it has exactly one
    compiled: int  # .pyc files added
    failed: tuple[str, ...]  # .py files this interpreter cannot compile (shipped without bytecode)
    size_before: int
    size_after: int
    skipped: str | None = None  # why nothing was compiled

    def summary(self) -> str:
        sizes = f"{self.size_before / 1e6:.1f} MB -> {self.size_after / 1e6:.1f} MB"
        if self.skipped:
            return f"no bytecode added ({self.skipped}); {sizes}"
        failed = f", {len(self.failed)} .py files do not compile and stay source-only" if self.failed else ""
        return f"{self.compiled} modules compiled to {self.runtime} bytecode (unchecked-hash .pyc){failed}; {sizes}"


@dataclass(frozen=True, slots=True)
class Package:
    sam: Path
    zip: Path
    bytecode: Bytecode


def stages(project: Path = PROJECT) -> list[str]:
    config = json.loads((project / ".chalice" / "config.json").read_text())
    return sorted(config["stages"])


def package(
    stage: str,
    outdir: Path,
    *,
    project: Path = PROJECT,
    env: Mapping[str, str] | None = None,
    bytecode: bool = True,
) -> Package:
    """Run ``chalice package`` for ``stage`` into ``outdir``, then add bytecode to its zip (``add_bytecode``)."""
    environment = dict(os.environ if env is None else env)
    environment.setdefault("AWS_DEFAULT_REGION", DEFAULT_REGION)
    command = [
        _chalice(),
        "--project-dir",
        str(project),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(MERGE_TEMPLATE),
        str(outdir),
    ]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chalice package failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    sam, archive = outdir / "sam.json", outdir / "deployment.zip"
    template = for_stage(json.loads(sam.read_text()), stage)
    sam.write_text(json.dumps(template, indent=2) + "\n")
    runtime = lambda_runtime(template)
    if bytecode:
        return Package(sam, archive, add_bytecode(archive, runtime))
    size = archive.stat().st_size
    return Package(sam, archive, Bytecode(runtime, 0, (), size, size, skipped="not asked for"))


def _chalice() -> str:
    beside = Path(sys.executable).parent / "chalice"
    found = str(beside) if beside.exists() else shutil.which("chalice")
    if found is None:
        raise RuntimeError("chalice is not installed (run `make install`)")
    return found


def lambda_runtime(template: Mapping[str, Any]) -> str | None:
    """The one ``Runtime`` of the template's functions (``python3.11``), or None if they differ or name none."""
    resources: Mapping[str, Any] = template.get("Resources", {})
    found = {
        resource.get("Properties", {}).get("Runtime")
        for resource in resources.values()
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }
    found.add(_get(template, "Globals", "Function", "Runtime"))
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def local_runtime() -> str | None:
    """This interpreter as a Lambda runtime name, if its bytecode is CPython's."""
    if sys.implementation.name != "cpython":
        return None
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def add_bytecode(archive: Path, runtime: str | None) -> Bytecode:
    """Rewrite ``archive`` with an unchecked-hash ``.pyc`` for each importable ``.py``, entries sorted by name.

    Only when this interpreter is ``runtime``; otherwise the zip is left as it is. Bytecode already in the zip
    is replaced, so running this twice gives the same zip.
    """
    before = archive.stat().st_size
    local = local_runtime()
    if runtime is None or runtime != local:
        why = f"the Lambda runtime is {runtime or 'not one runtime'}, this interpreter is {local or 'not CPython'}"
        return Bytecode(runtime, 0, (), before, before, skipped=why)
    with zipfile.ZipFile(archive) as source:
        entries = {
            info.filename: (info, source.read(info))
            for info in source.infolist()
            if not info.is_dir() and f"{PYCACHE}/" not in f"/{info.filename}"
        }
    with tempfile.TemporaryDirectory(prefix="trustwatch-pyc-") as scratch:
        targets: dict[str, str] = {}
        for name, (_, data) in entries.items():
            if name.endswith(".py") and not NOT_IMPORTED.search(name):
                targets[name] = _pyc_name(name)
                Path(scratch, name).parent.mkdir(parents=True, exist_ok=True)
                Path(scratch, name).write_bytes(data)
        # A fresh interpreter: marshal's output depends on what the compiling process has loaded before.
        done = subprocess.run(
            [sys.executable, "-I", "-c", _COMPILE, scratch, LAMBDA_TASK_ROOT],
            input=json.dumps(targets),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"compiling the package failed ({done.returncode}):\n{done.stderr}")
        failed: list[str] = json.loads(done.stdout)
        compiled = {pyc: Path(scratch, pyc).read_bytes() for name, pyc in targets.items() if name not in failed}
    rewritten = archive.with_name(f".{archive.name}.tmp")
    with zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in sorted([*entries, *compiled]):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3  # unix, so that the mode below is honoured
            info.external_attr = entries[name][0].external_attr if name in entries else FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, entries[name][1] if name in entries else compiled[name])
    os.replace(rewritten, archive)
    return Bytecode(runtime, len(compiled), tuple(failed), before, archive.stat().st_size)


_COMPILE = """
import json, py_compile, sys
scratch, task_root = sys.argv[1:]
failed = []
for name, pyc in sorted(json.load(sys.stdin).items()):
    try:
        py_compile.compile(
            f"{scratch}/{name}",
            cfile=f"{scratch}/{pyc}",
            dfile=f"{task_root}/{name}",  # the path on Lambda, not the scratch one: the bytecode stays reproducible
            doraise=True,
            optimize=0,  # Lambda runs python without -O
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,  # used whatever the mtimes
        )
    except py_compile.PyCompileError:
        failed.append(name)
print(json.dumps(failed))
"""


def _pyc_name(name: str) -> str:
    """``chalicelib/iam/evaluate.py`` -> ``chalicelib/iam/__pycache__/evaluate.cpython-311.pyc``."""
    folder, _, file = name.rpartition("/")
    pyc = f"{PYCACHE}/{file[: -len('.py')]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{pyc}" if folder else pyc


def problems(template: Mapping[str, Any]) -> list[str]:
    """What is wrong with a merged template; empty when it is fit to deploy."""
    resources: Mapping[str, Any] = template.get("Resources", {})
    found = [
        f"{name}: no Type (merged into a logical id Chalice did not emit?)"
        for name, resource in resources.items()
        if "Type" not in resource
    ]
    found += [
        f"{path}: an intrinsic merged with other keys {sorted(node)}"
        for path, node in _walk(template, "")
        if len(node) > 1 and any(key == "Ref" or key.startswith("Fn::") for key in node)
    ]
    state = _get(resources, ASSUME_ROLE_FUNCTION, "Properties", "Events", ASSUME_ROLE_EVENT, "Properties", "State")
    if state != READ_ONLY_EVENTS_STATE:
        found.append(f"{ASSUME_ROLE_FUNCTION}.{ASSUME_ROLE_EVENT}: State is {state!r}, not {READ_ONLY_EVENTS_STATE}")
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::IAM::Role":
            found += [f"{name}: {problem}" for problem in wildcard_actions(resource["Properties"].get("Policies", []))]
            if resource["Properties"].get("ManagedPolicyArns"):
                found.append(f"{name}: managed policies {resource['Properties']['ManagedPolicyArns']}")
        if resource.get("Type") == "AWS::IAM::Policy":  # the dead-letter send policy, attached to the roles
            found += [f"{name}: {problem}" for problem in wildcard_actions([resource["Properties"]])]
    found += dead_letters.problems(resources)
    found += stage_problems(template)
    if SLACK_WEBHOOK.search(json.dumps(template)):
        found.append("a Slack webhook URL is in the template (it belongs in Secrets Manager)")
    return found


def wildcard_actions(policies: list[Any]) -> list[str]:
    """Wildcard actions (``*``, ``iam:*``, ``iam:List*``) and NotAction in inline role policies: a list serves."""
    found = []
    for policy in policies:
        for statement in _statements(policy.get("PolicyDocument", {})):
            if "NotAction" in statement:
                found.append(f"{policy.get('PolicyName')}: NotAction {statement['NotAction']!r}")
            actions = statement.get("Action", [])
            for action in [actions] if isinstance(actions, str) else actions:
                if "*" in action:
                    found.append(f"{policy.get('PolicyName')}: wildcard action {action!r}")
    return found


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _walk(node: object, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    known = stages()
    if len(args) not in (1, 2) or args[0] not in known:
        print(f"usage: python -m deploy.package {{{','.join(known)}}} [OUTDIR]", file=sys.stderr)
        return 2
    stage = args[0]
    outdir = Path(args[1]) if len(args) == 2 else PROJECT / "dist" / stage
    built = package(stage, outdir)
    print(f"{built.zip}: {built.bytecode.summary()}")
    for name in built.bytecode.failed:
        print(f"{built.zip}: {name} does not compile for {built.bytecode.runtime}; shipped as source only")
    found = problems(json.loads(built.sam.read_text()))
    for problem in found:
        print(f"{built.sam}: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"{outdir}: sam.json and deployment.zip; deploy as stack trustwatch-{stage} (docs/deployment.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
