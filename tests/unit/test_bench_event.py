"""The per-event benchmark measures what it says: the first event audits the whole account, the next ones are
incremental, and its shortcut around moto's table copies keeps a failed transaction all-or-nothing. Each runs
in a child process, because the benchmark patches moto for its whole process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}

ROLLBACK = """
import boto3
from moto import mock_aws
from benchmarks.bench_event import _single_writer_transactions
from chalicelib.state.dynamo import TABLE_SCHEMA
_single_writer_transactions()
with mock_aws():
    table = boto3.resource("dynamodb").create_table(TableName="s", **TABLE_SCHEMA)
    client = boto3.client("dynamodb")
    table.put_item(Item={"pk": "a", "sk": "1", "v": 1})
    put = lambda pk, v: {"Put": {"TableName": "s", "Item": {"pk": {"S": pk}, "sk": {"S": "1"}, "v": {"N": v}}}}
    check = {"ConditionCheck": {"TableName": "s", "Key": {"pk": {"S": "zz"}, "sk": {"S": "1"}},
             "ConditionExpression": "attribute_exists(pk)"}}
    try:
        client.transact_write_items(TransactItems=[put("a", "2"), put("b", "2"), check])
    except client.exceptions.TransactionCanceledException:
        print("cancelled")
    b = table.get_item(Key={"pk": "b", "sk": "1"})
    print(table.get_item(Key={"pk": "a", "sk": "1"})["Item"]["v"], "b" if "Item" in b else "-")
    client.transact_write_items(TransactItems=[put("b", "3")])
    print(table.get_item(Key={"pk": "b", "sk": "1"})["Item"]["v"])
"""


def test_a_failed_transaction_leaves_the_table_as_it_was() -> None:
    done = subprocess.run([sys.executable, "-c", ROLLBACK], env=ENV, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["cancelled", "1", "-", "3"]


def test_the_first_event_is_the_whole_account_and_the_next_are_incremental() -> None:
    command = [sys.executable, "-m", "benchmarks.bench_event", "--sizes", "120x40x2", "--events", "1"]
    done = subprocess.run(command, env=ENV, capture_output=True, text=True, check=True, cwd=ROOT)
    rows = [line.split(" | ") for line in done.stdout.splitlines()[2:]]
    assert [(row[1], row[-1].rstrip(" |")) for row in rows] == [
        ("whole account (first event)", "whole account"),
        ("identity", "incremental"),
        ("trust", "incremental"),
    ]
    assert all(int(row[3]) > 0 and row[4] == "1" for row in rows)  # DynamoDB calls counted, one GAAD page
