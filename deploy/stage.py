"""The packaged template made the stage's own, and the check that no function policy reaches past its stack.

Chalice's ``iam_policy_file`` is per function, not per stage. The policy files therefore name every resource
with CloudFormation intrinsics: ``${AWS::Partition}``, ``${AWS::Region}``, ``${AWS::AccountId}``, the stack's
own table and topic (``Fn::GetAtt StateTable.Arn``, ``Ref FindingsTopic``), its function names
(``${AWS::StackName}-<function>``) and ``${Stage}`` for the secret and parameter prefix ``trustwatch/<stage>/``
(the names in ``.chalice/config.json``). `for_stage` adds the ``Stage`` parameter, which admits only the
packaged stage, and drops the statements that stage does not need: ``logs:CreateLogGroup`` where the template
creates the function's log group (prod's retention), the X-Ray upload where the function is not traced.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

STAGE_PARAMETER = "Stage"
CREATE_LOG_GROUP = "CreateOwnLogGroup"  # the Sids for_stage drops where the template makes them needless
TRACE_SEGMENTS = "TraceSegments"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
# Actions IAM authorizes on "*" only, or (Organizations) on ARNs naming a management account the template does
# not know. Any other action on "*" is a problem.
UNSCOPABLE = frozenset(
    {
        "iam:GetAccountAuthorizationDetails",
        "organizations:DescribeOrganization",
        "organizations:ListAccounts",
        "organizations:ListParents",
        "organizations:ListPoliciesForTarget",
        "organizations:DescribePolicy",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
)
# What keeps an ARN with any account to the auditor's organization (or to named accounts).
RESOURCE_SCOPE_KEYS = ("aws:resourceorgid", "aws:resourceaccount", "aws:resourceorgpaths")
_PSEUDO = {"${AWS::Partition}": "<partition>", "${AWS::Region}": "<region>", "${AWS::AccountId}": "<account>"}
_ARN = re.compile(r"^arn:<partition>:([a-z0-9-]+):([^:]*):([^:]*):(.*)$")  # pseudo parameters hold colons


def for_stage(template: Mapping[str, Any], stage: str) -> dict[str, Any]:
    """A copy of the packaged ``template`` for ``stage`` (see the module's docstring)."""
    result = copy.deepcopy(dict(template))
    result.setdefault("Parameters", {})[STAGE_PARAMETER] = {
        "Type": "String",
        "Default": stage,
        "AllowedValues": [stage],
        "Description": "The stage this template was packaged for; its functions reach only this stage's resources",
    }
    resources: dict[str, Any] = result["Resources"]
    for name, resource in resources.items():
        if resource.get("Type") in FUNCTION_TYPES:
            needless = needless_statements(resources, name)
            for policy in _role_of(resources, resource).get("Properties", {}).get("Policies", []):
                document = policy["PolicyDocument"]
                document["Statement"] = [s for s in _statements(document) if s.get("Sid") not in needless]
    return result


def needless_statements(resources: Mapping[str, Any], function: str) -> set[str]:
    """The Sids the function's role does without: a log group the template creates, tracing that is off."""
    needless = set()
    group_name = {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    if any(
        r.get("Type") == "AWS::Logs::LogGroup" and r.get("Properties", {}).get("LogGroupName") == group_name
        for r in resources.values()
    ):
        needless.add(CREATE_LOG_GROUP)
    if resources[function].get("Properties", {}).get("Tracing") != "Active":
        needless.add(TRACE_SEGMENTS)
    return needless


def stage_problems(template: Mapping[str, Any]) -> list[str]:
    """A template not made for one stage, or a function policy resource not scoped to this stack and stage."""
    parameter = template.get("Parameters", {}).get(STAGE_PARAMETER, {})
    found = []
    if len(parameter.get("AllowedValues", [])) != 1 or parameter.get("Default") not in parameter["AllowedValues"]:
        found.append(f"Parameters.{STAGE_PARAMETER}: not pinned to one stage ({parameter or 'missing'})")
    resources: Mapping[str, Any] = template.get("Resources", {})
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::IAM::Role":
            documents = [policy.get("PolicyDocument", {}) for policy in properties.get("Policies", [])]
        elif resource.get("Type") == "AWS::IAM::Policy":  # e.g. the dead-letter send policy, attached to roles
            documents = [properties.get("PolicyDocument", {})]
        else:
            continue
        for statement in (s for document in documents for s in _statements(document)):
            label = f"{name} {statement.get('Sid') or 'statement'}"
            found += [f"{label}: {why}" for why in unscoped(statement, resources)]
    return found


def unscoped(statement: Mapping[str, Any], resources: Mapping[str, Any]) -> Iterator[str]:
    """Why each resource of ``statement`` is not this stack's own (nothing when all are)."""
    values = statement.get("Resource", [])
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    for value in values if isinstance(values, list) else [values]:
        if value == "*":
            broad = sorted(set(actions) - UNSCOPABLE)
            if broad:
                yield f"Resource '*' for {broad}, which IAM can scope to a resource"
        elif isinstance(value, str):
            yield f"literal ARN {value!r}: name its partition, region and account with Fn::Sub pseudo parameters"
        elif set(value) == {"Ref"} or set(value) == {"Fn::GetAtt"}:
            target = value.get("Ref") or value["Fn::GetAtt"][0]
            if target not in resources:
                yield f"{value} is not a resource of this stack"
        elif set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            yield from _sub_problems(value["Fn::Sub"], statement)
        else:
            yield f"resource {value} is neither a Fn::Sub ARN nor a resource of this stack"


def _sub_problems(arn: str, statement: Mapping[str, Any]) -> Iterator[str]:
    text = arn
    for pseudo, marker in _PSEUDO.items():
        text = text.replace(pseudo, marker)
    parts = _ARN.match(text)
    if parts is None:
        yield f"{arn!r} does not start with arn:${{AWS::Partition}}:"
        return
    service, region, account, rest = parts.groups()
    if service == "iam":  # global: no region; another account only within the organization
        if region != "" or (account != "<account>" and not _resource_scoped(statement)):
            yield f"{arn!r}: any account, without an aws:ResourceOrgID or aws:ResourceAccount condition"
        return
    if (region, account) != ("<region>", "<account>"):
        yield f"{arn!r}: region and account must be ${{AWS::Region}} and ${{AWS::AccountId}}"
    if "${AWS::StackName}" not in rest and f"${{{STAGE_PARAMETER}}}" not in rest:
        yield f"{arn!r}: names neither this stack (${{AWS::StackName}}) nor this stage (${{{STAGE_PARAMETER}}})"
    elif "*" in rest.split("${", 1)[0]:
        yield f"{arn!r}: a wildcard before the stack or stage name reaches other stages"


def _resource_scoped(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition", {})
    return any(key.lower() in RESOURCE_SCOPE_KEYS for clause in condition.values() for key in clause)


def _role_of(resources: Mapping[str, Any], function: Mapping[str, Any]) -> dict[str, Any]:
    role = function.get("Properties", {}).get("Role")
    if isinstance(role, dict) and "Fn::GetAtt" in role:
        found: dict[str, Any] = resources.get(role["Fn::GetAtt"][0], {})
        return found
    return {}


def _statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)
