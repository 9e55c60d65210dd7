"""The auditor's AWS resources in a local stand-in: the state table, the findings topic with an SQS subscriber,
the Slack webhook secret and the configuration parameter — what `deploy/merge-template.json` creates in AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..state.dynamo import TABLE_SCHEMA
from .seed import iam_client

STAGE = "dev"
SLACK_SECRET = f"trustwatch/{STAGE}/slack-webhook"
CONFIG_PARAMETER = f"/trustwatch/{STAGE}/config"


@dataclass(frozen=True)
class Provisioned:
    table: str
    topic_arn: str
    queue_url: str

    def environment(self) -> dict[str, str]:
        """What the deployment template puts in the functions' environment."""
        return {
            "TRUSTWATCH_TABLE": self.table,
            "TRUSTWATCH_TOPIC_ARN": self.topic_arn,
            "TRUSTWATCH_SLACK_SECRET": SLACK_SECRET,
            "TRUSTWATCH_CONFIG_PARAMETER": CONFIG_PARAMETER,
            "TRUSTWATCH_AUDIT_ROLE_NAME": "TrustwatchAudit",
            "TRUSTWATCH_MIN_SEVERITY": "low",
        }


def provision(session: Any, *, endpoint_url: str, slack_url: str, config: dict[str, Any]) -> Provisioned:
    table = f"trustwatch-{STAGE}-state"
    dynamodb = session.client("dynamodb", endpoint_url=endpoint_url)
    dynamodb.create_table(TableName=table, **TABLE_SCHEMA)
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiration"}
    )
    sns = session.client("sns", endpoint_url=endpoint_url)
    topic_arn = sns.create_topic(Name=f"trustwatch-{STAGE}-findings")["TopicArn"]
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    queue_url = sqs.create_queue(QueueName=f"trustwatch-{STAGE}-subscriber")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    secrets = session.client("secretsmanager", endpoint_url=endpoint_url)
    secrets.create_secret(Name=SLACK_SECRET, SecretString=json.dumps({"url": slack_url}))
    ssm = session.client("ssm", endpoint_url=endpoint_url)
    ssm.put_parameter(Name=CONFIG_PARAMETER, Type="SecureString", Value=json.dumps(config))
    return Provisioned(table, topic_arn, queue_url)


def read_queue(session: Any, queue_url: str, *, endpoint_url: str) -> list[dict[str, Any]]:
    """Every SNS notification the subscriber queue holds (the SNS envelopes), oldest first; drains the queue."""
    sqs = session.client("sqs", endpoint_url=endpoint_url)
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def apply_trust_change(session: Any, raw: dict[str, Any], *, endpoint_url: str) -> bool:
    """Make the stand-in's IAM what a recorded CreateRole / UpdateAssumeRolePolicy / DeleteRole left in AWS
    (the auditor reads the live role and believes it over the event); True when something was changed."""
    detail = raw.get("detail") or {}
    name, parameters = detail.get("eventName"), detail.get("requestParameters") or {}
    role, policy = (
        parameters.get("roleName"),
        parameters.get("policyDocument") or parameters.get("assumeRolePolicyDocument"),
    )
    if detail.get("eventSource") != "iam.amazonaws.com" or detail.get("errorCode") or not isinstance(role, str):
        return False
    iam = iam_client(session, str(detail.get("recipientAccountId") or raw.get("account")), endpoint_url=endpoint_url)
    text = policy if isinstance(policy, str) else json.dumps(policy)
    try:
        if name == "UpdateAssumeRolePolicy" and policy:
            iam.update_assume_role_policy(RoleName=role, PolicyDocument=text)
        elif name == "CreateRole" and policy:
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=text, Path=parameters.get("path") or "/")
        elif name == "DeleteRole":
            iam.delete_role(RoleName=role)
        else:
            return False
    except iam.exceptions.ClientError:  # no such role, already there, still has policies: AWS would refuse too
        return False
    return True
