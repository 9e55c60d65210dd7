"""The composition root: the one place that reads the environment, builds boto3 clients and wires the ports.

Clients are built lazily, once per Lambda container (`current()` caches the wiring for the settings it was
built from). Locally — the CLI's ``replay`` and ``demo`` — the same wiring runs against in-memory state or an
``AWS_ENDPOINT_URL`` stand-in.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .auditor.account_graph import AccountGraphs
from .auditor.auditor import Auditor
from .auditor.graph_cache import DynamoGraphCache, InMemoryGraphCache
from .auditor.memory import (
    DynamoDeniedLog,
    DynamoTrustHistory,
    InMemoryDeniedLog,
    InMemoryTrustHistory,
)
from .aws_bounds import Bounded, bounded_config
from .config import Config, load_yaml, parse_config
from .inventory.port import LoadResult
from .notify.base import Notifier
from .notify.deadline import Deadline
from .notify.secrets import webhook_url_provider
from .notify.slack import SlackNotifier
from .notify.sns import SnsNotifier
from .rules.findings import Severity
from .rules.settings import check_rule_settings
from .state.store import DynamoFindingStore, FindingStore, InMemoryFindingStore


@dataclass(frozen=True)
class Settings:
    """What the deployment passes in environment variables (see .chalice/config.json, deploy/)."""

    table: str | None = None
    topic_arn: str | None = None
    slack_secret: str | None = None
    min_severity: Severity = Severity.MEDIUM
    config_parameter: str | None = None
    audit_role_name: str | None = None
    region: str | None = None
    inventory_ttl: int = 300  # seconds an inventory may serve role-assumption checks in a warm container

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            table=env.get("TRUSTWATCH_TABLE") or None,
            topic_arn=env.get("TRUSTWATCH_TOPIC_ARN") or None,
            slack_secret=env.get("TRUSTWATCH_SLACK_SECRET") or None,
            min_severity=Severity(env.get("TRUSTWATCH_MIN_SEVERITY") or "medium"),
            config_parameter=env.get("TRUSTWATCH_CONFIG_PARAMETER") or None,
            audit_role_name=env.get("TRUSTWATCH_AUDIT_ROLE_NAME") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            inventory_ttl=int(env.get("TRUSTWATCH_INVENTORY_TTL") or 300),
        )


@dataclass
class Wiring:
    settings: Settings
    session_factory: Callable[[], Any] | None = None  # default: a boto3 Session from the environment
    extra_notifiers: Sequence[Notifier] = ()
    _sns_clients: dict[int, Any] = field(default_factory=dict, repr=False)
    # The current invocation's end: every AWS call the wiring's clients make fits in what is left of it.
    invocation: Deadline = field(default_factory=Deadline.unbounded, repr=False)

    def begin(self, context: Any) -> Auditor:
        """Start an invocation (``context``: its Lambda context, or None): the auditor whose sends end by the
        notification deadline, with the DynamoDB, IAM, STS and SSM calls bounded by the invocation's end."""
        self.invocation = Deadline.whole(context)
        return self.auditor.within(Deadline.of(context))

    def _left(self) -> float:
        return self.invocation.remaining()

    @cached_property
    def session(self) -> Any:
        return (self.session_factory or _boto3_session)()

    def _client(self, service: str) -> Any:
        """A client of ``service`` whose calls fit the current invocation (`aws_bounds.Bounded`)."""
        region = self.settings.region
        return Bounded(lambda config: self.session.client(service, region_name=region, config=config), self._left)

    @cached_property
    def table(self) -> Any:
        region, name = self.settings.region, self.settings.table
        build = lambda config: self.session.resource("dynamodb", region_name=region, config=config).Table(name)  # noqa: E731
        return Bounded(build, self._left)

    @cached_property
    def idempotency_layer(self) -> Any:
        """Powertools idempotency records in the state table: one persistence layer (and client) per container."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415  (boto3)

        return DynamoDBPersistenceLayer(
            table_name=str(self.settings.table),
            key_attr="pk",
            sort_key_attr="sk",
            boto3_client=self._client("dynamodb"),
        )

    @cached_property
    def config(self) -> Config:
        """The configuration file kept in SSM; its notify section refines the stage's environment."""
        name = self.settings.config_parameter
        if not name:
            return Config()
        ssm = self._client("ssm")
        try:
            text = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ssm.exceptions.ParameterNotFound:
            return Config()  # no configuration yet: only each role's own account is trusted
        source = f"SSM parameter {name}"
        return check_rule_settings(parse_config(_decode_config(text, name), source=source), source=source)

    @cached_property
    def store(self) -> FindingStore:
        return DynamoFindingStore(self.table) if self.settings.table else InMemoryFindingStore()

    @cached_property
    def notifiers(self) -> list[Notifier]:
        notify = self.config.notify
        # The stage's environment sets the default threshold; the configuration file refines it per channel.
        minimum = notify.min_severity if "min_severity" in notify.model_fields_set else self.settings.min_severity
        notifiers: list[Notifier] = list(self.extra_notifiers)
        topic = notify.sns_topic_arn or self.settings.topic_arn
        if topic:
            sns_min = notify.sns_min_severity or minimum
            notifiers.append(SnsNotifier(None, topic, sns_min, client_for=self.sns_client))
        secret = notify.slack_webhook_secret or self.settings.slack_secret
        if secret:
            url = webhook_url_provider(secret, session=self.session, region=self.settings.region)
            notifiers.append(SlackNotifier(url, notify.slack_min_severity or minimum))
        return notifiers

    def sns_client(self, timeout: float) -> Any:
        """An SNS client whose connect and read end within ``timeout`` seconds, with no retry of its own (a
        publish whose answer was lost may have gone out: the outbox resends it, once). One per whole second."""
        seconds = max(1, int(timeout))
        if seconds not in self._sns_clients:
            from botocore.config import Config as BotoConfig  # type: ignore[import-untyped]  # noqa: PLC0415

            config = BotoConfig(
                connect_timeout=min(seconds, 3), read_timeout=seconds, retries={"total_max_attempts": 1}
            )
            self._sns_clients[seconds] = self.session.client("sns", region_name=self.settings.region, config=config)
        return self._sns_clients[seconds]

    @cached_property
    def auditor(self) -> Auditor:
        table = self.settings.table
        return Auditor(
            load=self.load_fresh,
            store=self.store,
            history=DynamoTrustHistory(self.table) if table else InMemoryTrustHistory(),
            denied=DynamoDeniedLog(self.table) if table else InMemoryDeniedLog(),
            notifiers=self.notifiers,
            config=self.config,
            load_recent=self.recent_loads,
            prefer_live_trust=True,  # what the auditor reads is newer than the event it reacts to
            graphs=AccountGraphs(DynamoGraphCache(self.table) if table else InMemoryGraphCache()),
        )

    @cached_property
    def recent_loads(self) -> RecentLoads:
        return RecentLoads(self.load, ttl=dt.timedelta(seconds=self.settings.inventory_ttl))

    def load_fresh(self, accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        """What changes and re-scans read: always from AWS, and then the newest for assumption checks too."""
        return self.recent_loads.remember(accounts, organization, self.load(accounts, organization))

    def load(self, accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        from .inventory.boto3_iam import Backoff  # noqa: PLC0415  (boto3 only where accounts are read)
        from .inventory.live import LiveSource  # noqa: PLC0415

        left = self._left()
        return LiveSource(
            backoff=Backoff(left=self._left),  # a throttling wait never outlives the invocation
            session=self.session,
            config=bounded_config(left, attempts=5) if left != float("inf") else None,  # IAM, STS, Organizations
            accounts=accounts,
            organization=organization,
            assume_role_name=self.settings.audit_role_name,
            region=self.settings.region,
        ).load()


class RecentLoads:
    """A loader that reuses what it loaded for the same accounts within ``ttl`` (per warm Lambda container)."""

    def __init__(
        self,
        load: Callable[[Sequence[str] | None, bool], LoadResult],
        *,
        ttl: dt.timedelta,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._load, self._ttl, self._clock = load, ttl, clock
        self._cache: dict[tuple[tuple[str, ...] | None, bool], tuple[dt.datetime, LoadResult]] = {}

    def __call__(self, accounts: Sequence[str] | None, organization: bool) -> LoadResult:
        now = self._clock()
        self._cache = {k: v for k, v in self._cache.items() if now - v[0] < self._ttl}  # nothing outlives the ttl
        cached = self._cache.get(_key(accounts, organization))
        if cached is not None and not cached[1].errors:
            return cached[1]
        return self.remember(accounts, organization, self._load(accounts, organization))

    def remember(self, accounts: Sequence[str] | None, organization: bool, result: LoadResult) -> LoadResult:
        """Keep a fresh load (made by a change or a re-scan) so later checks use the newest inventory."""
        self._cache[_key(accounts, organization)] = (self._clock(), result)
        return result


def _key(accounts: Sequence[str] | None, organization: bool) -> tuple[tuple[str, ...] | None, bool]:
    return (tuple(sorted(accounts)) if accounts is not None else None, organization)


def _decode_config(text: str, name: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return load_yaml(text, f"SSM parameter {name}")  # JSON is tried first: YAML reads most of it too


def _boto3_session() -> Any:
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415  (the pure paths never need it)

    return boto3.session.Session()


_current: Wiring | None = None


def current() -> Wiring:
    """The wiring for this container's settings; rebuilt only when the environment changed (tests)."""
    global _current  # noqa: PLW0603  (one wiring per Lambda container is the point)
    settings = Settings.from_env()
    if _current is None or _current.settings != settings:
        _current = Wiring(settings)
    return _current
