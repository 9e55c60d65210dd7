"""`make package` for both stages: the merged SAM template lints clean, is least-privilege and is wired, and
the deployment zip carries bytecode for the Lambda runtime and imports on its own. ``packaged`` (conftest.py,
tests/integration/packaged.py) packages each stage once per session.
"""

from __future__ import annotations

import copy
import fnmatch
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chalicelib.state.dynamo import TABLE_SCHEMA
from deploy.dead_letters import QUEUE_ARN
from deploy.package import NOT_IMPORTED, add_bytecode, lambda_runtime, local_runtime, problems
from tests.integration.packaged import ACCOUNT, Packaged

PROJECT = Path(__file__).resolve().parents[2]
CHALICE_DIR = PROJECT / ".chalice"
DEPLOY = PROJECT / "deploy"
MEMBER_TEMPLATES = (DEPLOY / "audit-role.yaml", DEPLOY / "forward-events.yaml")
CFN_LINT = Path(sys.executable).parent / "cfn-lint"
LINT_FAILURE = 0b0111  # cfn-lint's exit code: 1 crashed, 2 errors, 4 warnings (8, informational, is fine)

READ_ONLY_STATE = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
FUNCTIONS = {  # Chalice's logical id -> the function name in app.py
    "OnIamChange": "on_iam_change",
    "OnRoleAssumption": "on_role_assumption",
    "OnAuditorChange": "on_auditor_change",
    "Rescan": "rescan",
    "ScheduledRescan": "scheduled_rescan",
    "FlushOutbox": "flush_outbox",
    "CanAssume": "can_assume",
}
AUDITING = ("OnIamChange", "OnRoleAssumption", "OnAuditorChange", "Rescan", "ScheduledRescan")
NOTIFYING = (*AUDITING, "FlushOutbox")  # the topic, the Slack secret, the configuration and the outbox
SCHEDULED = {"ScheduledRescan": "rate(1 day)", "FlushOutbox": "rate(10 minutes)"}
INVOKED_ASYNCHRONOUSLY = ("OnIamChange", "OnRoleAssumption", "OnAuditorChange", "ScheduledRescan", "FlushOutbox")
FOURTEEN_DAYS = 14 * 24 * 3600
READING_ACCOUNTS = ("OnIamChange", "OnRoleAssumption", "Rescan", "ScheduledRescan")
SEVERITIES = {"critical", "high", "medium", "low", "info"}
TAG = sys.implementation.cache_tag  # cpython-311
# What the Lambda Python runtime provides in /var/runtime; anything else the app imports must be in the zip.
LAMBDA_RUNTIME_PROVIDES = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}


def cfn_lint(*paths: Path) -> tuple[int, str]:
    done = subprocess.run([str(CFN_LINT), *map(str, paths)], capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (``!Sub x`` -> ``{"Fn::Sub": "x"}``)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_yaml(path: Path) -> dict[str, Any]:
    template: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # a SafeLoader
    return template


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document["Statement"]
    return [found] if isinstance(found, dict) else list(found)


def actions(statement: dict[str, Any]) -> list[str]:
    found = statement.get("Action", [])
    return [found] if isinstance(found, str) else list(found)


def role_policies(packaged: Packaged) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in packaged.resources.items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                yield name, policy["PolicyDocument"]


def policy_file(function: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CHALICE_DIR / f"policy-{FUNCTIONS[function]}.json").read_text())
    return document


def allows(document: dict[str, Any], action: str, resource: str) -> bool:
    """Whether an Allow statement names exactly this action on a resource pattern matching ``resource``."""
    for statement in statements(document):
        patterns = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        named = statement["Effect"] == "Allow" and action in actions(statement)
        if named and any(fnmatch.fnmatchcase(resource, pattern) for pattern in patterns):
            return True
    return False


# --- cfn-lint ---------------------------------------------------------------------------------------------


def test_merged_template_passes_cfn_lint(packaged: Packaged) -> None:
    # GIVEN the stage's template, Chalice's output merged with deploy/merge-template.json
    # WHEN cfn-lint validates it
    code, output = cfn_lint(packaged.sam)
    # THEN it reports neither errors nor warnings
    assert code & LINT_FAILURE == 0, output
    print(f"\n{packaged.stage}: chalice package + merge + bytecode in {packaged.seconds:.1f} s")


@pytest.mark.parametrize("template", MEMBER_TEMPLATES, ids=lambda p: p.name)
def test_member_account_templates_pass_cfn_lint(template: Path) -> None:
    code, output = cfn_lint(template)
    assert code & LINT_FAILURE == 0, output


def test_cfn_lint_does_catch_a_broken_template(packaged: Packaged, tmp_path: Path) -> None:
    # GIVEN the packaged template with a misspelt Effect in a Lambda role policy
    broken = copy.deepcopy(packaged.template)
    broken["Resources"]["OnIamChangeRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Effect"] = (
        "Alow"
    )
    (tmp_path / "sam.json").write_text(json.dumps(broken))
    # WHEN cfn-lint validates it THEN it reports an error (so a clean run above means something)
    code, output = cfn_lint(tmp_path / "sam.json")
    assert code & 2, output


# --- what Chalice cannot express, merged in ---------------------------------------------------------------


def test_assume_role_rule_receives_read_only_management_events(packaged: Packaged) -> None:
    # AssumeRole is a read-only management event: a rule in plain ENABLED state never sees it.
    assert packaged.rule("OnRoleAssumption")["State"] == READ_ONLY_STATE


@pytest.mark.parametrize("function", ["OnIamChange", "OnAuditorChange", *SCHEDULED])
def test_other_rules_stay_plain_enabled(packaged: Packaged, function: str) -> None:
    # Write events and the schedule need no read-only events; that state would only add cost.
    assert packaged.rule(function).get("State", "ENABLED") == "ENABLED"


def test_deploy_package_post_checks_pass(packaged: Packaged) -> None:
    assert problems(packaged.template) == []


def test_table_follows_the_store_schema_and_topic_is_encrypted(packaged: Packaged) -> None:
    table = packaged.resources["StateTable"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert {k: table["Properties"][k] for k in TABLE_SCHEMA} == TABLE_SCHEMA
    assert table["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["TableName"] == {"Fn::Sub": "${AWS::StackName}-state"}  # what the policies name
    topic = packaged.resources["FindingsTopic"]
    assert topic["Type"] == "AWS::SNS::Topic"
    assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "FindingsKey"}  # the alarm must be able to publish
    assert topic["Properties"]["TopicName"] == {"Fn::Sub": "${AWS::StackName}-findings"}
    assert packaged.template["Outputs"]["StateTableName"]["Value"] == {"Ref": "StateTable"}
    assert packaged.template["Outputs"]["FindingsTopicArn"]["Value"] == {"Ref": "FindingsTopic"}


# --- failed invocations and undeliverable events: the dead-letter queue (issue 9 #4) ------------------------


def sub(value: Any, stage: str) -> str:
    """An ``Fn::Sub`` string with the pseudo parameters of stack trustwatch-<stage> in us-east-1 filled in."""
    text: str = value["Fn::Sub"]
    for name, filled in {"Partition": "aws", "Region": "us-east-1", "AccountId": ACCOUNT}.items():
        text = text.replace(f"${{AWS::{name}}}", filled)
    return text.replace("${AWS::StackName}", f"trustwatch-{stage}")


def test_every_asynchronous_invocation_and_rule_target_fails_into_the_dead_letter_queue(packaged: Packaged) -> None:
    # GIVEN the functions EventBridge invokes (asynchronously: Lambda retries twice, then drops the event)
    for function in INVOKED_ASYNCHRONOUSLY:
        resource = packaged.resources[function]
        # THEN each sends the events it failed on to the queue, and is created after its role may send there
        assert resource["Properties"]["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": QUEUE_ARN}, function
        assert resource["DependsOn"] == "DeadLetterSendPolicy", function
        # AND its rule's target sends what it could not deliver there too, after retrying for a day
        rule = packaged.rule(function)
        assert rule["DeadLetterConfig"] == {"Arn": QUEUE_ARN}, function
        assert rule["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    # AND the functions called directly return their error to the caller: no queue
    for function in set(FUNCTIONS) - set(INVOKED_ASYNCHRONOUSLY):
        assert "DeadLetterQueue" not in packaged.resources[function]["Properties"], function


def test_the_dead_letter_queue_keeps_messages_14_days_encrypted_and_only_the_rules_may_send(packaged: Packaged) -> None:
    queue = packaged.resources["DeadLetterQueue"]
    assert queue["Type"] == "AWS::SQS::Queue"
    assert queue["Properties"]["MessageRetentionPeriod"] == FOURTEEN_DAYS
    assert queue["Properties"]["SqsManagedSseEnabled"] is True  # SSE-SQS: EventBridge can write it, no key policy
    assert sub(queue["Properties"]["QueueName"], packaged.stage) == f"trustwatch-{packaged.stage}-dead-letters"
    assert packaged.template["Outputs"]["DeadLetterQueueUrl"]["Value"] == {"Ref": "DeadLetterQueue"}
    # GIVEN the queue policy THEN EventBridge may send only for the stack's five rules, and only over TLS
    policy = packaged.resources["DeadLetterQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "DeadLetterQueue"}]
    allow, deny = statements(policy["PolicyDocument"])
    assert (allow["Effect"], allow["Principal"], allow["Action"]) == (
        "Allow",
        {"Service": "events.amazonaws.com"},
        "sqs:SendMessage",
    )
    assert allow["Resource"] == QUEUE_ARN
    rules = {
        sub(packaged.rule(f).get("RuleName") or packaged.rule(f)["Name"], packaged.stage)
        for f in INVOKED_ASYNCHRONOUSLY
    }
    sources = {sub(arn, packaged.stage) for arn in allow["Condition"]["ArnEquals"]["aws:SourceArn"]}
    assert sources == {f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{rule}" for rule in rules}
    assert len(sources) == len(INVOKED_ASYNCHRONOUSLY)
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_each_function_may_send_only_to_its_stacks_dead_letter_queue(packaged: Packaged) -> None:
    # GIVEN the one policy that grants SQS, attached to the roles of the asynchronously invoked functions
    sending = [
        (n, r)
        for n, r in packaged.resources.items()
        if "sqs:" in json.dumps(r) and r["Type"] != "AWS::SQS::QueuePolicy"
    ]
    policy = packaged.resources["DeadLetterSendPolicy"]
    assert [name for name, _ in sending if name != "DeadLetterQueue"] == ["DeadLetterSendPolicy"]
    assert policy["Type"] == "AWS::IAM::Policy"
    assert sorted(r["Ref"] for r in policy["Properties"]["Roles"]) == sorted(f"{f}Role" for f in INVOKED_ASYNCHRONOUSLY)
    # THEN it allows exactly sqs:SendMessage on this stack's queue (its ARN, not a pattern: stages stay apart)
    [statement] = statements(policy["Properties"]["PolicyDocument"])
    assert (statement["Effect"], statement["Action"], statement["Resource"]) == ("Allow", "sqs:SendMessage", QUEUE_ARN)
    # AND no function's own policy file grants any SQS action
    for function in FUNCTIONS:
        assert [a for s in statements(policy_file(function)) for a in actions(s) if a.startswith("sqs:")] == []


def test_one_alarm_on_the_dead_letter_queue_notifies_the_findings_topic(packaged: Packaged) -> None:
    [alarm] = [r["Properties"] for r in packaged.resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Statistic"]) == (
        "GreaterThanThreshold",
        0,
        "Maximum",
    )
    assert alarm["TreatMissingData"] == "notBreaching"  # an empty queue reports no data points: that is OK
    assert alarm["AlarmActions"] == alarm["OKActions"] == [{"Ref": "FindingsTopic"}]
    assert "trustwatch replay --from-queue" in alarm["AlarmDescription"]
    # AND CloudWatch can publish to the encrypted topic: its key (not alias/aws/sns, whose policy admits no
    # CloudWatch) lets cloudwatch.amazonaws.com use it for this alarm only, and the publishers through SNS only
    key = packaged.resources["FindingsKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    by_sid = {s["Sid"]: s for s in statements(key["KeyPolicy"])}
    cloudwatch = by_sid["DeadLettersAlarmPublishes"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert set(cloudwatch["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    alarm_arn = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{sub(alarm['AlarmName'], packaged.stage)}"
    assert sub(cloudwatch["Condition"]["ArnLike"]["aws:SourceArn"], packaged.stage) == alarm_arn
    publishers = by_sid["PublishersThroughSns"]["Condition"]["StringEquals"]
    assert publishers["kms:ViaService"] == {"Fn::Sub": "sns.${AWS::Region}.amazonaws.com"}
    assert publishers["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}


# --- wiring -----------------------------------------------------------------------------------------------


def test_every_function_has_the_environment_it_needs(packaged: Packaged) -> None:
    for function in FUNCTIONS:
        env = packaged.env(function)
        assert env["POWERTOOLS_SERVICE_NAME"] == "trustwatch"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Trustwatch"
        assert env["POWERTOOLS_LOG_LEVEL"]
    for function in NOTIFYING:
        env = packaged.env(function)
        assert env["TRUSTWATCH_TABLE"] == {"Ref": "StateTable"}, function
        assert env["TRUSTWATCH_TOPIC_ARN"] == {"Ref": "FindingsTopic"}, function
        assert env["TRUSTWATCH_AUDIT_ROLE_NAME"] == "TrustwatchAudit"
        assert env["TRUSTWATCH_SLACK_SECRET"] == f"trustwatch/{packaged.stage}/slack-webhook"
        assert env["TRUSTWATCH_MIN_SEVERITY"] in SEVERITIES
        assert env["TRUSTWATCH_CONFIG_PARAMETER"] == f"/trustwatch/{packaged.stage}/config"
    assert packaged.env("OnAuditorChange")["TRUSTWATCH_STACK_NAME"] == {"Ref": "AWS::StackName"}
    assert "TRUSTWATCH_TABLE" not in packaged.env("CanAssume")


def test_functions_and_rules_are_named_after_the_stack(packaged: Packaged) -> None:
    # The auditor's own pattern recognises its resources by the `trustwatch-` prefix (chalicelib/events/auditor.py).
    for function, name in FUNCTIONS.items():
        assert packaged.resources[function]["Properties"]["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}
    for function in ("OnIamChange", "OnRoleAssumption", "OnAuditorChange"):
        rule_name = packaged.rule(function)["RuleName"]
        assert rule_name == {"Fn::Sub": f"${{AWS::StackName}}-{FUNCTIONS[function]}-event"}
    for function, rate in SCHEDULED.items():  # a schedule's rule takes `Name`, not `RuleName`
        assert packaged.rule(function)["Schedule"] == rate
        assert packaged.rule(function)["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{FUNCTIONS[function]}-event"}


def test_prod_is_hardened(packaged: Packaged) -> None:
    functions = [packaged.resources[f]["Properties"] for f in FUNCTIONS]
    log_groups = [r for r in packaged.resources.values() if r["Type"] == "AWS::Logs::LogGroup"]
    if packaged.stage == "prod":
        assert len(log_groups) == len(FUNCTIONS)
        assert all(group["Properties"]["RetentionInDays"] >= 30 for group in log_groups)
        assert packaged.resources["ScheduledRescan"]["Properties"]["ReservedConcurrentExecutions"] == 1
        assert packaged.resources["FlushOutbox"]["Properties"]["ReservedConcurrentExecutions"] == 1
        assert packaged.resources["OnIamChange"]["Properties"]["Tracing"] == "Active"
    else:
        assert log_groups == []
        assert all("ReservedConcurrentExecutions" not in f for f in functions)


def test_the_slack_webhook_url_is_nowhere_in_the_template(packaged: Packaged) -> None:
    text = packaged.sam.read_text() + (CHALICE_DIR / "config.json").read_text()
    assert "hooks.slack" not in text.lower()
    assert "https://" not in json.dumps({f: packaged.env(f) for f in FUNCTIONS})
    assert packaged.env("OnIamChange")["TRUSTWATCH_SLACK_SECRET"].startswith("trustwatch/")


def test_member_accounts_forward_what_the_central_rules_match(packaged: Packaged) -> None:
    # GIVEN the central rules (as Chalice rendered app.py's patterns) and the member accounts' forwarding rules
    forward = load_yaml(DEPLOY / "forward-events.yaml")["Resources"]
    iam, sts = forward["IamChangesRule"]["Properties"], forward["RoleAssumptionsRule"]["Properties"]
    central_iam = packaged.rule("OnIamChange")["Pattern"]
    central_sts = packaged.rule("OnRoleAssumption")["Pattern"]
    # THEN every event a central rule acts on is forwarded, read-only STS events included
    assert iam["EventPattern"]["source"] == central_iam["source"] == ["aws.iam"]
    assert "eventName" not in iam["EventPattern"]["detail"]  # every IAM write; the central rule picks
    assert iam["State"] == "ENABLED"
    assert sts["EventPattern"]["source"] == central_sts["source"]
    assert set(sts["EventPattern"]["detail"]["eventName"]) >= set(central_sts["detail"]["eventName"])
    assert sts["EventPattern"]["detail"]["userIdentity"] == central_sts["detail"]["userIdentity"]
    assert sts["State"] == READ_ONLY_STATE
    for rule in (iam, sts):
        assert [t["Arn"] for t in rule["Targets"]] == [{"Ref": "CentralEventBusArn"}]
        assert rule["Targets"][0]["RoleArn"] == {"Fn::GetAtt": "ForwardingRole.Arn"}


# --- the deployment zip: bytecode, and the package imports on its own --------------------------------------

# Run in a fresh interpreter without site (`-S`): the unzipped package first on sys.path, then a stand-in for
# /var/runtime. Reports where app and its dependencies came from, and the top-level packages imported from
# neither the package nor the standard library.
IMPORT_APP = """
import json, sys, sysconfig
task, runtime = sys.argv[1], sys.argv[2]
sys.path[:0] = [task, runtime]
import app
stdlib = (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
outside = sorted({
    name.partition(".")[0] for name, module in list(sys.modules.items())
    if isinstance(getattr(module, "__file__", None), str) and not module.__file__.startswith((task, *stdlib))
})
files = {name: module.__file__ for name, module in sys.modules.items() if name in ("app", "chalicelib", "pydantic")}
print(json.dumps({"app_name": app.app.app_name, "files": files, "outside": outside}))
"""


def unzip(packaged: Packaged, into: Path) -> list[str]:
    with zipfile.ZipFile(packaged.zip) as archive:
        archive.extractall(into)
        return archive.namelist()


def lambda_runtime_dir(into: Path) -> Path:
    """What /var/runtime offers the app, linked from this venv's site-packages (not all of it: the venv also
    holds the X-Ray SDK, which the app would pick up and Lambda does not have)."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    into.mkdir()
    for name in LAMBDA_RUNTIME_PROVIDES:
        for found in (site_packages / name, site_packages / f"{name}.py"):
            if found.exists():
                (into / found.name).symlink_to(found)
    assert (into / "boto3").exists() and (into / "botocore").exists()
    return into


def import_app(task: Path, runtime: Path) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only
        "LAMBDA_TASK_ROOT": str(task),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = [sys.executable, "-S", "-c", IMPORT_APP, str(task), str(runtime)]
    done = subprocess.run(command, env=env, cwd=task, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_zip_ships_unchecked_hash_bytecode_for_the_lambda_runtime(packaged: Packaged) -> None:
    # GIVEN the zip deploy.package wrote and the template's runtime
    with zipfile.ZipFile(packaged.zip) as archive:
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names if name.endswith((".py", ".pyc"))}
    pycs = {name for name in names if name.endswith(".pyc")}
    runtime = lambda_runtime(packaged.template)
    assert runtime is not None and runtime.startswith("python3.")
    if runtime != local_runtime():  # then no bytecode at all: never bytecode for another version
        assert pycs == set()
        assert packaged.bytecode.skipped
        pytest.skip(f"this interpreter is {local_runtime()}, the Lambda runtime {runtime}")
    # THEN app.py and the chalicelib modules have their .pyc beside them, as the import system names them
    assert f"__pycache__/app.{TAG}.pyc" in pycs
    assert f"chalicelib/iam/__pycache__/evaluate.{TAG}.pyc" in pycs
    assert f"chalicelib/__pycache__/__init__.{TAG}.pyc" in pycs
    # AND so does every importable module, the dependencies' included, and nothing else
    sources = {name for name in names if name.endswith(".py") and not NOT_IMPORTED.search(name)}
    assert packaged.bytecode.failed == ()
    assert {importlib.util.cache_from_source(name) for name in sources} == pycs
    assert packaged.bytecode.compiled == len(pycs) > 500
    # AND each is hash-based and unchecked (bit 0 set, bit 1 clear), for this magic number and its own source
    for source in sources:
        header = contents[importlib.util.cache_from_source(source)][:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER, source
        assert int.from_bytes(header[4:8], "little") == 0b01, source
        assert header[8:16] == importlib.util.source_hash(contents[source]), source
    # AND the rewritten zip is sorted, with the sizes reported
    assert names == sorted(names)
    assert packaged.bytecode.size_after == packaged.zip.stat().st_size > packaged.bytecode.size_before


def test_bytecode_is_reproducible_and_never_for_another_runtime(packaged: Packaged, tmp_path: Path) -> None:
    if packaged.bytecode.skipped:
        pytest.skip(packaged.bytecode.skipped)
    copied = shutil.copy(packaged.zip, tmp_path / "deployment.zip")
    # WHEN the shipped zip goes through add_bytecode again THEN it comes out byte for byte the same
    again = add_bytecode(Path(copied), packaged.bytecode.runtime)
    assert again.compiled == packaged.bytecode.compiled
    assert Path(copied).read_bytes() == packaged.zip.read_bytes()
    # WHEN the template names another runtime THEN the zip is left alone, with the reason
    other = add_bytecode(Path(copied), "python3.9")
    assert other.compiled == 0 and other.skipped and "python3.9" in other.skipped
    assert Path(copied).read_bytes() == packaged.zip.read_bytes()


def test_app_imports_from_the_unzipped_package(packaged: Packaged, tmp_path: Path) -> None:
    # GIVEN the zip unzipped as in /var/task, read-only style, with boto3 & co. from the venv as /var/runtime
    task = tmp_path / "task"
    names = unzip(packaged, task)
    # WHEN a fresh interpreter imports app
    result = import_app(task, lambda_runtime_dir(tmp_path / "runtime"))
    # THEN the app, its library and its dependencies come from the package
    assert result["app_name"] == "trustwatch"
    assert set(result["files"]) == {"app", "chalicelib", "pydantic"}
    for name, file in result["files"].items():
        assert file.startswith(str(task)), (name, file)
    # AND nothing else is needed than what the Lambda runtime provides
    assert set(result["outside"]) <= LAMBDA_RUNTIME_PROVIDES, result["outside"]
    # AND no bytecode was written beside the package (what a read-only /var/task gets)
    assert sorted(str(p.relative_to(task)) for p in task.rglob("*") if p.is_file()) == sorted(names)


def test_the_shipped_bytecode_is_what_runs(packaged: Packaged, tmp_path: Path) -> None:
    if packaged.bytecode.skipped:
        pytest.skip(packaged.bytecode.skipped)
    # GIVEN the unzipped package whose sources for app and an imported module fail when executed (with new mtimes)
    task = tmp_path / "task"
    unzip(packaged, task)
    for source in ("app.py", "chalicelib/iam/evaluate.py"):
        (task / source).write_text("raise RuntimeError('the source ran, not the shipped bytecode')\n")
    # WHEN a fresh interpreter imports app THEN it runs the unchecked-hash bytecode: the import succeeds
    assert import_app(task, lambda_runtime_dir(tmp_path / "runtime"))["app_name"] == "trustwatch"


# --- deploy.package's own post-checks ----------------------------------------------------------------------


def _set_rule_state(t: dict[str, Any]) -> None:
    t["Resources"]["OnRoleAssumption"]["Properties"]["Events"]["OnRoleAssumptionEvent"]["Properties"]["State"] = (
        "ENABLED"
    )


def _add_action(action: str) -> Any:
    def mutate(t: dict[str, Any]) -> None:
        policy = t["Resources"]["RescanRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        policy["Statement"].append({"Effect": "Allow", "Action": action, "Resource": "*"})

    return mutate


def _add_statement(action: str, resource: Any, condition: dict[str, Any] | None = None) -> Any:
    def mutate(t: dict[str, Any]) -> None:
        policy = t["Resources"]["RescanRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        statement = {"Effect": "Allow", "Action": [action], "Resource": resource}
        policy["Statement"].append(statement | ({"Condition": condition} if condition else {}))

    return mutate


def _unpin_the_stage(t: dict[str, Any]) -> None:
    t["Parameters"]["Stage"]["AllowedValues"] = ["dev", "prod"]


OWN = "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}"


def _merge_into_a_vanished_id(t: dict[str, Any]) -> None:
    t["Resources"]["OnRoleAssumptionRenamed"] = {"Properties": {"FunctionName": "x"}}


def _merge_an_intrinsic_into_another(t: dict[str, Any]) -> None:
    t["Resources"]["OnIamChange"]["Properties"]["Role"]["Fn::Sub"] = "arn:aws:iam::${AWS::AccountId}:role/x"


def _put_the_webhook_in(t: dict[str, Any]) -> None:
    t["Resources"]["Rescan"]["Properties"]["Environment"]["Variables"]["SLACK"] = (
        "https://hooks.slack.com/services/T/B/x"
    )


def _attach_a_managed_policy(t: dict[str, Any]) -> None:
    t["Resources"]["CanAssumeRole"]["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]


def _drop_a_functions_dead_letter_queue(t: dict[str, Any]) -> None:
    del t["Resources"]["OnRoleAssumption"]["Properties"]["DeadLetterQueue"]


def _drop_a_rules_dead_letter_config(t: dict[str, Any]) -> None:
    del t["Resources"]["ScheduledRescan"]["Properties"]["Events"]["ScheduledRescanEvent"]["Properties"][
        "DeadLetterConfig"
    ]


def _let_any_rule_send_dead_letters(t: dict[str, Any]) -> None:
    statement = t["Resources"]["DeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Condition"]["ArnEquals"]["aws:SourceArn"] = [{"Fn::Sub": "arn:${AWS::Partition}:events:*:*:rule/*"}]


def _add_action_to_the_send_policy(action: str) -> Any:
    def mutate(t: dict[str, Any]) -> None:
        t["Resources"]["DeadLetterSendPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Action"] = action

    return mutate


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(_set_rule_state, id="assume-role-rule-plain-enabled"),
        pytest.param(_add_action("*"), id="star-action"),
        pytest.param(_add_action("iam:*"), id="service-star-action"),
        pytest.param(_add_action("iam:List*"), id="partial-wildcard-action"),
        pytest.param(_merge_into_a_vanished_id, id="resource-without-type"),
        pytest.param(_merge_an_intrinsic_into_another, id="two-intrinsics-in-one"),
        pytest.param(_put_the_webhook_in, id="slack-webhook-url"),
        pytest.param(_attach_a_managed_policy, id="managed-policy-on-lambda-role"),
        pytest.param(_drop_a_functions_dead_letter_queue, id="function-without-dead-letter-queue"),
        pytest.param(_drop_a_rules_dead_letter_config, id="rule-target-without-dead-letter-config"),
        pytest.param(_let_any_rule_send_dead_letters, id="queue-policy-for-any-rule"),
        pytest.param(_add_action_to_the_send_policy("sqs:*"), id="wildcard-in-the-dead-letter-send-policy"),
        pytest.param(_unpin_the_stage, id="stage-parameter-not-pinned"),
        pytest.param(_add_statement("sns:Publish", "*"), id="scopable-action-on-star"),
        pytest.param(_add_statement("sns:Publish", "arn:aws:sns:us-east-1:111122223333:x"), id="literal-arn"),
        pytest.param(_add_statement("sns:Publish", {"Fn::Sub": f"{OWN}:trustwatch-*-findings"}), id="any-stage"),
        pytest.param(_add_statement("sns:Publish", {"Fn::Sub": f"{OWN}:x"}), id="neither-stack-nor-stage"),
        pytest.param(
            _add_statement("sns:Publish", {"Fn::Sub": "arn:aws:sns:*:*:${AWS::StackName}-x"}), id="hard-coded"
        ),
        pytest.param(_add_statement("sns:Publish", {"Ref": "OtherTopic"}), id="another-stacks-resource"),
        pytest.param(
            _add_statement("sts:AssumeRole", {"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/X"}),
            id="assume-role-in-any-account",
        ),
    ],
)
def test_deploy_package_post_checks_catch(packaged: Packaged, mutate: Any) -> None:
    broken = copy.deepcopy(packaged.template)
    mutate(broken)
    assert problems(broken) != []
