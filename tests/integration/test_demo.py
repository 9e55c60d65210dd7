"""`trustwatch demo` (what `make demo` runs) goes to the end by itself and shows the findings and deliveries."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.cli import main
from chalicelib.devtools.demo_acts import SCREEN


def test_the_demo_runs_to_the_end_and_tells_the_story(tmp_path: Path, moto_endpoint: str) -> None:
    # moto's backends are per process, shared by the demo's own server: moto_endpoint empties them of what
    # earlier tests of the session created (RoleA would already exist)
    report = tmp_path / "demo.txt"
    assert main(["demo", "--output", str(report)]) == 0
    text = report.read_text()
    assert "7 of 7 decisions agree with what AWS was observed to do." in text
    assert "0 events failed." in text
    # the seed story as events: an untrusted account added, then each rule alerted on Slack and on SNS (matched on
    # the delivery lines themselves: several event file names contain rule ids too), and a finding resolved. A
    # message lists every finding of its change: SNS names their rules, Slack a line per finding or its subject
    assert "iam-update-assume-role-policy-untrusted-account.json -> on_iam_change" in text
    for rule in ("untrusted-account", "new-access", "unexpected-assumption", "auditor-tampering", "public-trust"):
        slack = rf"^(  Slack \[[A-Z, ]+\] {rule}: |        \*[A-Z, ]+\* · {rule} · )"
        assert re.search(slack, text, re.MULTILINE), rule
        assert re.search(rf'^  SNS   \[[a-z]+\] \[[^\]]*"{rule}"', text, re.MULTILINE), rule
    assert re.search(r"^  Slack \[RESOLVED [A-Z]+\] ", text, re.MULTILINE)
    assert "sts-assume-role-by-service.json: no rule matches it" in text
    # compact, and never cut inside markup (issue 8 #16): whole lines only, no code fence opened
    assert "```" not in text
    assert len(text.splitlines()) < 200  # 288 lines before: fields, explanations and JSON fixes of every message
    # one screen (42 lines) per part (the replay was one part of 95): seeds, baseline, three acts of events
    parts = re.split(r"^(?===)", text, flags=re.M)
    assert [len(part.splitlines()) for part in parts if len(part.splitlines()) > SCREEN] == []
    headings = [part.splitlines()[0] for part in parts if part.strip()]
    assert sum(h.startswith("== Events ") for h in headings) >= 3, headings
    # no line ends by introducing a JSON fix that is not shown
    assert not [line for line in text.splitlines() if line.startswith("        *Fix:*") and line.endswith(":")]
