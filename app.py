"""Trustwatch's Lambda handlers: parse, call the service, return a summary. Nothing else lives here."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from chalice.app import Chalice

from chalicelib.service import decide_cases

app = Chalice(app_name="trustwatch", configure_logs=False)  # Powertools logs; Chalice's would print twice
logger = Logger(service="trustwatch")


@app.lambda_function(name="can_assume")
def can_assume(event: Any, context: Any) -> dict[str, Any]:
    """Direct invocation: one case or a list of cases (assume-role-vectors format) -> decisions."""
    return decide_cases(event, logger=logger)
