"""`trustwatch who-can-assume`: the JSON contract of CONTRACTS.md §4, the text form, and bad input (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import main
from tests.conftest import DATA, SNAPSHOTS

CHAIN = sorted(str(p) for p in (DATA / "snapshots" / "chain").glob("*.json"))
ALICE = "arn:aws:iam::111111111111:user/alice"
FOOBAR = "arn:aws:iam::111111111111:role/foobar"
FOOBAZ = "arn:aws:iam::222222222222:role/foobaz"
DEEP = "arn:aws:iam::333333333333:role/deep"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_output_is_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the two-hop cross-account chain alice -> foobar -> foobaz -> deep
    code, out, _ = run(["who-can-assume", "--snapshot", *CHAIN, "--role", DEEP, "--format", "json"], capsys)
    payload = json.loads(out)
    # THEN the document has exactly the contract's fields, one entry per principal, shortest path first
    assert code == 0
    assert set(payload) == {"role", "principals"} and payload["role"] == DEEP
    assert all(set(entry) == {"principal", "path", "conditions"} for entry in payload["principals"])
    assert [entry["principal"] for entry in payload["principals"]] == [FOOBAZ, FOOBAR, ALICE]
    assert payload["principals"][2] == {
        "principal": ALICE,
        "path": [ALICE, FOOBAR, FOOBAZ, DEEP],
        "conditions": [f"{DEEP} requires sts:ExternalId = ext-4242"],
    }


def test_text_output_is_one_line_per_principal(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["who-can-assume", "--snapshot", *CHAIN, "--role", DEEP], capsys)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[2] == f"{ALICE} -> {FOOBAR} -> {FOOBAZ} -> {DEEP}  [{DEEP} requires sts:ExternalId = ext-4242]"


def test_text_output_without_conditions_is_just_the_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["who-can-assume", "--snapshot", *CHAIN, "--role", FOOBAZ], capsys)
    assert code == 0 and out.splitlines() == [f"{FOOBAR} -> {FOOBAZ}", f"{ALICE} -> {FOOBAR} -> {FOOBAZ}"]


def test_a_role_nobody_can_assume_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    seed = str(SNAPSHOTS / "seed-001" / "123456789012.json")
    role = "arn:aws:iam::123456789012:role/RoleB"
    code, out, _ = run(["who-can-assume", "--snapshot", seed, "--role", role], capsys)
    assert code == 0 and out == f"no principal in the loaded snapshots can assume {role}\n"


def test_max_depth_and_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.json"
    argv = ["who-can-assume", "--snapshot", *CHAIN, "--role", DEEP, "--max-depth", "1", "--format", "json"]
    code, out, _ = run([*argv, "--output", str(target)], capsys)
    assert code == 0 and out == ""
    assert [e["principal"] for e in json.loads(target.read_text())["principals"]] == [FOOBAZ]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


BROKEN = "arn:aws:iam::555555555555:role/broken"


def unreadable_trust(tmp_path: Path) -> str:
    role = {"RoleName": "broken", "RoleId": "AROABROKEN0000000001", "Arn": BROKEN, "Path": "/"}
    return write(tmp_path, "broken.json", json.dumps({"RoleDetailList": [{**role, "AssumeRolePolicyDocument": "{x"}]}))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["CHAIN", "--role", "arn:aws:iam::333333333333:role/nope"], "no such role", id="unknown-role"),
        pytest.param(["CHAIN", "--role", DEEP, "--max-depth", "0"], "--max-depth must be at least 1", id="depth-0"),
        pytest.param(["BROKEN", "--role", BROKEN], f"trust policy of {BROKEN} could not be read", id="bad-trust"),
        pytest.param(["MISSING", "--role", DEEP], "missing.json: cannot read", id="missing-file"),
        pytest.param(["NOT_JSON", "--role", DEEP], "bad.json: line 1 column 2: not JSON", id="not-json"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "CHAIN": CHAIN,
        "BROKEN": [unreadable_trust(tmp_path)],
        "MISSING": [str(tmp_path / "missing.json")],
        "NOT_JSON": [write(tmp_path, "bad.json", "{")],
    }
    code, out, err = run(["who-can-assume", "--snapshot", *files[argv[0]], *argv[1:]], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("trustwatch: ") and expected in err
