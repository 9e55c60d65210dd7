"""Every file-list option keeps every file, in the repeated and the list form (issue 8 #3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import main
from tests.conftest import SNAPSHOTS

A, B = (str(p) for p in sorted((SNAPSHOTS / "seed-000-granted").glob("*.json")))  # 111111111111, 222222222222
FOOBAR, FOOBAZ = "arn:aws:iam::111111111111:role/foobar", "arn:aws:iam::222222222222:role/foobaz"
EVENT = str(Path(__file__).resolve().parents[2] / "events" / "sts-assume-role-untrusted-account.json")

COMMANDS = {
    "scan": ["scan", "--format", "json"],
    "can-assume": ["can-assume", "--principal", FOOBAR, "--role", FOOBAZ, "--format", "json"],
    "who-can-assume": ["who-can-assume", "--role", FOOBAZ, "--format", "json"],
    "replay": ["replay", EVENT, "--format", "json"],
}


def output(argv: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    assert main(argv) == 0, capsys.readouterr().err
    data = json.loads(capsys.readouterr().out)
    if isinstance(data, dict):
        data.pop("generated_at", None)
        for finding in data.get("findings", []):
            finding.pop("detected_at", None)
    return data


@pytest.mark.parametrize("command", COMMANDS)
def test_repeated_and_list_forms_keep_both_files(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    repeated = output([*COMMANDS[command], "--snapshot", A, "--snapshot", B], capsys)
    listed = output([*COMMANDS[command], "--snapshot", A, B], capsys)
    assert repeated == listed


def test_the_cross_account_decision_sees_both_accounts(capsys: pytest.CaptureFixture[str]) -> None:
    # The caller's account (A) must be loaded for its identity policy to count: with only B it could not allow.
    decision = output([*COMMANDS["can-assume"], "--snapshot", A, "--snapshot", B], capsys)
    assert isinstance(decision, dict) and decision["decision"] == "allow"
    reach = output([*COMMANDS["who-can-assume"], "--snapshot", A, "--snapshot", B], capsys)
    assert isinstance(reach, dict) and FOOBAR in {p["principal"] for p in reach["principals"]}


def test_scan_reads_every_account(capsys: pytest.CaptureFixture[str]) -> None:
    report = output([*COMMANDS["scan"], "--snapshot", A, "--snapshot", B], capsys)
    assert isinstance(report, dict) and report["summary"]["roles"] == 3  # both accounts: foobar, foobaz and one more


TEMPLATES = Path(__file__).resolve().parents[1] / "data" / "templates"
DEPLOYED = str(TEMPLATES / "deployed-111111111111.json")  # public-role and SafeRole as deployed in 111111111111
CHECK_TEMPLATE = ["check-template", str(TEMPLATES / "app.yaml"), "--account-id", "111111111111", "--format", "json"]


@pytest.mark.parametrize(
    "baseline",
    [["--baseline-snapshot", DEPLOYED, "--baseline-snapshot", B], ["--baseline-snapshot", DEPLOYED, B]],
    ids=["repeated", "list"],
)
def test_check_template_compares_with_every_baseline_file(
    baseline: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the deployed account first, another account's snapshot last
    report = output([*CHECK_TEMPLATE, *baseline], capsys)
    assert isinstance(report, dict)
    new = {f["location"]["resource"]: f for f in report["findings"] if f["rule_id"] == "new-access"}
    # THEN the first file counts (public-role and SafeRole are deployed: only public-role's '*' and the new
    # VendorRole are added; with the last file alone every role would be new) and the last is named too
    assert set(new) == {"PublicRole", "VendorRole"}
    compared = f"compared with the deployed arn:aws:iam::111111111111:role/public-role in {DEPLOYED}, {B}"
    assert compared in new["PublicRole"]["explanation"]


@pytest.mark.parametrize("form", ["repeated", "list"])
def test_check_template_reads_every_baseline_file(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the same account in two baseline files: only reading both can notice it
    copy = tmp_path / "copy.json"
    copy.write_text(Path(DEPLOYED).read_text(encoding="utf-8"), encoding="utf-8")
    files = ["--baseline-snapshot", DEPLOYED, "--baseline-snapshot", str(copy)]
    baseline = files if form == "repeated" else ["--baseline-snapshot", DEPLOYED, str(copy)]
    assert main([*CHECK_TEMPLATE, *baseline]) == 2
    err = capsys.readouterr().err
    assert "account 111111111111 is also loaded from" in err and DEPLOYED in err and str(copy) in err, err
