"""`parse_policy`: every form in which AWS hands out a policy document, and bad input named by its place."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.iam.errors import PolicyParseError
from chalicelib.iam.policy import Condition, PolicyDocument, parse_policy

ASSUME = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
TRUST = {"Version": "2012-10-17", "Statement": [ASSUME]}


def statement(**elements: Any) -> dict[str, Any]:
    """The ASSUME statement with some elements replaced; an element given as None is removed."""
    merged = {**ASSUME, **elements}
    return {key: value for key, value in merged.items() if value is not None}


def only_statement(document: dict[str, Any] | str) -> Any:
    return parse_policy(document).statements[0]


# ---------------------------------------------------------------------------------------------------------
# Forms AWS produces
# ---------------------------------------------------------------------------------------------------------


def test_statement_may_be_one_object_or_a_list() -> None:
    # GIVEN the same statement as a lone object and inside a list
    # WHEN both documents are parsed
    lone = parse_policy({"Version": "2012-10-17", "Statement": ASSUME})
    listed = parse_policy({"Version": "2012-10-17", "Statement": [ASSUME]})
    # THEN both hold exactly that one statement
    assert lone == listed
    assert len(lone.statements) == 1
    assert lone.statements[0].action == ("sts:AssumeRole",)


def test_statements_keep_their_order() -> None:
    # GIVEN three statements with Sids  WHEN parsed  THEN they come out in document order
    document = {"Statement": [statement(Sid=sid) for sid in ("first", "second", "third")]}
    assert [s.sid for s in parse_policy(document).statements] == ["first", "second", "third"]


@pytest.mark.parametrize(
    ("principal", "wildcard", "aws"),
    [
        pytest.param("*", True, (), id='bare "*"'),
        pytest.param({"AWS": "*"}, False, ("*",), id='{"AWS": "*"}'),
        pytest.param({"AWS": ["*"]}, False, ("*",), id='{"AWS": ["*"]}'),
    ],
)
def test_star_principals_all_count_as_the_aws_wildcard(principal: object, wildcard: bool, aws: tuple[str, ...]) -> None:
    # GIVEN a statement whose Principal is one of the spellings of "everyone"  WHEN parsed
    parsed = only_statement({"Statement": statement(Principal=principal)}).principal
    # THEN the spelling is kept, and the AWS entries the matcher sees are exactly ("*",) in every case
    assert (parsed.wildcard, parsed.aws) == (wildcard, aws)
    assert parsed.aws_entries == ("*",)


@pytest.mark.parametrize(
    ("element", "field", "value"),
    [
        pytest.param("Action", "action", "sts:AssumeRole", id="Action"),
        pytest.param("NotAction", "not_action", "sts:TagSession", id="NotAction"),
        pytest.param("Resource", "resource", "arn:aws:iam::123456789012:role/R", id="Resource"),
        pytest.param("NotResource", "not_resource", "arn:aws:iam::123456789012:role/R", id="NotResource"),
    ],
)
def test_string_and_one_element_list_are_the_same(element: str, field: str, value: str) -> None:
    # GIVEN a statement with the element as a string, and the same with a one-element list
    base = {"Effect": "Allow", "Principal": "*"}
    if element not in ("Action", "NotAction"):
        base["Action"] = "sts:AssumeRole"
    # WHEN both are parsed
    as_string = only_statement({"Statement": {**base, element: value}})
    as_list = only_statement({"Statement": {**base, element: [value]}})
    # THEN they are equal and hold the value as a one-tuple
    assert as_string == as_list
    assert getattr(as_string, field) == (value,)


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        pytest.param(
            {"AWS": "arn:aws:iam::123456789012:root"},
            {"aws": ("arn:aws:iam::123456789012:root",)},
            id="AWS string",
        ),
        pytest.param(
            {"AWS": ["arn:aws:iam::123456789012:root", "111111111111"]},
            {"aws": ("arn:aws:iam::123456789012:root", "111111111111")},
            id="AWS list keeps order",
        ),
        pytest.param({"Service": "ec2.amazonaws.com"}, {"service": ("ec2.amazonaws.com",)}, id="Service string"),
        pytest.param(
            {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
            {"service": ("ec2.amazonaws.com", "lambda.amazonaws.com")},
            id="Service list",
        ),
        pytest.param(
            {"Federated": "arn:aws:iam::123456789012:saml-provider/Okta"},
            {"federated": ("arn:aws:iam::123456789012:saml-provider/Okta",)},
            id="Federated string",
        ),
        pytest.param(
            {"AWS": "111111111111", "Service": "ec2.amazonaws.com"},
            {"aws": ("111111111111",), "service": ("ec2.amazonaws.com",)},
            id="AWS and Service together",
        ),
    ],
)
def test_principal_map_values_become_tuples(principal: dict[str, Any], expected: dict[str, tuple[str, ...]]) -> None:
    # GIVEN a Principal map  WHEN parsed
    parsed = only_statement({"Statement": statement(Principal=principal)}).principal
    # THEN each type holds its entries as a tuple, in document order, and the other types are empty
    kinds = ("aws", "service", "federated", "canonical_user")
    assert {kind: getattr(parsed, kind) for kind in kinds} == {kind: expected.get(kind, ()) for kind in kinds}
    assert parsed.wildcard is False


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(json.dumps, id="JSON text"),
        pytest.param(lambda d: json.dumps(d, indent=4), id="pretty-printed JSON text"),
        pytest.param(lambda d: "\n  " + json.dumps(d) + "\n", id="JSON text with surrounding whitespace"),
        pytest.param(lambda d: quote(json.dumps(d), safe=""), id="URL-encoded JSON text"),
        pytest.param(lambda d: quote(json.dumps(d, indent=2), safe=""), id="URL-encoded pretty-printed JSON text"),
    ],
)
def test_text_forms_parse_to_the_same_document_as_the_object(encode: Any) -> None:
    # GIVEN a trust policy with a condition  WHEN it is parsed from text instead of an object
    document = {
        "Version": "2012-10-17",
        "Statement": [statement(Condition={"StringEquals": {"sts:ExternalId": "a/b:c=d&e"}})],
    }
    # THEN the result is the same document
    assert parse_policy(encode(document)) == parse_policy(document)


def test_url_encoded_plus_stays_a_literal_plus() -> None:
    # GIVEN a document percent-encoded the RFC 3986 way (as GetAccountAuthorizationDetails does): spaces as
    # %20, and a '+' in a value left as it is
    document = {"Statement": statement(Condition={"StringEquals": {"sts:ExternalId": "a+b c%d"}})}
    encoded = quote(json.dumps(document), safe="+")
    assert "+" in encoded and "%20" in encoded
    # WHEN it is parsed
    parsed = only_statement(encoded)
    # THEN '+' is a plus (not a space) and the percent-escapes are decoded exactly once
    assert parsed.condition == (Condition(operator="StringEquals", key="sts:ExternalId", values=("a+b c%d",)),)


def test_plain_json_text_is_not_percent_decoded() -> None:
    # GIVEN plain JSON text whose values contain percent-escapes  WHEN parsed
    text = json.dumps({"Statement": statement(Sid="x", Condition={"StringEquals": {"sts:ExternalId": "a%20b+c"}})})
    # THEN the values are kept as written
    assert only_statement(text).condition[0].values == ("a%20b+c",)


@pytest.mark.parametrize(
    ("written", "text"),
    [
        pytest.param(True, ("true",), id="true"),
        pytest.param(False, ("false",), id="false"),
        pytest.param(3600, ("3600",), id="integer"),
        pytest.param(1.5, ("1.5",), id="decimal"),
        pytest.param([True, 7, "x"], ("true", "7", "x"), id="mixed list"),
    ],
)
def test_condition_numbers_and_booleans_become_text(written: object, text: tuple[str, ...]) -> None:
    # GIVEN a condition value written as a JSON boolean or number  WHEN parsed
    parsed = only_statement({"Statement": statement(Condition={"Bool": {"aws:MultiFactorAuthPresent": written}})})
    # THEN the value is its JSON text, as IAM compares it
    assert parsed.condition[0].values == text


def test_condition_block_becomes_one_clause_per_operator_and_key() -> None:
    # GIVEN two operators, one of them with two keys  WHEN parsed
    block = {
        "StringEquals": {"sts:ExternalId": "abc", "aws:PrincipalOrgID": ["o-1", "o-2"]},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }
    parsed = only_statement({"Statement": statement(Condition=block)})
    # THEN there is one clause per operator/key pair, values as tuples
    assert parsed.condition == (
        Condition(operator="StringEquals", key="sts:ExternalId", values=("abc",)),
        Condition(operator="StringEquals", key="aws:PrincipalOrgID", values=("o-1", "o-2")),
        Condition(operator="Bool", key="aws:MultiFactorAuthPresent", values=("true",)),
    )


@pytest.mark.parametrize(
    ("version", "expected", "variables"),
    [
        pytest.param(None, None, False, id="Version missing"),
        pytest.param("2008-10-17", "2008-10-17", False, id="2008-10-17"),
        pytest.param("2012-10-17", "2012-10-17", True, id="2012-10-17"),
    ],
)
def test_version_decides_whether_policy_variables_are_substituted(
    version: str | None, expected: str | None, variables: bool
) -> None:
    # GIVEN a document with (or without) a Version  WHEN parsed
    document: dict[str, Any] = {"Statement": ASSUME}
    if version is not None:
        document["Version"] = version
    parsed = parse_policy(document)
    # THEN the version is kept, and only 2012-10-17 supports ${...} variables
    assert parsed.version == expected
    assert parsed.supports_variables is variables


def test_id_and_sid_are_kept() -> None:
    # GIVEN a document with an Id and a statement Sid  WHEN parsed  THEN both are kept
    parsed = parse_policy({"Id": "trust-1", "Statement": statement(Sid="AllowAccount")})
    assert (parsed.id, parsed.statements[0].sid) == ("trust-1", "AllowAccount")


def test_an_already_parsed_document_is_returned_as_is() -> None:
    # GIVEN a parsed document  WHEN it is parsed again  THEN the very same object comes back
    parsed = parse_policy(TRUST)
    assert parse_policy(parsed) is parsed


def test_parsed_documents_are_immutable() -> None:
    # GIVEN a parsed document  WHEN a field is assigned  THEN the model refuses
    parsed = parse_policy(TRUST)
    with pytest.raises(ValueError, match="frozen"):
        parsed.version = "2008-10-17"  # type: ignore[misc]
    assert isinstance(parsed, PolicyDocument)


# ---------------------------------------------------------------------------------------------------------
# Bad input: PolicyParseError naming the place
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "location", "message"),
    [
        pytest.param(
            {"Statement": statement(Effect="Alow")}, "Statement[0].Effect", "'Allow' or 'Deny'", id="Effect misspelt"
        ),
        pytest.param(
            {"Statement": statement(Effect="allow")},
            "Statement[0].Effect",
            "'Allow' or 'Deny'",
            id="Effect in the wrong letter case",
        ),
        pytest.param({"Statement": statement(Effect=None)}, "Statement[0].Effect", "missing", id="Effect missing"),
        pytest.param({"Statement": statement(Principal=42)}, "Statement[0].Principal", '"*"', id="Principal a number"),
        pytest.param({"Statement": statement(Principal=["*"])}, "Statement[0].Principal", '"*"', id="Principal a list"),
        pytest.param(
            {"Statement": statement(Principal={})},
            "Statement[0].Principal",
            "at least one",
            id="Principal an empty map",
        ),
        pytest.param(
            {"Statement": statement(Principal={"AWS": []})},
            "Statement[0].Principal",
            "empty",
            id="Principal AWS an empty list",
        ),
        pytest.param(
            {"Statement": statement(Principal={"AWS": ["111111111111", 7]})},
            "Statement[0].Principal",
            "string",
            id="Principal AWS entry a number",
        ),
        pytest.param(
            {"Statement": statement(Principal={"Group": "admins"})},
            "Statement[0].Principal",
            "unknown principal type",
            id="Principal of an unknown type",
        ),
        pytest.param(
            {"Statement": statement(Action=None)},
            "Statement[0]",
            "exactly one of Action or NotAction",
            id="Action missing",
        ),
        pytest.param(
            {"Statement": statement(NotAction="sts:TagSession")},
            "Statement[0]",
            "exactly one of Action or NotAction",
            id="both Action and NotAction",
        ),
        pytest.param({"Statement": statement(Action=5)}, "Statement[0].Action", "string", id="Action a number"),
        pytest.param({"Statement": statement(Action=[])}, "Statement[0].Action", "empty", id="Action an empty list"),
        pytest.param(
            {"Statement": statement(Resource="*", NotResource="*")},
            "Statement[0]",
            "both Resource and NotResource",
            id="both Resource and NotResource",
        ),
        pytest.param(
            {"Statement": statement(NotPrincipal={"AWS": "*"})},
            "Statement[0]",
            "both Principal and NotPrincipal",
            id="both Principal and NotPrincipal",
        ),
        pytest.param({"Statement": statement(Sid=3)}, "Statement[0].Sid", "string", id="Sid a number"),
        pytest.param(
            {"Statement": statement(Condition="StringEquals")},
            "Statement[0].Condition",
            "object",
            id="Condition a string",
        ),
        pytest.param(
            {"Statement": statement(Condition={"StringEquals": "abc"})},
            "Statement[0].Condition",
            "StringEquals",
            id="Condition operator without keys",
        ),
        pytest.param(
            {"Statement": statement(Condition={"StringEquals": {"sts:ExternalId": {"a": 1}}})},
            "Statement[0].Condition",
            "sts:ExternalId",
            id="Condition value an object",
        ),
        pytest.param(
            {"Statement": statement(Condition={"StringEquals": {"sts:ExternalId": None}})},
            "Statement[0].Condition",
            "sts:ExternalId",
            id="Condition value null",
        ),
        pytest.param({"Statement": "Allow everyone"}, "Statement", "object or a list", id="Statement a string"),
        pytest.param({"Version": "2012-10-17"}, "Statement", "missing", id="Statement missing"),
        pytest.param({"Statement": [ASSUME, "x"]}, "Statement[1]", "", id="second statement not an object"),
        pytest.param(
            {"Statement": [ASSUME, statement(Foo="bar")]},
            "Statement[1].Foo",
            "unknown element",
            id="unknown element in the second statement",
        ),
        pytest.param({"Statement": ASSUME, "Foo": "bar"}, "Foo", "unknown element", id="unknown top-level element"),
        pytest.param({"Version": "2013-01-01", "Statement": ASSUME}, "Version", "2012-10-17", id="unknown Version"),
        pytest.param({"Version": 2012, "Statement": ASSUME}, "Version", "2012-10-17", id="Version a number"),
        pytest.param({"Id": 3, "Statement": ASSUME}, "Id", "string", id="Id a number"),
        # The grammar's element names are exactly "Statement", "Resource", ...; the model's Python field names
        # ("statements", "resource", "not_action") are not policy grammar, and the location names the key as
        # written in the document.
        pytest.param(
            {"Statement": statement(resource="*")},
            "Statement[0].resource",
            "unknown element",
            id="field name resource instead of Resource",
        ),
        pytest.param(
            {"Statement": statement(not_action="sts:TagSession", Action=None)},
            "Statement[0].not_action",
            "unknown element",
            id="field name not_action instead of NotAction",
        ),
        pytest.param(
            {"Statement": [ASSUME], "statements": [ASSUME]},
            "statements",
            "unknown element",
            id="field name statements beside Statement",
        ),
    ],
)
def test_bad_documents_name_the_place(document: dict[str, Any], location: str, message: str) -> None:
    # GIVEN a document that is not policy grammar  WHEN parsed
    with pytest.raises(PolicyParseError) as caught:
        parse_policy(document, source="role/Target")
    # THEN the error names the document, the place inside it and what is wrong there
    assert caught.value.location == location
    assert message in caught.value.detail
    assert caught.value.source == "role/Target"
    assert str(caught.value).startswith(f"role/Target: {location}: ")


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        pytest.param('{"Statement": [\n  }', 2, 3, id="JSON text"),
        pytest.param(quote('{"Statement": [\n  }', safe=""), 2, 3, id="URL-encoded JSON text"),
        pytest.param("", 1, 1, id="empty text"),
        pytest.param("Version: 2012-10-17", 1, 1, id="YAML"),
    ],
)
def test_text_that_is_not_json_names_line_and_column(text: str, line: int, column: int) -> None:
    # GIVEN text that is not JSON  WHEN parsed
    with pytest.raises(PolicyParseError) as caught:
        parse_policy(text, source="trust.json")
    # THEN the message says it is not JSON and where the JSON parser stopped
    assert "not JSON" in caught.value.detail
    assert f"line {line} column {column}" in caught.value.detail
    assert caught.value.source == "trust.json"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param([ASSUME], id="a list"),
        pytest.param(json.dumps([ASSUME]), id="JSON text of a list"),
        pytest.param('"{}"', id="JSON text of a string"),
        pytest.param(None, id="None"),
        pytest.param(42, id="a number"),
    ],
)
def test_a_document_must_be_an_object(raw: object) -> None:
    # GIVEN JSON that is not an object  WHEN parsed  THEN PolicyParseError says a document is an object
    with pytest.raises(PolicyParseError, match="must be a JSON object"):
        parse_policy(raw)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1" * 5000, id="a 5000-digit number alone"),
        pytest.param(
            '{"Statement": '
            + json.dumps(statement(Condition={"NumericLessThan": {"sts:DurationSeconds": 0}})).replace(
                ": 0}", ": " + "9" * 5000 + "}"
            )
            + "}",
            id="a 5000-digit number as a condition value",
        ),
    ],
)
def test_a_number_too_long_for_python_is_a_parse_error(text: str) -> None:
    # GIVEN JSON text with an integer longer than Python converts by default (4300 digits)  WHEN parsed
    # THEN it is refused as a PolicyParseError, like any other text the parser cannot read
    with pytest.raises(PolicyParseError):
        parse_policy(text)
