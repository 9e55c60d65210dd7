"""`trustwatch check-template`: the scan's rules over CloudFormation/SAM templates, CDK assemblies and Terraform
plans, each finding at its file, line and resource (tests/data/templates/: realistic hand-written styles)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic_sarif.model import (  # type: ignore[import-untyped]  # the package ships no py.typed
    StaticAnalysisResultsFormatSarifVersion210JsonSchema as SarifLog,
)

from chalicelib.cli import main

DATA = Path(__file__).parent.parent / "data" / "templates"
ACCOUNT = "111111111111"


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main(["check-template", *argv, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def where(document: dict[str, Any]) -> list[tuple[str, str | None, int | None]]:
    """(rule, resource, line) of every finding, sorted."""
    return sorted((f["rule_id"], f["location"]["resource"], f["location"]["line"]) for f in document["findings"])


def test_yaml_with_short_tags_fires_at_the_statement_lines(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a hand-written YAML stack (!Sub, !GetAtt, !If, !ImportValue, !Equals) deployed to 111111111111
    code, report = check(capsys, str(DATA / "app.yaml"), "--account-id", ACCOUNT)
    # THEN each risk is reported at its statement's line, on the resource that holds it
    assert code == 0
    assert where(report) == [
        ("account-root-trust", "SafeRole", 43),  # own account + MFA: info
        ("account-root-trust", "VendorRole", 28),
        ("audit-error", "VendorRole", 22),  # RoleName !Sub ${AWS::StackName}: audited under its logical id
        ("audit-error", "VendorRole", 33),  # !ImportValue principal: reported, not evaluated, not matched
        ("broad-assume-permission", "SafeRole", 54),  # !If IsProd is true in 111111111111: arn:aws:iam::*:role/deploy
        ("missing-external-id", "VendorRole", 28),
        ("public-trust", "PublicRole", 19),
        ("transitive-external-access", "VendorRole", 26),  # no statement: the document's attribute line
        ("untrusted-account", "VendorRole", 28),
    ]
    by_rule = {f["rule_id"]: f for f in report["findings"]}
    assert by_rule["public-trust"]["role_arn"] == f"arn:aws:iam::{ACCOUNT}:role/public-role"
    assert by_rule["untrusted-account"]["principal"] == "arn:aws:iam::999999999999:root"  # the parameter's default
    assert {e["message"].split(":")[0] for e in report["errors"]} == {"RoleName", "AssumeRolePolicyDocument"}
    assert "Fn::ImportValue shared-ci-role-arn" in report["errors"][1]["message"]
    assert report["summary"]["roles"] == 3


def test_without_the_account_the_condition_and_getatt_resolve_in_this_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN the same stack without --account-id: IsProd is false, the policy names !GetAtt PublicRole.Arn
    _, report = check(capsys, str(DATA / "app.yaml"))
    # THEN the policy is quiet (one role of this stack), and every ARN is in the placeholder account
    assert "broad-assume-permission" not in {f["rule_id"] for f in report["findings"]}
    assert all(f["account_id"] == "000000000000" for f in report["findings"] if f["rule_id"] != "audit-error")


def test_json_template_with_tabs_oidc_and_a_sub_json_string(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN a tab-indented JSON template: an OIDC role without a sub condition, one pinned to a branch whose trust
    # is an Fn::Sub of a JSON string, and a managed policy with a NotResource AssumeRole statement
    _, report = check(capsys, str(DATA / "stack.json"), "--account-id", ACCOUNT)
    # THEN the unrestricted OIDC role and the NotResource statement fire; the pinned role stays quiet
    assert where(report) == [
        ("broad-assume-permission", "CrossAccountPolicy", 37),
        ("oidc-unrestricted-subject", "OidcDeployRole", 11),
    ]
    broad = next(f for f in report["findings"] if f["rule_id"] == "broad-assume-permission")
    assert broad["evidence"]["attached_to"] == [f"arn:aws:iam::{ACCOUNT}:role/github-deploy-pinned"]  # via !Ref


def test_sam_function_roles(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN SAM functions: one with an inline AssumeRole-on-* statement among a managed name and a policy
    # template, one trusting EventBridge Scheduler without a source condition
    _, report = check(capsys, str(DATA / "sam.yaml"), "--account-id", ACCOUNT)
    # THEN the statement and the service trust fire on the roles SAM generates, at their lines
    assert where(report) == [("broad-assume-permission", "Worker", 15), ("service-confused-deputy", "Scheduled", 27)]
    broad = next(f for f in report["findings"] if f["rule_id"] == "broad-assume-permission")
    assert broad["principal"] == f"arn:aws:iam::{ACCOUNT}:role/WorkerRole"


def test_cdk_assembly_uses_the_stack_environment(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN cdk.out with one stack in aws://111111111111/eu-west-1 (no --account-id)
    _, report = check(capsys, str(DATA / "cdk.out"))
    # THEN its template is read through the manifest, in the stack's account, lines of the synthesized JSON
    assert where(report) == [
        ("account-root-trust", "CrossAccountRole8C6D4F0A", 8),
        ("broad-assume-permission", "CrossAccountRoleDefaultPolicyB4C3A1D2", 46),  # Fn::Join of arn:aws:iam::*:role/
        ("dangling-principal", "CrossAccountRole8C6D4F0A", 26),
        ("missing-external-id", "CrossAccountRole8C6D4F0A", 8),
        ("untrusted-account", "CrossAccountRole8C6D4F0A", 8),
    ]
    assert {f["location"]["file"] for f in report["findings"]} == {f"{DATA}/cdk.out/PipelineStack.template.json"}
    assert all(f["account_id"] == ACCOUNT for f in report["findings"])


@pytest.mark.parametrize("plan", ["plan.json", "plan-oneline.json"])
def test_terraform_plan_with_a_child_module(capsys: pytest.CaptureFixture[str], plan: str) -> None:
    # GIVEN a plan (pretty-printed, and as `terraform show -json` writes it, on one line): a root role whose
    # policy was rendered from an aws_iam_policy_document, one whose document is known only after apply, a
    # user policy, and a child module with a public role and a policy attached by a reference
    _, report = check(capsys, str(DATA / plan), "--account-id", ACCOUNT)
    lines = {"plan.json": [17, 24, 47, 66, 80], "plan-oneline.json": [1, 1, 1, 1, 1]}[plan]
    # THEN each finding is at the attribute holding its document, named by its Terraform address
    assert where(report) == [
        ("audit-error", "aws_iam_role.pending", lines[1]),  # only known after apply: reported, not guessed
        ("broad-assume-permission", "aws_iam_user_policy.bot", lines[2]),
        ("broad-assume-permission", "module.vendor.aws_iam_policy.assume", lines[4]),
        ("public-trust", "module.vendor.aws_iam_role.this", lines[3]),
        ("trust-bypasses-caller-policy", "aws_iam_role.ci", lines[0]),
    ]
    vendor = next(f for f in report["findings"] if f["location"]["resource"] == "module.vendor.aws_iam_policy.assume")
    assert vendor["evidence"]["attached_to"] == [
        f"arn:aws:iam::{ACCOUNT}:role/vendor-access"
    ]  # policy_arn by reference


def test_a_directory_is_searched_and_sarif_points_at_each_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a repository with templates, a workflow file that is no template, and a cdk.out
    repo = tmp_path / "repo"
    shutil.copytree(DATA, repo / "infra")
    (repo / ".github").mkdir()
    (repo / ".github" / "ci.yml").write_text("on: push\njobs: {}\n")
    monkeypatch.chdir(repo)
    # WHEN check-template runs on the directory with SARIF output
    code = main(["check-template", "infra", "--format", "sarif", "--account-id", ACCOUNT, "--fail-on", "critical"])
    log = json.loads(capsys.readouterr().out)
    SarifLog.model_validate(log)
    # THEN it fails on the public roles, and every result is at a repository-relative file and its line
    assert code == 1
    physical = [
        r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"] if r["ruleId"] == "public-trust"
    ]
    places = {(p["artifactLocation"]["uri"], p["region"]["startLine"]) for p in physical}
    assert places == {("infra/app.yaml", 19), ("infra/plan.json", 66), ("infra/plan-oneline.json", 1)}


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("Resources:\n  A:\n    Type: [unclosed\n", "bad.yaml", "bad.yaml:4: not YAML"),
        ("AWSTemplateFormatVersion: '2010-09-09'\n", "empty.yaml", "empty.yaml: not a CloudFormation template: no Re"),
        ("Resources:\n  A:\n    Properties: {}\n", "notype.yaml", "notype.yaml:2: resource A: no Type"),
        ('{"terraform_version": "1.9.5", "planned_values": {}}', "plan.json", "plan.json:1: not a Terraform plan"),
        ('{\n  "Resources": {\n    "A": {"Type": "x",}\n  }\n}', "trailing.json", "trailing.json:3: not JSON"),
        ("key: value\n", "other.yaml", "other.yaml: not a CloudFormation/SAM template"),
        # JSON read strictly (chalicelib.safe_json): which of two keys IAM would see is unknown
        ('{"Resources": {"R": {"Type": "AWS::IAM::Role", "Type": "AWS::S3::Bucket"}}}', "dup.json",
         'dup.json: Resources.R: duplicate key "Type"'),
        ('{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"MaxSessionDuration": NaN}}}}', "nan.json",
         "nan.json: Resources.R.Properties.MaxSessionDuration: NaN is not a JSON value"),
        ('{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"MaxSessionDuration": 1%s}}}}' % ("0" * 5000),
         "long.json", "long.json: Resources.R.Properties.MaxSessionDuration: an integer of 5001 digits"),
        ('{"Resources": ' + "[" * 100_000, "deep.json", "deep.json:1: not JSON: nested too deeply (column 1014)"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_file_and_place_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, name: str, message: str
) -> None:
    (tmp_path / name).write_text(content)
    # WHEN check-template reads it  THEN exit 2 with one line naming the file and the line
    assert main(["check-template", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path}/{message}" in err, err


@pytest.mark.parametrize("given", ["dir", "manifest"])
def test_a_cdk_manifest_with_a_duplicate_key_is_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, given: str
) -> None:
    # GIVEN cdk.out whose manifest names the stack's environment twice (which one is meant is unknown)
    assembly = tmp_path / "cdk.out"
    shutil.copytree(DATA / "cdk.out", assembly)
    manifest = (assembly / "manifest.json").read_text()
    (assembly / "manifest.json").write_text(
        manifest.replace('"displayName"', '"environment": "aws://222222222222/us-east-1",\n      "displayName"')
    )
    # WHEN check-template reads it, as a directory or through its manifest  THEN exit 2, one line naming the file
    target = assembly if given == "dir" else assembly / "manifest.json"
    assert main(["check-template", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f'{assembly}/manifest.json: artifacts.PipelineStack: duplicate key "environment"' in err, err


def test_bad_account_id_and_empty_directory_are_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["check-template", str(DATA / "app.yaml"), "--account-id", "1234"]) == 2
    assert "--account-id" in capsys.readouterr().err
    assert main(["check-template", str(tmp_path)]) == 2
    assert "no CloudFormation/SAM template" in capsys.readouterr().err


def test_baseline_snapshot_reports_what_the_template_adds(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the deployed account: public-role trusts only its account; SafeRole is as in the template
    deployed = str(DATA / "deployed-111111111111.json")
    code, report = check(capsys, str(DATA / "app.yaml"), "--baseline-snapshot", deployed, "--fail-on", "high")
    new = {f["location"]["resource"]: f for f in report["findings"] if f["rule_id"] == "new-access"}
    # THEN (the account taken from the snapshot) public-role gains '*' at the public-trust severity, VendorRole is
    # new with its vendor grant, SafeRole adds nothing
    assert set(new) == {"PublicRole", "VendorRole"}
    assert new["PublicRole"]["severity"] == "critical" and new["PublicRole"]["location"]["line"] == 19
    assert new["PublicRole"]["evidence"]["added"] == ["* (sts:AssumeRole)"]
    assert new["PublicRole"]["evidence"]["removed"] == ["arn:aws:iam::111111111111:root (sts:AssumeRole)"]
    assert "compared with the deployed arn:aws:iam::111111111111:role/public-role" in new["PublicRole"]["explanation"]
    assert "it is new" in new["VendorRole"]["explanation"]
    assert code == 1


def test_suppressions_and_rule_config_apply(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # GIVEN a configuration naming the vendor as a third party and disabling transitive-external-access
    config = tmp_path / "trustwatch.yaml"
    config.write_text(
        'third_party_accounts:\n  "999999999999": vendor\nrules:\n  transitive-external-access:\n    enabled: false\n'
    )
    _, report = check(capsys, str(DATA / "app.yaml"), "--account-id", ACCOUNT, "--config", str(config))
    rules = {f["rule_id"] for f in report["findings"]}
    # THEN the vendor is no longer untrusted but still lacks its ExternalId; the disabled rule is silent
    assert "untrusted-account" not in rules and "transitive-external-access" not in rules
    assert "missing-external-id" in rules


def test_safe_patterns_stay_quiet_and_the_rest_is_located(capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN the configuration's organization, trusted accounts and vendor, and a stack of safe roles
    # (org-restricted '*', the vendor with an ExternalId, a trusted account's role, a service principal with
    # aws:SourceAccount and a policy scoped by aws:ResourceOrgID) beside two that are not
    config = str(DATA / "trustwatch.yaml")
    _, report = check(capsys, str(DATA / "safe.yaml"), "--account-id", ACCOUNT, "--config", config)
    # THEN only these fire: a same-account role named in a trust given as an Fn::Sub JSON string (at the
    # attribute's line), and an unattached policy allowing sts:* on '*' (held by a stand-in group, not dropped)
    assert where(report) == [
        ("broad-assume-permission", "LoosePolicy", 77),
        ("trust-bypasses-caller-policy", "SubJsonRole", 69),
    ]
    loose = next(f for f in report["findings"] if f["rule_id"] == "broad-assume-permission")
    assert loose["evidence"]["attached_to"] == [f"arn:aws:iam::{ACCOUNT}:group/unattached-policies"]
    assert report["errors"] == [] and report["summary"]["roles"] == 5
