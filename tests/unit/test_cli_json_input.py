"""Hostile JSON at every reader of the command line (issue 9 #8): one line naming the file and place, exit 2.

Readers: snapshots (scan, can-assume, who-can-assume, replay), configuration (--config), cases
(can-assume --request), replay events, check-trust documents. Each gets the same bad inputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest

from chalicelib.cli import main
from chalicelib.safe_json import JsonInputError, loads
from tests.conftest import SNAPSHOTS

SEED_001 = str(SNAPSHOTS / "seed-001" / "123456789012.json")
EVENT = str(Path(__file__).resolve().parents[2] / "events" / "sts-assume-role-untrusted-account.json")
ROLE = "arn:aws:iam::123456789012:role/RoleC"
TRUST = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"}, %s}]}'

# name -> (file text, what the message must name)
BAD = {
    "deep nesting": ("[" * 200_000, "nested too deeply"),
    "5,000-digit integer": ('{"Version": ' + "7" * 5000 + "}", "5000 digits"),
    "NaN": ('{"Statement": [{"Sid": NaN}]}', "Statement[0].Sid: NaN"),
    "Infinity": ('{"a": [1, -Infinity]}', "a[1]: -Infinity"),
    "number out of range": ('{"a": 1e999}', "a: the number 1e999"),
    "duplicate key": (
        TRUST % '"Action": "sts:AssumeRole", "Effect": "Deny", "Effect": "Allow"',
        'duplicate key "Effect"',
    ),
    "syntax": ('{"a": 1,\n  }', "line 2 column 3"),
}


def snapshot_args(path: str) -> list[str]:
    return ["scan", "--snapshot", path]


READERS: dict[str, Callable[[str], list[str]]] = {
    "scan snapshot": snapshot_args,
    "can-assume snapshot": lambda p: ["can-assume", "--snapshot", p, "--principal", ROLE, "--role", ROLE],
    "who-can-assume snapshot": lambda p: ["who-can-assume", "--snapshot", p, "--role", ROLE],
    "replay snapshot": lambda p: ["replay", EVENT, "--snapshot", p],
    "config": lambda p: ["scan", "--snapshot", SEED_001, "--config", p],
    "cases": lambda p: ["can-assume", "--request", p],
    "replay event": lambda p: ["replay", p, "--snapshot", SEED_001, "--fail-on", "critical"],
    "check-trust": lambda p: ["check-trust", p, "--role-arn", ROLE],
}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("case", BAD)
def test_bad_json_is_one_line_naming_file_and_place_exit_2(
    reader: str, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text, named = BAD[case]
    path = tmp_path / "input.json"
    path.write_text(text)
    assert main(READERS[reader](str(path))) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("trustwatch: ") and "Traceback" not in err
    assert str(path) in err and named in err


def test_a_duplicate_key_in_a_url_encoded_policy_inside_a_snapshot_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(Path(SEED_001).read_text())
    document = TRUST % '"Action": "sts:AssumeRole", "Effect": "Deny", "Effect": "Allow"'
    data["RoleDetailList"][0]["AssumeRolePolicyDocument"] = quote(document, safe="")
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(data))
    main(["can-assume", "--snapshot", str(path), "--principal", ROLE, "--role", data["RoleDetailList"][0]["Arn"]])
    captured = capsys.readouterr()
    assert 'duplicate key "Effect"' in captured.out + captured.err
    assert "ALLOW" not in captured.out  # never decided as if the last Effect were the one AWS reads


def test_replay_exits_2_after_processing_the_other_events(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing.json")
    not_event = tmp_path / "list.json"
    not_event.write_text("[]")
    snapshots = [a for p in sorted((SNAPSHOTS / "seed-000-granted").glob("*.json")) for a in ("--snapshot", str(p))]
    code = main(["replay", missing, str(not_event), EVENT, *snapshots, "--format", "json", "--fail-on", "info"])
    out, err = capsys.readouterr()
    assert code == 2
    report = json.loads(out)
    assert [f["rule_id"] for f in report["findings"]] == ["unexpected-assumption"]  # the good event still ran
    assert [e["source"] for e in report["errors"]] == [missing, str(not_event)]
    assert err.count("\n") == 2 and missing in err and str(not_event) in err


def test_safe_json_accepts_what_json_accepts() -> None:
    text = '{"a": [1, -2, 3.5, "x", true, null, {"b": {}}], "c": "\\u00e9"}'
    assert loads(text) == json.loads(text)
    assert loads(b"\xef\xbb\xbf" + text.encode()) == json.loads(text)
    assert loads(text.encode("utf-16")) == json.loads(text)


def test_safe_json_error_carries_reason_and_place() -> None:
    with pytest.raises(JsonInputError) as caught:
        loads('{"Statement": [{"Effect": "Allow"}, {"Effect": "Deny", "Effect": "Allow"}]}')
    assert caught.value.where == "Statement[1]" and caught.value.reason.startswith('duplicate key "Effect"')
