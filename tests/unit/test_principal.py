"""Who is calling, how a trust statement's Principal matches the caller (ASSUME_ROLE.md §3), and the
wildcard matching of actions and resource ARNs (§4, §5)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chalicelib.iam.errors import InvalidRequestError
from chalicelib.iam.policy import Principal
from chalicelib.iam.principal import Caller, CallerKind, caller_from_principal, match_principal
from chalicelib.iam.wildcard import action_matches, arn_matches

A = "123456789012"  # the role's account
B = "111111111111"  # another account
ALICE = f"arn:aws:iam::{A}:user/team/alice"
APP_SESSION = f"arn:aws:sts::{A}:assumed-role/App/s1"
OIDC_GITHUB = f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"
OKTA = f"arn:aws:iam::{A}:saml-provider/Okta"
OLD_ROLE_ID = "AROAEXAMPLEOLDID0001"
ROLE_ID = "AROAEXAMPLEROLEID001"
USER_ID = "AIDAEXAMPLEUSERID001"


def principal(value: Any) -> Principal:
    return Principal.model_validate(value)


def classes(value: Any, caller: Caller) -> list[str]:
    """How each matching entry of the Principal matched, in entry order."""
    return [match.match_class.value for match in match_principal(principal(value), caller)]


# ---------------------------------------------------------------------------------------------------------
# Callers
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "action", "expected"),
    [
        pytest.param(
            ALICE,
            "sts:AssumeRole",
            {"kind": CallerKind.USER, "account": A, "partition": "aws", "role_arn": None},
            id="IAM user with a path",
        ),
        pytest.param(
            APP_SESSION,
            "sts:AssumeRole",
            {
                "kind": CallerKind.ROLE_SESSION,
                "account": A,
                "role_arn": f"arn:aws:iam::{A}:role/App",
                "session_name": "s1",
            },
            id="role session",
        ),
        pytest.param(
            f"arn:aws:iam::{A}:role/App",
            "sts:AssumeRole",
            {
                "kind": CallerKind.ROLE_SESSION,
                "account": A,
                "role_arn": f"arn:aws:iam::{A}:role/App",
                "session_name": None,
            },
            id="role ARN stands for any session of the role",
        ),
        pytest.param(
            f"arn:aws:iam::{A}:root", "sts:AssumeRole", {"kind": CallerKind.ROOT, "account": A}, id="account root user"
        ),
        pytest.param(
            f"arn:aws:sts::{A}:federated-user/bob",
            "sts:AssumeRole",
            {"kind": CallerKind.FEDERATED_USER, "account": A},
            id="GetFederationToken session",
        ),
        pytest.param(
            "ec2.amazonaws.com", "sts:AssumeRole", {"kind": CallerKind.SERVICE, "account": None}, id="service principal"
        ),
        pytest.param(
            "cognito-identity.amazonaws.com",
            "sts:AssumeRoleWithWebIdentity",
            {"kind": CallerKind.WEB_IDENTITY, "account": None},
            id="Cognito web identity",
        ),
        pytest.param(
            OIDC_GITHUB,
            "sts:AssumeRoleWithWebIdentity",
            {"kind": CallerKind.WEB_IDENTITY, "account": A},
            id="OIDC provider",
        ),
        pytest.param(OKTA, "sts:AssumeRoleWithSAML", {"kind": CallerKind.SAML, "account": A}, id="SAML provider"),
        pytest.param(
            f"arn:aws-cn:iam::{A}:user/alice",
            "sts:AssumeRole",
            {"kind": CallerKind.USER, "partition": "aws-cn"},
            id="user in aws-cn",
        ),
        pytest.param(
            f"arn:aws-us-gov:sts::{A}:assumed-role/App/s1",
            "sts:AssumeRole",
            {
                "kind": CallerKind.ROLE_SESSION,
                "partition": "aws-us-gov",
                "role_arn": f"arn:aws-us-gov:iam::{A}:role/App",
            },
            id="role session in aws-us-gov",
        ),
    ],
)
def test_caller_from_principal_classifies_the_caller(text: str, action: str, expected: dict[str, Any]) -> None:
    # GIVEN a caller written as an ARN, service principal or identity provider  WHEN classified
    caller = caller_from_principal(text, action=action)
    # THEN kind, account, partition, role and session are the ones the text names
    assert caller.arn == text
    assert {field: getattr(caller, field) for field in expected} == expected


def test_a_session_gets_the_role_path_when_it_is_known() -> None:
    # GIVEN a session ARN (which never carries the role's path) and the role's path from the inventory
    caller = caller_from_principal(APP_SESSION, role_path="/team/")
    # WHEN classified  THEN its role ARN, and so aws:PrincipalArn, includes the path
    assert caller.role_arn == f"arn:aws:iam::{A}:role/team/App"
    assert caller.principal_arn == f"arn:aws:iam::{A}:role/team/App"


@pytest.mark.parametrize(
    ("text", "principal_arn"),
    [
        pytest.param(ALICE, ALICE, id="user: its own ARN"),
        pytest.param(APP_SESSION, f"arn:aws:iam::{A}:role/App", id="role session: the role ARN, not the session"),
    ],
)
def test_principal_arn_is_the_value_of_aws_principal_arn(text: str, principal_arn: str) -> None:
    # GIVEN a caller  WHEN asked for aws:PrincipalArn  THEN a session gives its role's ARN (spec §7)
    assert caller_from_principal(text).principal_arn == principal_arn


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("alice", id="a bare name"),
        pytest.param("arn:aws:s3:::bucket", id="an S3 ARN"),
        pytest.param(f"arn:aws:iam::{A}:group/admins", id="a group"),
        pytest.param(f"arn:aws:sts::{A}:assumed-role/App", id="a session ARN without session name"),
        pytest.param(f"arn:aws:sts::{A}:assumed-role/App/s1/extra", id="a session ARN with an extra part"),
        pytest.param(f"arn:aws-moon:iam::{A}:user/alice", id="an unknown partition"),
    ],
)
def test_text_that_is_no_caller_is_refused(text: str) -> None:
    # GIVEN text that names nobody who can call STS  WHEN classified  THEN InvalidRequestError
    with pytest.raises(InvalidRequestError):
        caller_from_principal(text)


# ---------------------------------------------------------------------------------------------------------
# Principal matching (§3)
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "caller", "expected"),
    [
        # accounts
        pytest.param(
            {"AWS": f"arn:aws:iam::{A}:root"}, ALICE, ["account"], id="root ARN matches a user of the account"
        ),
        pytest.param(
            {"AWS": f"arn:aws:iam::{A}:root"},
            APP_SESSION,
            ["account"],
            id="root ARN matches a role session of the account",
        ),
        pytest.param({"AWS": A}, ALICE, ["account"], id="bare account id matches a user of the account"),
        pytest.param({"AWS": A}, APP_SESSION, ["account"], id="bare account id matches a session of the account"),
        pytest.param({"AWS": f"arn:aws:iam::{B}:root"}, ALICE, [], id="root ARN of another account"),
        pytest.param({"AWS": B}, APP_SESSION, [], id="bare id of another account"),
        # users
        pytest.param({"AWS": ALICE}, ALICE, ["user"], id="user ARN with path matches exactly"),
        pytest.param({"AWS": f"arn:aws:iam::{A}:user/alice"}, ALICE, [], id="user ARN without the path"),
        pytest.param({"AWS": f"arn:aws:iam::{A}:user/team/Alice"}, ALICE, [], id="user name is case-sensitive"),
        pytest.param({"AWS": f"arn:aws:iam::{B}:user/team/alice"}, ALICE, [], id="same user name in another account"),
        pytest.param({"AWS": f"arn:aws:iam::{A}:role/team/alice"}, ALICE, [], id="role of the same name as the user"),
        # roles and their sessions
        pytest.param({"AWS": f"arn:aws:iam::{A}:role/App"}, APP_SESSION, ["role"], id="role ARN matches its session"),
        pytest.param(
            {"AWS": f"arn:aws:iam::{A}:role/app"}, APP_SESSION, ["role"], id="role name compared case-insensitively"
        ),
        pytest.param(
            {"AWS": f"arn:aws:iam::{A}:role/service/team/App"},
            APP_SESSION,
            ["role"],
            id="role path ignored since session ARNs carry none",
        ),
        pytest.param({"AWS": f"arn:aws:iam::{A}:role/Other"}, APP_SESSION, [], id="another role"),
        pytest.param({"AWS": f"arn:aws:iam::{A}:role/Ap"}, APP_SESSION, [], id="a role whose name is a prefix"),
        pytest.param({"AWS": f"arn:aws:iam::{B}:role/App"}, APP_SESSION, [], id="same role name in another account"),
        pytest.param({"AWS": f"arn:aws:iam::{A}:user/App"}, APP_SESSION, [], id="user of the same name as the role"),
        # sessions
        pytest.param({"AWS": APP_SESSION}, APP_SESSION, ["session"], id="session ARN matches that session"),
        pytest.param({"AWS": f"arn:aws:sts::{A}:assumed-role/App/s2"}, APP_SESSION, [], id="another session name"),
        pytest.param(
            {"AWS": f"arn:aws:sts::{A}:assumed-role/app/s1"},
            APP_SESSION,
            [],
            id="session ARN is exact, role name case included",
        ),
        pytest.param(
            {"AWS": f"arn:aws:sts::{A}:assumed-role/App/*"}, APP_SESSION, [], id="no wildcard for all sessions"
        ),
        pytest.param(
            {"AWS": APP_SESSION},
            f"arn:aws:iam::{A}:role/App",
            [],
            id="session ARN does not match an unknown session of the role",
        ),
        pytest.param({"AWS": APP_SESSION}, ALICE, [], id="session ARN does not match a user"),
        # everyone
        pytest.param("*", ALICE, ["wildcard"], id='bare "*" matches a user'),
        pytest.param({"AWS": "*"}, APP_SESSION, ["wildcard"], id='{"AWS": "*"} matches a session'),
        pytest.param("*", f"arn:aws:iam::{B}:user/mallory", ["wildcard"], id='"*" matches other accounts'),
        # partitions
        pytest.param({"AWS": f"arn:aws-cn:iam::{A}:root"}, ALICE, [], id="aws-cn root does not match an aws user"),
        pytest.param(
            {"AWS": f"arn:aws-us-gov:iam::{A}:role/App"},
            APP_SESSION,
            [],
            id="aws-us-gov role does not match an aws session",
        ),
        pytest.param(
            {"AWS": f"arn:aws:iam::{A}:root"},
            f"arn:aws-cn:iam::{A}:user/alice",
            [],
            id="aws root does not match an aws-cn user",
        ),
        pytest.param(
            {"AWS": f"arn:aws-cn:iam::{A}:root"},
            f"arn:aws-cn:iam::{A}:user/alice",
            ["account"],
            id="aws-cn root matches an aws-cn user",
        ),
        # several entries: each one that matches is reported, in order
        pytest.param(
            {"AWS": [f"arn:aws:iam::{B}:root", f"arn:aws:iam::{A}:role/App", A]},
            APP_SESSION,
            ["role", "account"],
            id="every matching entry of a list",
        ),
        # service and federated entries never match IAM callers, and AWS entries never match them
        pytest.param({"Service": "ec2.amazonaws.com"}, ALICE, [], id="Service entry vs a user"),
        pytest.param({"Federated": OKTA}, APP_SESSION, [], id="Federated entry vs a session"),
        pytest.param({"Service": "ec2.amazonaws.com"}, "ec2.amazonaws.com", ["service"], id="Service matches it"),
        pytest.param(
            {"Service": ["lambda.amazonaws.com", "ec2.amazonaws.com"]},
            "ec2.amazonaws.com",
            ["service"],
            id="Service list",
        ),
        pytest.param({"Service": "lambda.amazonaws.com"}, "ec2.amazonaws.com", [], id="another service"),
        pytest.param({"Service": "EC2.amazonaws.com"}, "ec2.amazonaws.com", [], id="service is case-sensitive"),
        pytest.param({"AWS": f"arn:aws:iam::{A}:root"}, "ec2.amazonaws.com", [], id="account vs a service"),
    ],
)
def test_match_principal_for_iam_and_service_callers(value: Any, caller: str, expected: list[str]) -> None:
    # GIVEN a trust statement's Principal and a caller  WHEN matched
    # THEN the matching entries and their classes are the spec's (§3.1, §3.3)
    assert classes(value, caller_from_principal(caller)) == expected


@pytest.mark.parametrize(
    ("value", "caller", "action", "expected"),
    [
        pytest.param(
            {"Federated": OIDC_GITHUB},
            OIDC_GITHUB,
            "sts:AssumeRoleWithWebIdentity",
            ["federated"],
            id="OIDC provider ARN",
        ),
        pytest.param(
            {"Federated": f"arn:aws:iam::{A}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X"},
            OIDC_GITHUB,
            "sts:AssumeRoleWithWebIdentity",
            [],
            id="another OIDC provider",
        ),
        pytest.param(
            {"Federated": f"arn:aws:iam::{B}:oidc-provider/token.actions.githubusercontent.com"},
            OIDC_GITHUB,
            "sts:AssumeRoleWithWebIdentity",
            [],
            id="same OIDC issuer registered in another account",
        ),
        pytest.param({"Federated": OKTA}, OKTA, "sts:AssumeRoleWithSAML", ["federated"], id="SAML provider ARN"),
        pytest.param(
            {"Federated": f"arn:aws:iam::{A}:saml-provider/Azure"},
            OKTA,
            "sts:AssumeRoleWithSAML",
            [],
            id="another SAML provider",
        ),
        pytest.param(
            {"Federated": "cognito-identity.amazonaws.com"},
            "cognito-identity.amazonaws.com",
            "sts:AssumeRoleWithWebIdentity",
            ["federated"],
            id="Cognito",
        ),
        pytest.param(
            {"Federated": "accounts.google.com"},
            "cognito-identity.amazonaws.com",
            "sts:AssumeRoleWithWebIdentity",
            [],
            id="Google is not Cognito",
        ),
        pytest.param(
            {"Service": "cognito-identity.amazonaws.com"},
            "cognito-identity.amazonaws.com",
            "sts:AssumeRoleWithWebIdentity",
            [],
            id="Cognito in a Service entry",
        ),
        pytest.param(
            {"AWS": f"arn:aws:iam::{A}:root"},
            OIDC_GITHUB,
            "sts:AssumeRoleWithWebIdentity",
            [],
            id="account entry vs a provider of that account",
        ),
        pytest.param({"AWS": A}, OKTA, "sts:AssumeRoleWithSAML", [], id="bare account id vs a SAML provider"),
    ],
)
def test_match_principal_for_federated_callers(value: Any, caller: str, action: str, expected: list[str]) -> None:
    # GIVEN a Principal and a web identity or SAML caller  WHEN matched
    # THEN only a Federated entry naming exactly that provider matches (§3.4)
    assert classes(value, caller_from_principal(caller, action=action)) == expected


@pytest.mark.parametrize(
    ("entry", "caller", "unique_id", "expected"),
    [
        pytest.param(ROLE_ID, APP_SESSION, ROLE_ID, ["role"], id="role id matches a session of the role having it"),
        pytest.param(OLD_ROLE_ID, APP_SESSION, ROLE_ID, [], id="id of a deleted role matches the re-created one not"),
        pytest.param(ROLE_ID, APP_SESSION, None, [], id="role id vs a caller whose id is unknown"),
        pytest.param(USER_ID, ALICE, USER_ID, ["user"], id="user id matches the user having it"),
        pytest.param(USER_ID, ALICE, "AIDAEXAMPLEUSERID002", [], id="user id vs another user"),
        pytest.param(ROLE_ID.lower(), APP_SESSION, ROLE_ID, [], id="lower-case id is no unique id"),
    ],
)
def test_unique_ids_match_only_the_entity_that_has_them(
    entry: str, caller: str, unique_id: str | None, expected: list[str]
) -> None:
    # GIVEN a caller with (or without) a known unique id  WHEN a Principal names a unique id
    who = dataclasses.replace(caller_from_principal(caller), unique_id=unique_id)
    # THEN it matches only when the ids are equal (§3.1; T49)
    assert classes({"AWS": entry}, who) == expected


def test_match_reports_the_entry_as_written() -> None:
    # GIVEN a Principal listing the role in lower case  WHEN it matches a session of the role
    matches = match_principal(principal({"AWS": f"arn:aws:iam::{A}:role/app"}), caller_from_principal(APP_SESSION))
    # THEN the match names the entry as written in the policy, for the explanation
    assert [(m.entry, m.describe()) for m in matches] == [
        (f"arn:aws:iam::{A}:role/app", f"role principal arn:aws:iam::{A}:role/app")
    ]


# ---------------------------------------------------------------------------------------------------------
# Wildcards in actions (§4) and resources (§5)
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        pytest.param("sts:AssumeRole", "sts:AssumeRole", True, id="exact"),
        pytest.param("STS:assumerole", "sts:AssumeRole", True, id="prefix and name case-insensitive"),
        pytest.param("sts:Assume*", "sts:AssumeRole", True, id="trailing star"),
        pytest.param("sts:Assume*", "sts:AssumeRoleWithSAML", True, id="trailing star, longer name"),
        pytest.param("sts:Assume*", "sts:TagSession", False, id="trailing star, other action"),
        pytest.param("sts:ASSUME*", "sts:AssumeRole", True, id="star pattern case-insensitive"),
        pytest.param("sts:*Role", "sts:AssumeRole", True, id="leading star"),
        pytest.param("sts:*", "sts:TagSession", True, id="whole service"),
        pytest.param("sts:*", "iam:PassRole", False, id="whole service, other service"),
        pytest.param("*", "sts:AssumeRole", True, id="star alone"),
        pytest.param("sts:AssumeRol?", "sts:AssumeRole", True, id="question mark is one character"),
        pytest.param("sts:AssumeRol?", "sts:AssumeRol", False, id="question mark is not zero characters"),
        pytest.param("sts:AssumeRol?", "sts:AssumeRoles", False, id="question mark is not two characters"),
        pytest.param("sts:AssumeRole", "sts:AssumeRoleWithSAML", False, id="no implicit prefix match"),
        pytest.param("sts", "sts:AssumeRole", False, id="service alone"),
        pytest.param("sts:Assume.*", "sts:AssumeRole", False, id="regex characters are literal"),
    ],
)
def test_action_matches(pattern: str, action: str, matches: bool) -> None:
    # GIVEN an Action pattern and an action  WHEN compared  THEN the result follows §4.1
    assert action_matches(pattern, action) is matches


ROLE_WITH_PATH = f"arn:aws:iam::{A}:role/allowed-roles-path/App"


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        pytest.param(ROLE_WITH_PATH, ROLE_WITH_PATH, True, id="exact"),
        pytest.param(f"arn:aws:iam::{A}:role/allowed-roles-path/*", ROLE_WITH_PATH, True, id="path wildcard"),
        pytest.param(
            f"arn:aws:iam::{A}:role/allowed-roles-path/*",
            f"arn:aws:iam::{A}:role/App",
            False,
            id="path wildcard vs a role outside the path",
        ),
        pytest.param(f"arn:aws:iam::{A}:role/*", ROLE_WITH_PATH, True, id="star spans slashes"),
        pytest.param(f"arn:aws:iam::{A}:role/App", ROLE_WITH_PATH, False, id="the path is part of the ARN"),
        pytest.param(f"arn:aws:iam::{A}:role/allowed-roles-path/app", ROLE_WITH_PATH, False, id="case-sensitive name"),
        pytest.param(f"arn:aws:iam::{A}:role/Allowed-Roles-Path/*", ROLE_WITH_PATH, False, id="case-sensitive path"),
        pytest.param(f"arn:aws:iam::{A}:role/allowed-roles-path/Ap?", ROLE_WITH_PATH, True, id="question mark"),
        pytest.param("arn:aws:iam::*:role/allowed-roles-path/App", ROLE_WITH_PATH, True, id="any account"),
        pytest.param(f"arn:aws:iam::{B}:role/allowed-roles-path/*", ROLE_WITH_PATH, False, id="another account"),
        pytest.param(f"arn:aws-cn:iam::{A}:role/allowed-roles-path/App", ROLE_WITH_PATH, False, id="another partition"),
        pytest.param("*", ROLE_WITH_PATH, True, id="star alone"),
        pytest.param(f"arn:aws:iam::{A}:*", ROLE_WITH_PATH, True, id="star as the whole resource"),
        pytest.param(f"arn:aws:iam::{A}:user/*", ROLE_WITH_PATH, False, id="another resource type"),
        pytest.param(
            f"arn:aws:iam::{A}?:role/allowed-roles-path/App",
            ROLE_WITH_PATH,
            False,
            id="question mark needs one more character",
        ),
        # "If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond the
        # colon boundaries." (IAM User Guide, "IAM JSON policy elements: Resource")
        pytest.param("arn:aws:iam::*", ROLE_WITH_PATH, True, id="star ending a segment spans the colons after it"),
        # ${*}, ${?} and ${$} are the literal characters (IAM User Guide, policy variables, "special characters")
        pytest.param(f"arn:aws:iam::{A}:role/allowed-roles-path/${{*}}", ROLE_WITH_PATH, False, id="escaped star"),
        pytest.param(f"arn:aws:iam::{A}:role/allowed-roles-path/Ap${{?}}", ROLE_WITH_PATH, False, id="escaped qmark"),
        pytest.param(f"arn:aws:iam::{A}:role/a${{*}}", f"arn:aws:iam::{A}:role/a*", True, id="escape is its character"),
        pytest.param(f"arn:aws:iam::{A}:role/a${{$}}*", f"arn:aws:iam::{A}:role/a$b", True, id="escaped dollar"),
        pytest.param(f"arn:aws:iam::{A}:role/a\\b", f"arn:aws:iam::{A}:role/a\\b", True, id="backslash is literal"),
    ],
)
def test_arn_matches(pattern: str, arn: str, matches: bool) -> None:
    # GIVEN a Resource pattern and a role ARN  WHEN compared  THEN the result follows §5.1
    assert arn_matches(pattern, arn) is matches
