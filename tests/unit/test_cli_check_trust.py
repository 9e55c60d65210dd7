"""`trustwatch check-trust` (offline, no credentials) and `trustwatch rules`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.cli import main
from chalicelib.rules.registry import CATALOG

ROLE = "arn:aws:iam::111111111111:role/deploy"
PUBLIC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
CLEAN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"{ROLE[:-6]}ci"}, "Action": "sts:AssumeRole"}],
}


def write(tmp_path: Path, doc: Any, name: str = "trust.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def test_check_trust_runs_offline_without_credentials_or_boto3(tmp_path: Path) -> None:
    # GIVEN an environment with no AWS credentials, config or region at all
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none")
    )
    code = (
        "import sys; from chalicelib.cli import main; rc = main(sys.argv[1:]); "
        "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules, 'AWS SDK imported'; sys.exit(rc)"
    )
    argv = ["check-trust", write(tmp_path, PUBLIC), "--role-arn", ROLE, "--format", "json", "--fail-on", "high"]
    # WHEN check-trust runs in a fresh interpreter
    result = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, check=False)
    # THEN it reports the public trust and fails on it, without loading the AWS SDK
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert [f["rule_id"] for f in findings] == ["public-trust"]
    assert findings[0]["severity"] == "critical" and findings[0]["role_arn"] == ROLE


def test_clean_policy_has_no_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-trust", write(tmp_path, CLEAN), "--role-arn", ROLE, "--fail-on", "info"]) == 0
    assert "0 findings" in capsys.readouterr().out


def test_policy_iam_would_refuse_is_a_finding_not_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "sts:AssumeRole"}]}
    assert main(["check-trust", write(tmp_path, doc), "--role-arn", ROLE, "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert "invalid-trust-policy" in {f["rule_id"] for f in findings}


@pytest.mark.parametrize(
    ("content", "argv", "expected"),
    [
        pytest.param("{oops", [], "not JSON", id="not-json"),
        pytest.param({"Statement": [{"Effect": "Permit", "Action": "x"}]}, [], "Statement[0].Effect", id="bad-effect"),
        pytest.param(PUBLIC, ["--role-arn", "arn:aws:s3:::bucket"], "not an IAM role ARN", id="not-a-role"),
        pytest.param(PUBLIC, ["--role-arn", "role"], "--role-arn", id="not-an-arn"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, argv: list[str], expected: str
) -> None:
    args = ["check-trust", write(tmp_path, content), *(argv or ["--role-arn", ROLE])]
    assert main(args) == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_every_format_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    assert (
        main(["check-trust", write(tmp_path, PUBLIC), "--role-arn", ROLE, "--format", fmt, "--output", str(out)]) == 0
    )
    assert capsys.readouterr().out == ""
    assert "public-trust" in out.read_text().replace("\\-", "-")  # Markdown escapes the dash


def test_rules_lists_the_whole_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [m.id for m in CATALOG]
    assert main(["rules", "--format", "json"]) == 0
    catalog = json.loads(capsys.readouterr().out)
    assert {c["id"]: c["severity"] for c in catalog} == {m.id: m.severity.value for m in CATALOG}
