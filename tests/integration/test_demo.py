"""`trustwatch demo` (what `make demo` runs) goes to the end by itself and shows the findings and deliveries."""

from __future__ import annotations

from pathlib import Path

from chalicelib.cli import main


def test_the_demo_runs_to_the_end_and_tells_the_story(tmp_path: Path) -> None:
    report = tmp_path / "demo.txt"
    assert main(["demo", "--output", str(report)]) == 0
    text = report.read_text()
    assert "7 of 7 decisions agree with what AWS was observed to do." in text
    assert "0 events failed." in text
    # the seed story as events: an untrusted account added, alerted on Slack and SNS, then fixed and resolved
    assert "iam-update-assume-role-policy-untrusted-account.json -> on_iam_change" in text
    for rule in ("untrusted-account", "new-access", "unexpected-assumption", "auditor-tampering", "public-trust"):
        assert "Slack [" in text and rule in text, rule
    assert "RESOLVED" in text or "resolved" in text
    assert "sts-assume-role-by-service.json: no rule matches it" in text
