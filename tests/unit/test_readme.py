"""Every `trustwatch …` command shown in the README runs and succeeds."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.cli import build_parser, main
from chalicelib.config import load_yaml, parse_config
from chalicelib.rules.findings import Severity
from chalicelib.rules.registry import CATALOG
from chalicelib.rules.settings import check_rule_settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
COMMANDS = [
    line
    for block in re.findall(r"```sh\n(.*?)```", README, re.S)
    for line in block.splitlines()
    if line.startswith("trustwatch ")
]


def test_the_readme_shows_the_two_quick_start_commands() -> None:
    assert "make demo" in README and "make test" in README
    assert len(COMMANDS) >= 3


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT)
    try:
        code: object = main(shlex.split(command)[1:])
    except SystemExit as done:  # --version exits from argparse
        code = done.code
    assert code == 0
    assert capsys.readouterr().out.strip()


def test_the_rule_table_is_the_registry() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \| (\w+) \| (.+) \|$", README, re.M)
    assert rows == [(m.id, m.severity.value, m.summary) for m in CATALOG]


def test_the_configuration_example_is_valid() -> None:
    block = re.search(r"```yaml\n(.*?)```", README, re.S)
    assert block is not None
    config = check_rule_settings(parse_config(load_yaml(block.group(1), "README")), source="README")
    assert config.trusted_accounts and config.suppressions[0].reason == "SEC-123"


def _option_row(name: str, parser: argparse.ArgumentParser) -> str:
    options = {flag: action for action in parser._actions for flag in action.option_strings}
    fmt = ", ".join(options["--format"].choices or ()) if "--format" in options else "-"
    fail = options.get("--fail-on")
    severities = {s.value for s in Severity}
    fail_on = (
        "-"
        if fail is None
        else ("SEVERITY" if set(fail.choices or ()) == severities else ", ".join(fail.choices or ()))
    )
    cells = [f"`{name}`", fmt, *("yes" if f in options else "-" for f in ("--config",)), fail_on,
             *("yes" if f in options else "-" for f in ("--output", "--summary"))]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def test_the_options_table_is_what_each_command_takes() -> None:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    expected = [_option_row(name, parser) for name, parser in commands.choices.items()]
    table = re.search(r"^\| command \| `--format` \|.*\n\|[-|]+\|\n((?:\|.*\|\n)+)", README, re.M)
    assert table is not None
    assert table.group(1).splitlines() == expected


def test_the_readme_commands_run_as_the_readme_says_to_reach_them() -> None:
    # After `make install`, the README says to activate .venv (or call .venv/bin/trustwatch): do exactly that.
    assert "source .venv/bin/activate" in README and ".venv/bin/trustwatch" in README
    activate = Path(sys.executable).parent / "activate"
    script = "set -e\n" + f"source {shlex.quote(str(activate))}\n" + "\n".join(f"{c} > /dev/null" for c in COMMANDS)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = "/usr/bin:/bin"  # no trustwatch but the activated one
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
