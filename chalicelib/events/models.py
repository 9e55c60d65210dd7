"""Pydantic models of the EventBridge "AWS API Call via CloudTrail" event and its CloudTrail detail.

Field names follow CloudTrail's record (camelCase aliases, ``sourceIPAddress``, ``requestID``, ``eventID``);
attributes are snake_case. Unknown fields are kept, never rejected: CloudTrail adds fields over time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from ..iam.errors import PolicyParseError
from ..iam.policy import decode_document

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
# requestParameters that carry a policy document as JSON text (plain or URL-encoded).
POLICY_TEXT_PARAMETERS = ("assumeRolePolicyDocument", "policyDocument")


class EventParseError(ValueError):
    """An event is not a CloudTrail event Trustwatch can read; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.detail = message
        super().__init__(f"{field}: {message}")


class _Record(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=True)


class SessionIssuer(_Record):
    type: str | None = None
    principal_id: str | None = None
    arn: str | None = None
    account_id: str | None = None
    user_name: str | None = None


class SessionAttributes(_Record):
    creation_date: datetime | None = None
    mfa_authenticated: bool | None = None


class WebIdFederationData(_Record):
    federated_provider: str | None = None
    attributes: dict[str, Any] | None = None


class SessionContext(_Record):
    session_issuer: SessionIssuer | None = None
    attributes: SessionAttributes | None = None
    source_identity: str | None = None
    web_id_federation_data: WebIdFederationData | None = None


class UserIdentity(_Record):
    type: str
    principal_id: str | None = None
    arn: str | None = None
    account_id: str | None = None
    access_key_id: str | None = None
    user_name: str | None = None
    invoked_by: str | None = None
    session_context: SessionContext | None = None
    identity_provider: str | None = None
    credential_id: str | None = None


class TlsDetails(_Record):
    tls_version: str | None = None
    cipher_suite: str | None = None
    client_provided_host_header: str | None = None


class CloudTrailDetail(_Record):
    """One CloudTrail management-event record, as EventBridge delivers it in ``detail``."""

    event_version: str
    user_identity: UserIdentity
    event_time: datetime
    event_source: str
    event_name: str
    aws_region: str
    source_ip_address: str | None = Field(default=None, alias="sourceIPAddress")
    user_agent: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    request_parameters: dict[str, Any] | None = None
    response_elements: dict[str, Any] | None = None
    additional_event_data: dict[str, Any] | None = None
    request_id: str | None = Field(default=None, alias="requestID")
    event_id: str = Field(alias="eventID")
    shared_event_id: str | None = Field(default=None, alias="sharedEventID")
    read_only: bool | None = None
    resources: list[dict[str, Any]] | None = None
    event_type: str | None = None
    management_event: bool | None = None
    recipient_account_id: str | None = None
    event_category: str | None = None
    session_credential_from_console: bool | None = None
    tls_details: TlsDetails | None = None

    def request(self, key: str) -> Any:
        """A request parameter, or None when the record has none."""
        return (self.request_parameters or {}).get(key)

    def response(self, key: str) -> Any:
        return (self.response_elements or {}).get(key)


class CloudTrailEvent(EventBridgeModel):
    """The EventBridge envelope with a typed CloudTrail ``detail``."""

    detail: CloudTrailDetail

    @property
    def account_id(self) -> str:
        """The account whose trail recorded the call (the role's account for IAM events)."""
        return self.detail.recipient_account_id or self.account


def parse_event(raw: Mapping[str, Any]) -> CloudTrailEvent:
    """Validate a raw EventBridge event; EventParseError names the first offending field."""
    if not isinstance(raw, Mapping):
        raise EventParseError("event", f"expected a JSON object, got {type(raw).__name__}")
    data = dict(raw)
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        data["version"] = str(version)  # chalice.test's generate_cw_event sends 0; EventBridge sends "0"
    try:
        event = CloudTrailEvent.model_validate(data)
    except ValidationError as exc:
        raise _parse_error(exc) from None
    _check_policy_texts(event.detail)
    return event


def _parse_error(exc: ValidationError) -> EventParseError:
    errors = exc.errors()
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"]) or "event"
    message = str(first["msg"])
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem(s))"
    return EventParseError(field, message)


def _check_policy_texts(detail: CloudTrailDetail) -> None:
    for key in POLICY_TEXT_PARAMETERS:
        value = detail.request(key)
        if value is None or isinstance(value, dict):
            continue
        field = f"detail.requestParameters.{key}"
        if not isinstance(value, str):
            raise EventParseError(field, f"expected policy text, got {type(value).__name__}")
        try:
            document = decode_document(value, source=field)
        except PolicyParseError as exc:
            raise EventParseError(field, exc.detail) from None
        if not isinstance(document, dict):
            raise EventParseError(field, "a policy document must be a JSON object")
