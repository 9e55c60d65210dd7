"""The template layer on its own: the YAML loader (short tags, lines) and intrinsic resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chalicelib.templates.errors import TemplateError
from chalicelib.templates.loader import LineDict, LineList, load
from chalicelib.templates.resolve import Scope, Unresolved, resolve

TEMPLATE = """\
Resources:
  R:
    Properties:
      A: !GetAtt Bucket.Outputs.Name
      B: !Sub ["${Name}-x", {Name: !Ref Env}]
      Version: 2012-10-17
      C:
        - !Select [1, !Split [",", "a,b,c"]]
        - !FindInMap [Accounts, !Ref Env, Id]
        - !Ref AWS::NoValue
"""


def loaded(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return load(path, "t.yaml")


def test_short_tags_load_as_long_form_with_lines(tmp_path: Path) -> None:
    props = loaded(tmp_path, TEMPLATE)["Resources"]["R"]["Properties"]
    assert props["A"] == {"Fn::GetAtt": ["Bucket", "Outputs.Name"]}  # the attribute keeps its own dots
    assert props["B"] == {"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Env"}}]}
    assert props["Version"] == "2012-10-17"  # a date-looking version stays a string
    assert isinstance(props, LineDict) and props.key_lines == {"A": 4, "B": 5, "Version": 6, "C": 7}
    assert isinstance(props["C"], LineList) and props["C"].item_lines == [8, 9, 10]


def test_resolution_with_defaults_mappings_and_no_value(tmp_path: Path) -> None:
    props = loaded(tmp_path, TEMPLATE)["Resources"]["R"]["Properties"]
    scope = Scope("111111111111", parameters={"Env": "prod"}, mappings={"Accounts": {"prod": {"Id": "222222222222"}}})
    assert resolve(props["C"], scope) == ["b", "222222222222"]  # AWS::NoValue removes the item
    assert resolve(props["B"], scope) == "prod-x"
    assert resolve({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:${!Literal}"}, scope) == (
        "arn:aws:iam::111111111111:${Literal}"
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"Ref": "Missing"}, "Ref Missing: no such parameter or resource"),
        ({"Ref": "NoDefault"}, "parameter NoDefault has no default"),
        ({"Fn::ImportValue": "shared"}, "Fn::ImportValue shared"),
        ({"Fn::GetAtt": ["Bucket", "Arn"]}, "Fn::GetAtt Bucket.Arn is only known at deployment"),
        ({"Fn::Sub": "${AWS::Region}"}, "AWS::Region is only known at deployment"),
        ({"Fn::If": ["Undefined", "a", "b"]}, "condition 'Undefined' is not defined"),
    ],
)
def test_what_the_template_does_not_decide_is_named(value: Any, reason: str) -> None:
    with pytest.raises(Unresolved, match=reason):
        resolve(value, Scope("111111111111", declared=frozenset({"NoDefault"})))


def test_yaml_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"^t\.yaml:4: not YAML"):
        loaded(tmp_path, "Resources:\n  R:\n    - a\n    b: c\n")
