"""A finding's ``location`` (CONTRACTS.md §4): in the JSON only when the finding comes from a file, and what
SARIF results point at (the file as a relative URI and the line), valid for code scanning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic_sarif.model import (  # type: ignore[import-untyped]  # the package ships no py.typed
    StaticAnalysisResultsFormatSarifVersion210JsonSchema as SarifLog,
)

from chalicelib.report import render
from chalicelib.report.sarif import file_uri
from chalicelib.rules.engine import AuditResult
from chalicelib.rules.findings import Finding, Location, Severity

ROLE = "arn:aws:iam::111111111111:role/deploy"


def finding(location: Location | None) -> Finding:
    return Finding(
        id="tw-0",
        rule_id="public-trust",
        severity=Severity.CRITICAL,
        title="t",
        account_id="111111111111",
        role_arn=ROLE,
        explanation="e",
        remediation="r",
        location=location,
    )


def test_json_carries_location_only_when_there_is_one() -> None:
    # GIVEN one finding from a template and one from an account
    here = Location(file="templates/app.yaml", line=42, resource="DeployRole")
    document = json.loads(render(AuditResult(findings=(finding(here), finding(None))), "json"))
    # THEN the first has the contract's location and the second has no location key at all
    assert document["findings"][0]["location"] == {"file": "templates/app.yaml", "line": 42, "resource": "DeployRole"}
    assert "location" not in document["findings"][1]
    assert Finding.model_validate(document["findings"][0]).location == here


def sarif_locations(result: AuditResult) -> list[dict[str, Any]]:
    log: dict[str, Any] = json.loads(render(result, "sarif", tool_version="1.0"))
    SarifLog.model_validate(log)
    return [r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"]]


def test_sarif_points_at_the_file_and_line() -> None:
    # GIVEN a finding on line 42 of a template and one without a location
    result = AuditResult(findings=(finding(Location(file="./infra/app stack.yaml", line=42)), finding(None)))
    # WHEN rendered as SARIF  THEN the first result is at the relative file, line 42; the second at its pseudo-path
    located, pseudo = sarif_locations(result)
    assert located == {"artifactLocation": {"uri": "infra/app%20stack.yaml"}, "region": {"startLine": 42}}
    assert pseudo["artifactLocation"]["uri"] == "iam/111111111111/role/deploy"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("templates/app.yaml", "templates/app.yaml"), ("./a/../b.json", "a/../b.json"), ("cdk.out/X.template.json",
     "cdk.out/X.template.json")],
)  # fmt: skip
def test_file_uri_is_relative_as_given(given: str, expected: str) -> None:
    assert file_uri(given) == expected


def test_file_uri_of_an_absolute_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an absolute path under the working directory and one outside it
    monkeypatch.chdir(tmp_path)
    assert file_uri(str(tmp_path / "infra" / "app.yaml")) == "infra/app.yaml"
    assert file_uri("/elsewhere/app.yaml") == "file:///elsewhere/app.yaml"
