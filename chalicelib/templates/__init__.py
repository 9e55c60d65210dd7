"""Infrastructure-as-code input for ``trustwatch check-template``: CloudFormation and SAM templates (YAML with
short-form tags, or JSON), CDK cloud assemblies and Terraform plans, read into the IAM roles, users, groups
and policies they would create, each with its file, line and resource. Pure: no AWS client.

``discover`` finds the inputs, ``cloudformation.extract``/``terraform.extract`` read one into an `Extracted`,
``inventory_of`` turns that into the `Inventory` the rules audit, ``locate`` gives findings their location.
"""

from __future__ import annotations

from . import cloudformation, terraform
from .discover import Input, discover
from .errors import TemplateError
from .inventory import inventory_of
from .locate import error_records, locate
from .model import Extracted

PLACEHOLDER_ACCOUNT = "000000000000"  # "this account" when the deploying account is not given


def extract(item: Input, account_id: str | None, partition: str = "aws") -> Extracted:
    account = item.account_id or account_id or PLACEHOLDER_ACCOUNT
    if item.kind == "terraform":
        return terraform.extract(item.data, item.file, account, partition)
    return cloudformation.extract(item.data, item.file, account, partition, region=item.region)


__all__ = ["PLACEHOLDER_ACCOUNT", "Extracted", "Input", "TemplateError", "discover", "error_records", "extract",
           "inventory_of", "locate"]  # fmt: skip
