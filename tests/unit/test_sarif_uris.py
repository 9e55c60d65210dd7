"""SARIF links to the project (issue 8 #14): the tool's informationUri and every rule's helpUri come from the
home page pyproject.toml declares, read back from the installed package's metadata; the rules' page lists them.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic_sarif.model import (  # type: ignore[import-untyped]  # the package ships no py.typed
    StaticAnalysisResultsFormatSarifVersion210JsonSchema as SarifLog,
)

from chalicelib.report.sarif import render
from chalicelib.report.version import information_uri
from chalicelib.rules.engine import AuditResult
from chalicelib.rules.findings import Finding, Severity
from chalicelib.rules.registry import CATALOG, RULES

ROOT = Path(__file__).resolve().parents[2]
HOME = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]
README = (ROOT / "README.md").read_text()
EVENT_FINDING = Finding(
    id="tw-1", rule_id="unexpected-assumption", severity=Severity.HIGH, title="Role assumed by an unexpected caller",
    account_id="111111111111", role_arn="arn:aws:iam::111111111111:role/app", explanation="x", remediation="y",
)  # fmt: skip


def _driver(result: AuditResult) -> dict[str, Any]:
    log = json.loads(render(result, tool_version="9.9.9"))
    SarifLog.model_validate(log)  # the official schema: helpUri and informationUri must be URIs where it says
    driver: dict[str, Any] = log["runs"][0]["tool"]["driver"]
    return driver


def test_the_package_declares_its_home_page_and_the_installed_metadata_has_it() -> None:
    assert HOME.startswith("https://")
    assert information_uri() == HOME


def test_the_tool_and_every_rule_link_to_the_project() -> None:
    # GIVEN a result with a finding of an event rule (a descriptor made from the finding, not the catalog)
    driver = _driver(AuditResult(findings=(EVENT_FINDING,)))
    # THEN the tool links to the home page and every rule to the rule table there
    assert driver["informationUri"] == HOME
    ids = [d["id"] for d in driver["rules"]]
    assert {r.meta.id for r in RULES} | {"unexpected-assumption"} <= set(ids)
    assert {d["helpUri"] for d in driver["rules"]} == {f"{HOME}#rules"}


def test_without_a_declared_home_page_no_link_is_made_up() -> None:
    log = json.loads(render(AuditResult(), tool_version="9.9.9", information_uri=None))
    driver = log["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver and not any("helpUri" in d for d in driver["rules"])


def test_the_help_anchor_is_the_readme_section_that_lists_every_rule() -> None:
    # GitHub anchors a heading by its text: "### Rules" is #rules
    section = re.search(r"^### Rules\n(.*?)^#", README, re.M | re.S)
    assert section is not None
    assert all(f"| `{meta.id}` |" in section.group(1) for meta in CATALOG)


def test_the_readme_names_the_same_repository() -> None:
    repository = HOME.removeprefix("https://github.com/")
    assert f"uses: {repository}@" in README and f"repo: {HOME}" in README
