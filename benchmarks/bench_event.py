"""Benchmark of ``on_iam_change``: one IAM change audited on a generated account, as the Lambda does it.

Each size runs in its own process (so that its peak memory is its own): the finding store and the stored graph
in a DynamoDB table (moto, in process), the event's account parsed from its GetAccountAuthorizationDetails JSON
on every event, as the Lambda reads it. Measured per event: compute (wall time less the time spent inside
DynamoDB calls, which on AWS is network latency, not the function's CPU), DynamoDB calls, IAM calls (one
GetAccountAuthorizationDetails page per 1,000 entities), and peak RSS (VmHWM, reset before each event). The
baseline is the same account's first event, which audits the whole account and stores its graph, as the
auditor did on every change before issue 7.

    python -m benchmarks.bench_event [--sizes 2000x500x4,10000x2000x4,10000x2000x1] [--events 3]

A size is roles x users x accounts of the whole generated organization; the measured account is one of them.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = "2000x500x4,10000x2000x4,10000x2000x1"


def _single_writer_transactions() -> None:
    """moto deep-copies the whole table for every item of a transaction (quadratic in the table's size, minutes
    per event at 10,000 roles, which DynamoDB does not do). The benchmark has one writer: skip the table copies
    and undo a failed transaction item by item instead, which keeps its all-or-nothing meaning."""
    import importlib  # noqa: PLC0415

    models: Any = importlib.import_module("moto.dynamodb.models")  # private names: Table, its ``copy`` module

    original = models.DynamoDBBackend.transact_write_items
    real_copy = models.copy

    class _NoTableCopy:
        @staticmethod
        def deepcopy(value: Any) -> Any:
            return value if isinstance(value, models.Table) else copy.deepcopy(value)

    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            table = self.get_table(op["TableName"])
            keys = [k for k in (table.hash_key_attr, table.range_key_attr) if k]
            key = {k: op["Item"][k] for k in keys} if op_type == "Put" else op["Key"]
            current = self.get_item(op["TableName"], key)
            saved.append((op["TableName"], key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
        models.copy = _NoTableCopy
        try:
            original(self, transact_items)
        except Exception:
            for table_name, key, attributes in saved:
                if attributes is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, attributes)
            raise
        finally:
            models.copy = real_copy

    models.DynamoDBBackend.transact_write_items = transact


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # the high-water mark restarts from the current RSS


class DynamoCalls:
    """Count and time every call the table's client makes (botocore's before/after-call events)."""

    def __init__(self, client: Any) -> None:
        self.count, self.seconds, self._start = 0, 0.0, 0.0
        client.meta.events.register("before-call.dynamodb.*", self._before)
        client.meta.events.register("after-call.dynamodb.*", self._after)

    def _before(self, **_: Any) -> None:
        self._start = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.count += 1
        self.seconds += time.perf_counter() - self._start


def child(size: str, events: int) -> dict[str, Any]:
    """Measure one size (this process only); the JSON the parent reads."""
    _single_writer_transactions()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from benchmarks.generate import generate_inventory  # noqa: PLC0415
    from chalicelib.state.dynamo import TABLE_SCHEMA  # noqa: PLC0415

    roles, users, accounts = (int(n) for n in size.split("x"))
    whole = generate_inventory(roles, users, accounts=accounts)
    with mock_aws():
        table = boto3.resource("dynamodb", region_name="us-east-1").create_table(TableName="state", **TABLE_SCHEMA)
        return _measure(whole, table, events) | {"size": size}


def _measure(whole: Any, table: Any, events: int) -> dict[str, Any]:
    from benchmarks.event_world import World  # noqa: PLC0415

    world = World(whole)
    calls = DynamoCalls(table.meta.client)
    auditor = world.auditor(table)

    def one(event: Any) -> dict[str, Any]:
        _reset_peak()
        count, inside, start = calls.count, calls.seconds, time.perf_counter()
        outcome = auditor.handle(event)
        wall = time.perf_counter() - start
        return {"compute": wall - (calls.seconds - inside), "dynamodb_seconds": calls.seconds - inside,
                "calls": calls.count - count, "peak_mb": _peak_mb(), "action": outcome.action}  # fmt: skip

    cold = one(world.identity_event())
    identity = [one(world.change("user-policy")) for _ in range(events)]
    trust = [one(world.change("trust")) for _ in range(events)]
    return {"pages": world.pages(), "roles": len(world.account().roles), "cold": cold, "identity": identity,
            "trust": trust}  # fmt: skip


def report(results: Sequence[dict[str, Any]]) -> list[str]:
    lines = ["| Account (roles x users x accounts) | Change | Compute, median (worst) | DynamoDB calls | "
             "IAM calls | Peak RSS | Audited |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        label = f"{r['size']} ({r['roles']} roles in the account)"
        for name, runs in (("whole account (first event)", [r["cold"]]), ("identity", r["identity"]),
                           ("trust", r["trust"])):  # fmt: skip
            compute = [run["compute"] for run in runs]
            audited = sorted({"whole account" if "(whole account)" in run["action"] else "incremental" for run in runs})
            lines.append(
                f"| {label} | {name} | {statistics.median(compute):.2f} s ({max(compute):.2f} s) | "
                f"{max(run['calls'] for run in runs)} | {r['pages']} | {max(run['peak_mb'] for run in runs):.0f} MB "
                f"| {', '.join(audited)} |"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_event", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=DEFAULT_SIZES)
    parser.add_argument("--events", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.events)))
        return 0
    results, env = [], {**os.environ, "PYTHONPATH": str(ROOT)}
    for size in args.sizes.split(","):
        command = [sys.executable, "-m", "benchmarks.bench_event", "--child", size, "--events", str(args.events)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
        if done.returncode:
            print(f"bench_event {size}: failed\n{done.stderr}", file=sys.stderr)
            return 1
        results.append(json.loads(done.stdout.splitlines()[-1]))
    print("\n".join(report(results)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
