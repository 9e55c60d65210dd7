"""Every `trustwatch …` command shown in the README runs and succeeds."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.config import load_yaml, parse_config
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
    assert main(shlex.split(command)[1:]) == 0
    assert capsys.readouterr().out.strip()


def test_the_rule_table_is_the_registry() -> None:
    rows = re.findall(r"^\| `([a-z-]+)` \| (\w+) \| (.+) \|$", README, re.M)
    assert rows == [(m.id, m.severity.value, m.summary) for m in CATALOG]


def test_the_configuration_example_is_valid() -> None:
    block = re.search(r"```yaml\n(.*?)```", README, re.S)
    assert block is not None
    config = check_rule_settings(parse_config(load_yaml(block.group(1), "README")), source="README")
    assert config.trusted_accounts and config.suppressions[0].reason == "SEC-123"
