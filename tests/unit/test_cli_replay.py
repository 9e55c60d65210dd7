"""`trustwatch replay`: saved events through the auditor offline, over snapshot files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import main
from tests.conftest import SNAPSHOTS

EVENTS = Path(__file__).resolve().parents[2] / "events"
SEED_000 = [a for p in sorted((SNAPSHOTS / "seed-000-granted").glob("*.json")) for a in ("--snapshot", str(p))]
CONFIG = '{"trusted_accounts": {"111111111111": "a", "222222222222": "b"}}'


def replay(tmp_path: Path, capsys: pytest.CaptureFixture[str], *events: str, code: int = 0) -> dict[str, object]:
    config = tmp_path / "c.json"
    config.write_text(CONFIG)
    args = ["replay", *events, *SEED_000, "--config", str(config), "--format", "json"]
    assert main(args) == code
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


def test_replay_reports_what_a_trust_change_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = replay(tmp_path, capsys, str(EVENTS / "iam-update-assume-role-policy-untrusted-account.json"))
    findings = report["findings"]
    assert isinstance(findings, list)
    rules = {f["rule_id"] for f in findings}
    assert {"new-access", "untrusted-account", "missing-external-id"} <= rules
    assert all(f["role_arn"] == "arn:aws:iam::222222222222:role/foobaz" for f in findings)


def test_a_bad_event_file_is_reported_and_the_others_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"detail-type": "AWS API Call via CloudTrail"}')
    report = replay(tmp_path, capsys, str(bad), str(EVENTS / "sts-assume-role-untrusted-account.json"), code=2)
    errors = report["errors"]
    assert isinstance(errors, list) and errors[0]["source"] == str(bad)
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [f["rule_id"] for f in findings] == ["unexpected-assumption"]
