"""Powertools Logger, Metrics and Tracer, created once for the whole app.

The Tracer needs the X-Ray SDK, which the deployment package does not bundle (it drags in botocore and
doubles cold starts); where the SDK is absent (the package, a laptop) a no-op tracer with the same decorators
stands in, so handlers are traced exactly when X-Ray is available (e.g. through the Powertools layer).
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

SERVICE = "trustwatch"
logger = Logger(service=SERVICE)
metrics = Metrics(namespace="Trustwatch", service=SERVICE)
# The state and notify packages log through the standard library (they stay free of Powertools); their lines
# come out as the same JSON, with the correlation id, through the app logger's configuration. Their loggers are
# named after this package: `chalicelib` in the Chalice app, `trustwatch` in the installed wheel (there they are
# children of the service's own logger already). A hard-coded `chalicelib` would configure another Chalice
# app's loggers from the wheel.
PACKAGE = __name__.partition(".")[0]
logging.getLogger(PACKAGE)  # registered first: the copy only reaches loggers that already exist
copy_config_to_registered_loggers(source_logger=logger, include={PACKAGE})


class _NoTracer:
    """The two Tracer decorators the app uses, doing nothing."""

    def capture_lambda_handler(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        return handler

    def capture_method(self, method: Callable[..., Any]) -> Callable[..., Any]:
        return method


def _tracer() -> Any:
    if importlib.util.find_spec("aws_xray_sdk") is None:
        return _NoTracer()
    from aws_lambda_powertools import Tracer  # noqa: PLC0415  (imports the X-Ray SDK)

    return Tracer(service=SERVICE)


tracer = _tracer()
