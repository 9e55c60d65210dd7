"""The GitHub Action (action.yml) and the pre-commit hook (.pre-commit-hooks.yaml) call the real command with
options it takes: the action's script runs here, against tests/data/templates, with `trustwatch` on PATH."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_sarif.model import (  # type: ignore[import-untyped]  # the package ships no py.typed
    StaticAnalysisResultsFormatSarifVersion210JsonSchema as SarifLog,
)

from chalicelib.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
HOOKS: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
TRUSTWATCH = Path(sys.executable).parent / "trustwatch"


def step(name: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def test_the_action_is_composite_and_uploads_sarif_from_the_check() -> None:
    steps = ACTION["runs"]["steps"]
    assert ACTION["runs"]["using"] == "composite"
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert step("Check templates")["env"]["TW_SARIF"] == "${{ inputs.sarif-file }}"
    # every input the steps read is declared, and every declared input is used
    used = set(re.findall(r"inputs\.([a-z-]+)", json.dumps(steps)))
    assert used == set(ACTION["inputs"])


def run_action(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """The "Check templates" script under bash, its env built from the inputs (defaults for the rest)."""
    check = step("Check templates")
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | inputs
    env = {
        key: re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: values[m.group(1)], v)
        for key, v in check["env"].items()
    }
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "trustwatch").symlink_to(TRUSTWATCH)
    output = tmp_path / "github_output"
    env |= {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(output), "HOME": str(tmp_path)}
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run(
        [bash, "-e", "-c", check["run"]], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) if output.exists() else {}
    return result, outputs


def test_the_action_script_runs_trustwatch_and_writes_sarif(tmp_path: Path) -> None:
    sarif = tmp_path / "out.sarif"
    # WHEN the action checks two templates, failing on critical
    result, outputs = run_action(
        tmp_path,
        paths="tests/data/templates/app.yaml tests/data/templates/sam.yaml",
        **{"account-id": "111111111111", "fail-on": "critical", "sarif-file": str(sarif)},
    )
    # THEN the step itself succeeds, reports exit code 1 for the later "Fail on findings" step, and the SARIF is valid
    assert result.returncode == 0, result.stderr
    assert outputs == {"exit-code": "1"}
    log = json.loads(sarif.read_text())
    SarifLog.model_validate(log)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"tests/data/templates/app.yaml", "tests/data/templates/sam.yaml"}
    assert step("Fail on findings")["if"] == "${{ steps.check.outputs.exit-code == '1' }}"


def test_the_action_fails_at_once_on_bad_input(tmp_path: Path) -> None:
    result, outputs = run_action(tmp_path, paths="no-such-template.yaml", **{"sarif-file": str(tmp_path / "x.sarif")})
    assert result.returncode == 2 and outputs == {"exit-code": "2"}
    assert "no-such-template.yaml: no such file or directory" in result.stderr


@pytest.mark.parametrize("hook", HOOKS, ids=lambda h: h["id"])
def test_the_pre_commit_hook_calls_check_template_with_valid_options(hook: dict[str, Any]) -> None:
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["trustwatch", "check-template"] and hook["language"] == "python"
    args = build_parser().parse_args([*entry[1:], *hook["args"]])
    assert args.paths == ["."] and args.fail_on == "high"
    assert re.search(hook["files"], "infra/app.yaml") and re.search(hook["files"], "cdk.out/Stack.template.json")
