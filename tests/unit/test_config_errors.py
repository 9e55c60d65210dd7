"""Every configuration error is one line naming the field, exit 2, never a traceback; options are checked too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.cli import main
from chalicelib.config import load_config

ROLE = "arn:aws:iam::111111111111:role/app"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
SUPPRESS = "suppressions:\n  - rule: public-trust\n    reason: SEC-1\n"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        pytest.param("c.yml", SUPPRESS + "    expires: 2027-13-01\n",
                     "c.yml: suppressions.0.expires: Input should be a valid date", id="month-13"),
        pytest.param("c.yml", SUPPRESS + "    expires: 2027-02-30\n",
                     "c.yml: suppressions.0.expires: Input should be a valid date", id="february-30"),
        pytest.param("c.yml", SUPPRESS + "    expires: 2027-01-31 10:00:00\n",
                     "c.yml: suppressions.0.expires: ", id="a-time-is-not-a-date"),
        pytest.param("c.yml", "rules: {}\nrules: {}\n", "c.yml: not YAML: duplicate key 'rules'", id="duplicate-key"),
        pytest.param("c.yml", "- organization_id: o-a1b2c3d4e5\n", "c.yml: the top level: ", id="top-level-list"),
        pytest.param("c.yml", "x: !!python/object:os.system {}\n", "c.yml: not YAML: ", id="python-tag"),
        pytest.param("c.json", "[" * 100_000, "c.json: line 1 column 1001: not JSON: nested too", id="deep-json"),
        pytest.param("c.yml", "rules:\n  service-confused-deputy: {options: {exempt_service: [sns.amazonaws.com]}}\n",
                     "c.yml: rules.service-confused-deputy.options.exempt_service: unknown option (the options of "
                     "service-confused-deputy: exempt_services, not_exempt_services)", id="misspelt-option"),
        pytest.param("c.yml", "rules:\n  service-confused-deputy: {options: {exempt_services: sns.amazonaws.com}}\n",
                     "c.yml: rules.service-confused-deputy.options.exempt_services: expected a list of strings",
                     id="option-not-a-list"),
        pytest.param("c.yml", "rules:\n  denied-assumption-burst: {options: {threshold: five}}\n",
                     "c.yml: rules.denied-assumption-burst.options.threshold: expected a whole number",
                     id="not-a-number"),
        pytest.param("c.yml", "rules:\n  public-trust: {options: {x: 1}}\n",
                     "c.yml: rules.public-trust.options.x: unknown option (the options of public-trust: none)",
                     id="rule-without-options"),
        pytest.param("c.yml", "rules:\n  no-such-rule: {enabled: false}\n", "c.yml: rules.no-such-rule: unknown rule",
                     id="unknown-rule"),
    ],
)  # fmt: skip
def test_a_bad_config_is_one_line_naming_the_field_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, expected: str
) -> None:
    # GIVEN a configuration file with one mistake
    (tmp_path / name).write_text(text)
    (tmp_path / "trust.json").write_text(json.dumps(TRUST))
    argv = ["check-trust", str(tmp_path / "trust.json"), "--role-arn", ROLE, "--config", str(tmp_path / name)]
    # WHEN a command reads it
    code = main(argv)
    # THEN it exits 2 with one line that names the file and the field
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"trustwatch: {tmp_path / expected}"), err


def test_a_twelve_digit_account_id_stays_text_in_yaml(tmp_path: Path) -> None:
    # GIVEN an account id without quotes that YAML 1.1 would read as an octal number
    path = tmp_path / "c.yml"
    path.write_text("trusted_accounts: {012345670123: prod}\nthird_party_accounts: {999999999999: vendor}\n")
    # WHEN loaded THEN both ids are what the user wrote
    config = load_config(path)
    assert config.trusted_accounts == {"012345670123": "prod"}
    assert config.third_party_accounts == {"999999999999": "vendor"}


def test_dates_still_read_as_dates(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text(SUPPRESS + "    expires: 2027-01-31\n")
    assert str(load_config(path).suppressions[0].expires) == "2027-01-31"
