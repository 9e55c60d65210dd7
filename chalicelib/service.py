"""What the handlers call: the use cases, composed from the pure core. No AWS client is created here."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.iam.cases import request_from_case
from chalicelib.iam.errors import InvalidRequestError, PolicyParseError
from chalicelib.iam.evaluate import can_assume
from chalicelib.iam.trust import trust_policy_problems


def decide_cases(payload: Any, *, logger: logging.Logger | Any) -> dict[str, Any]:
    """Decide each case of the payload. A bad case yields an error entry and never blocks the others."""
    cases = payload if isinstance(payload, list) else [payload]
    results: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        try:
            name, request = request_from_case(case, source=f"case {index}")
            problems = trust_policy_problems(request.trust_policy)
            if problems:
                raise PolicyParseError(f"{problems[0]} (IAM would refuse this trust policy)", source=f"case {index}")
            decision = can_assume(request)
        except (PolicyParseError, InvalidRequestError) as exc:
            logger.warning("bad case", extra={"case_index": index, "error": str(exc)})
            results.append({"index": index, "error": str(exc)})
            continue
        results.append(
            {
                "name": name,
                "decision": decision.decision.value,
                "reasons": list(decision.reasons),
                "unknown": list(decision.unknown),
            }
        )
    return {"results": results, "errors": sum(1 for r in results if "error" in r)}
