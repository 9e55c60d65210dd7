"""check-template --baseline-live: the deployed roles read from a live account (moto's server over HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3  # type: ignore[import-untyped]
import pytest

from chalicelib.cli import main

TEMPLATES = Path(__file__).parent.parent / "data" / "templates"
ACCOUNT = "123456789012"  # moto's account


def test_the_live_account_is_the_baseline(moto_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the deployed public-role trusting only its own account, in the live account
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    grant = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    trust = {"Version": "2012-10-17", "Statement": [grant]}
    iam.create_role(RoleName="public-role", AssumeRolePolicyDocument=json.dumps(trust))
    # WHEN the template is checked against it
    code = main([
        "check-template", str(TEMPLATES / "app.yaml"), "--account-id", ACCOUNT, "--format", "json",
        "--baseline-live", "--endpoint-url", moto_endpoint, "--region", "us-east-1",
    ])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    new = {f["location"]["resource"]: f for f in report["findings"] if f["rule_id"] == "new-access"}
    # THEN public-role gains '*' compared with what is deployed, and the roles not deployed are new
    assert code == 0
    assert new["PublicRole"]["evidence"]["added"] == ["* (sts:AssumeRole)"]
    assert f"compared with the deployed arn:aws:iam::{ACCOUNT}:role/public-role" in new["PublicRole"]["explanation"]
    assert f"the live account {ACCOUNT}" in new["PublicRole"]["explanation"]
    assert "it is new" in new["VendorRole"]["explanation"]


def test_live_options_without_baseline_live_are_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-template", str(TEMPLATES / "app.yaml"), "--endpoint-url", "http://127.0.0.1:1"]) == 2
    assert "need --baseline-live" in capsys.readouterr().err
