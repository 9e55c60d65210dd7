"""Where the compiled graph of each account waits for the next IAM change (issue 7: work in proportion to it).

The blob is the graph's JSON (`iam.graph_store`: tables and packed numbers) with the configuration digest
it was audited under, gzipped. Two adapters: in memory (tests, CLI, demo) and the auditor's DynamoDB table.
DynamoDB items hold 400 KB, so the blob is cut into chunks written under a new generation first; the head
item, written last, names the generation and the blob's SHA-256. A reader that finds a head whose chunks are
missing or do not match (a writer killed half-way, or a race) gets None: the caller then compiles afresh,
never works from half a graph.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..iam.graph_fingerprint import Fingerprints
from ..iam.graph_rows import GraphRows
from ..iam.graph_store import StoredGraph, StoredGraphError, dump_graph, load_graph

GRAPH_PREFIX = "GRAPH#"
HEAD_SK = "HEAD"
CHUNK = 350_000  # bytes per item, below DynamoDB's 400 KB with the key and attribute names


class GraphCache(Protocol):
    def get(self, account_id: str) -> bytes | None: ...

    def put(self, account_id: str, blob: bytes) -> None: ...


def encode(prints: Fingerprints, rows: GraphRows, config_digest: str) -> bytes:
    body = {"config": config_digest, "graph": dump_graph(prints, rows)}
    return gzip.compress(json.dumps(body, separators=(",", ":")).encode(), compresslevel=1)


def decode(blob: bytes | None, config_digest: str) -> StoredGraph | None:
    """The stored graph, or None when there is none, it is unreadable, or another configuration made it."""
    if blob is None:
        return None
    try:
        body = json.loads(gzip.decompress(blob))
        if not isinstance(body, dict) or body.get("config") != config_digest:
            return None
        return load_graph(body.get("graph"))
    except (OSError, EOFError, ValueError, StoredGraphError):
        return None


@dataclass
class InMemoryGraphCache:
    blobs: dict[str, bytes] = field(default_factory=dict)

    def get(self, account_id: str) -> bytes | None:
        return self.blobs.get(account_id)

    def put(self, account_id: str, blob: bytes) -> None:
        self.blobs[account_id] = blob


class DynamoGraphCache:
    """Items ``GRAPH#<account>``/``HEAD`` (generation, chunks, sha256) and ``GRAPH#<account>``/``CHUNK#<gen>#<n>``."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, account_id: str) -> bytes | None:
        pk = GRAPH_PREFIX + account_id
        head = self._table.get_item(Key={"pk": pk, "sk": HEAD_SK}, ConsistentRead=True).get("Item")
        if not head:
            return None
        chunks = {item["sk"]: bytes(item["data"]) for item in self._chunks(pk, f"CHUNK#{head['generation']}#")}
        parts = [chunks.get(f"CHUNK#{head['generation']}#{i:05d}") for i in range(int(head["chunks"]))]
        if any(p is None for p in parts):
            return None
        blob = b"".join(p for p in parts if p is not None)
        return blob if hashlib.sha256(blob).hexdigest() == head["sha256"] else None

    def put(self, account_id: str, blob: bytes) -> None:
        pk = GRAPH_PREFIX + account_id
        generation = uuid.uuid4().hex[:12]
        pieces = [blob[i : i + CHUNK] for i in range(0, len(blob), CHUNK)] or [b""]
        for i, piece in enumerate(pieces):
            self._table.put_item(Item={"pk": pk, "sk": f"CHUNK#{generation}#{i:05d}", "data": piece})
        head = {"pk": pk, "sk": HEAD_SK, "generation": generation, "chunks": len(pieces),
                "sha256": hashlib.sha256(blob).hexdigest()}  # fmt: skip
        self._table.put_item(Item=head)
        for item in self._chunks(pk, "CHUNK#"):  # the generations before: nobody reads them any more
            if not item["sk"].startswith(f"CHUNK#{generation}#"):
                self._table.delete_item(Key={"pk": pk, "sk": item["sk"]})

    def _chunks(self, pk: str, prefix: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": pk, ":prefix": prefix},
        }
        items: list[dict[str, Any]] = []
        while True:
            page = self._table.query(ConsistentRead=True, **kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
