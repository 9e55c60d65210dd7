"""``python -m deploy.package STAGE [OUTDIR]``: the deployable SAM template of one stage, in ``dist/<stage>``.

Runs ``chalice package`` merged with ``deploy/merge-template.json`` (the table, the topic, the names, the
AssumeRole rule state), which needs a region but no AWS credentials, then checks the result for what a deep
merge or a careless edit gets wrong silently: a resource without a type (merged into a logical id Chalice
renamed), an intrinsic merged into another one, the AssumeRole rule left in plain ``ENABLED`` (it would never
fire), a wildcard action or a managed policy on a Lambda role, a Slack webhook URL in the template.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
MERGE_TEMPLATE = PROJECT / "deploy" / "merge-template.json"
DEFAULT_REGION = "us-east-1"  # IAM's CloudTrail events reach EventBridge only there

ASSUME_ROLE_FUNCTION = "OnRoleAssumption"  # Chalice's logical ids for on_role_assumption and its rule
ASSUME_ROLE_EVENT = "OnRoleAssumptionEvent"
READ_ONLY_EVENTS_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
SLACK_WEBHOOK = re.compile(r"hooks\.slack(-gov)?\.com", re.IGNORECASE)


def stages(project: Path = PROJECT) -> list[str]:
    config = json.loads((project / ".chalice" / "config.json").read_text())
    return sorted(config["stages"])


def package(stage: str, outdir: Path, *, project: Path = PROJECT, env: Mapping[str, str] | None = None) -> Path:
    """Run ``chalice package`` for ``stage`` into ``outdir``; return the merged ``sam.json``."""
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
    return outdir / "sam.json"


def _chalice() -> str:
    beside = Path(sys.executable).parent / "chalice"
    found = str(beside) if beside.exists() else shutil.which("chalice")
    if found is None:
        raise RuntimeError("chalice is not installed (run `make install`)")
    return found


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
    sam = package(stage, outdir)
    found = problems(json.loads(sam.read_text()))
    for problem in found:
        print(f"{sam}: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"{outdir}: sam.json and deployment.zip; deploy as stack trustwatch-{stage} (docs/deployment.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
