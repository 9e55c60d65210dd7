"""The packaged template of each stage (the ``packaged`` fixture, registered in conftest.py) and what
CloudFormation would make of it: stack ``trustwatch-<stage>`` in account ``ACCOUNT``, region ``REGION``.

Each stage is packaged once per session by the real ``chalice package`` (through ``deploy.package``) with no
AWS credentials and no region in the environment. The first run on a machine downloads manylinux wheels from
PyPI; later runs reuse Chalice's cache in ``.chalice/deployments``.

``deployed_policies`` resolves the role policies' intrinsics with chalicelib.templates' resolver and the values
only a deployment knows (the stack name, the table's and topic's ARNs, the parameters given), so that tests
check the ARNs IAM would see.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chalicelib.templates.resolve import Scope, resolve
from deploy.package import Bytecode, package

ACCOUNT = "111122223333"
REGION = "us-east-1"
PARTITION = "aws"
ORG_ID = "o-a1b2c3d4e5"
STACK_NAME = "${AWS::StackName}"


@dataclass(frozen=True)
class Packaged:
    stage: str
    sam: Path
    template: dict[str, Any]
    seconds: float
    zip: Path
    bytecode: Bytecode

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources

    @property
    def stack(self) -> str:
        return f"trustwatch-{self.stage}"

    def env(self, function: str) -> dict[str, Any]:
        variables: dict[str, Any] = self.resources[function]["Properties"]["Environment"]["Variables"]
        return variables

    def rule(self, function: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resources[function]["Properties"]["Events"][f"{function}Event"]["Properties"]
        return properties

    def table_arn(self, stage: str | None = None) -> str:
        return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/trustwatch-{stage or self.stage}-state"

    def topic_arn(self, stage: str | None = None) -> str:
        return f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:trustwatch-{stage or self.stage}-findings"

    def deployed(self, organization_id: str = ORG_ID, account: str = ACCOUNT) -> dict[str, Any]:
        """The template with its IAM roles resolved as deployed in ``account``, with ``OrganizationId`` set."""
        return deployed_roles(self.template, self.stack, {"OrganizationId": organization_id}, account)

    def deployed_policy(self, role: str, organization_id: str = ORG_ID) -> dict[str, Any]:
        (policy,) = self.deployed(organization_id)["Resources"][role]["Properties"]["Policies"]
        document: dict[str, Any] = policy["PolicyDocument"]
        return document


def deployed_roles(
    template: dict[str, Any], stack: str, parameters: dict[str, str], account: str = ACCOUNT
) -> dict[str, Any]:
    """``template`` with each ``AWS::IAM::Role`` and each policy document resolved for stack ``stack``."""
    declared = template.get("Parameters", {})
    given = {name: p["Default"] for name, p in declared.items() if "Default" in p} | parameters
    scope = Scope(account, PARTITION, REGION, parameters=given, declared=frozenset(declared) | frozenset(given))
    for name, resource in template["Resources"].items():
        kind = resource["Type"]
        if kind == "AWS::DynamoDB::Table":
            scope.arns[name] = f"arn:{PARTITION}:dynamodb:{REGION}:{account}:table/{stack}-state"
        elif kind == "AWS::SNS::Topic":
            scope.refs[name] = f"arn:{PARTITION}:sns:{REGION}:{account}:{stack}-findings"
        elif kind == "AWS::SQS::Queue":
            scope.arns[name] = f"arn:{PARTITION}:sqs:{REGION}:{account}:{stack}-dead-letters"
    text = json.dumps(template).replace(STACK_NAME, stack).replace('{"Ref": "AWS::StackName"}', json.dumps(stack))
    result: dict[str, Any] = json.loads(text)
    for resource in result["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            resource["Properties"] = resolve(resource["Properties"], scope)
        elif resource["Type"] == "AWS::IAM::Policy":  # its Roles stay Refs: chalicelib.templates resolves those
            properties = resource["Properties"]
            properties["PolicyDocument"] = resolve(properties["PolicyDocument"], scope)
    return result


@pytest.fixture(scope="session", params=["dev", "prod"])
def packaged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    stage: str = request.param
    no_aws = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    no_aws |= {"AWS_CONFIG_FILE": "/nonexistent/aws-config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-creds"}
    started = time.perf_counter()
    built = package(stage, tmp_path_factory.mktemp(f"package-{stage}"), env=no_aws)
    seconds = time.perf_counter() - started
    return Packaged(stage, built.sam, json.loads(built.sam.read_text()), seconds, built.zip, built.bytecode)
