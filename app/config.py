"""Settings from the environment (prefix CASUSREGIE_), validated once at start-up."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Development-only defaults. They are public (this file is in the repo), so production refuses them.
DEV_JWT_SECRET = "casusregie-dev-secret-do-not-use-in-production"
DEV_BSN_HASH_KEY = "casusregie-dev-bsn-key-do-not-use-in-production"

PROJECT_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASUSREGIE_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./casusregie.db"
    # Production unless development is asked for (`--dev`, `casusregie demo`, CASUSREGIE_ENV=development):
    # a server started with only a database URL must not accept tokens signed with the public dev secret.
    env: Literal["development", "production"] = "production"
    jwt_secret: str | None = None
    jwt_issuer: str = "casusregie-dev"
    jwt_audience: str = "casusregie"
    jwks: str | None = None
    bsn_hash_key: str | None = None
    log_level: str = "INFO"
    # Comma lists as operators write them (NoDecode: pydantic-settings would parse them as JSON first and
    # refuse `a,b`; `_split_csv` takes both forms).
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # 30 kept, none opened beyond: the same ceiling as the 20 + 10 before, but an overflow connection is opened and
    # closed again for each use while more than the pool is busy, and at 32 clients on one worker that churn (a
    # PostgreSQL backend and its log-in per request) doubled the list pages' p99 (bench/RESULTS.md, a sixth pass).
    db_pool_size: int = Field(default=30, ge=1, le=200)
    db_max_overflow: int = Field(default=0, ge=0, le=200)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Bearer token for GET /metrics (and /readyz's detail). Unset: /metrics is open in development and not
    # served in production (counts and latencies per route are reconnaissance for an attacker).
    metrics_token: str | None = None
    # Organisations whose beheerders administer organisations, convenants and subscriptions (comma list).
    # Unset: the organisations of kind `zvh`; while none is registered yet, any beheerder (to create it).
    admin_organisations: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The audit ledger (app/audit/ledger.py). Chaining: `inline` in the request's transaction (SQLite's default:
    # one writer), `deferred` through the staging table and one chainer per database (PostgreSQL's default).
    audit_chaining: Literal["inline", "deferred"] | None = None
    # Ed25519 private key (PEM file) that signs the checkpoints; development generates one beside the sink.
    audit_signing_key: Path | None = None
    # Where signed checkpoints leave the database: an append-only directory, and/or an HTTP witness (POST).
    # Unset in development: a directory beside the SQLite file, or ./audit-checkpoints/<database>.
    audit_checkpoint_dir: Path | None = None
    audit_witness_url: str | None = None
    audit_checkpoint_interval: float = Field(default=1.0, gt=0, le=3600)
    # With deferred chaining, whether `serve` processes stand for the chainer's election too. Set false where
    # `casusregie worker` runs (the chainer then never competes with requests for a process's CPU); true by
    # default, so that without a worker nothing stays unchained.
    audit_chainer_in_serve: bool = True
    # `casusregie worker`: seconds between its passes over the deadlines (app/cases/deadlines.py).
    worker_interval: float = Field(default=60.0, gt=0, le=86_400)
    # Retention (app/retention): whether `casusregie worker` destroys the personal data of cases past their
    # retention term, and the seconds between its passes (daily). The processing register states destruction
    # only while this is enabled.
    retention_enabled: bool = True
    retention_interval: float = Field(default=86_400.0, gt=0, le=7 * 86_400)
    # The worker's deadline passes inside the serving process (`casusregie demo`: one process shows it all).
    worker_in_process: bool = False
    # Events (app/events): the CloudEvents `source` of this care and safety house (a URN, NL GOV profile).
    event_source: str = Field(default="urn:nl:zvh:casusregie", min_length=5, max_length=200,
                              pattern=r"^(urn:|https://)\S+$")
    # Hosts, IP addresses and CIDRs webhooks may be delivered to (comma list; app/events/ssrf.py). Unset: none,
    # so that no subscription can make the worker reach into the network it runs in.
    webhook_allow: Annotated[list[str], NoDecode] = Field(default_factory=list)
    webhook_timeout: float = Field(default=10.0, gt=0, le=60)
    # The worker looks for new events and due retries this often (seconds).
    event_poll_interval: float = Field(default=1.0, gt=0, le=3600)
    # Retries: exponential backoff from the first delay, with jitter, until the event is this old; then
    # dead-lettered.
    webhook_retry_first: float = Field(default=30.0, gt=0, le=3600)
    webhook_retry_for: float = Field(default=24 * 3600.0, gt=0, le=7 * 24 * 3600)
    # ex_gedetineerde (app/workflows/release_dates.py): the voorbereiding terugkeer is due this many days before
    # the expected release; a screened release date may lie at most so far ahead or back.
    return_preparation_days: int = Field(default=90, ge=0, le=730)
    release_date_max_ahead_days: int = Field(default=5 * 365 + 1, ge=1, le=40 * 366)
    release_date_max_past_days: int = Field(default=14, ge=0, le=366)
    # `casusregie migrate` connects as the schema owner; the service runs as a role that may not rewrite
    # the audit log (README "Running as a restricted database role"). Unset: CASUSREGIE_DATABASE_URL.
    migration_database_url: str | None = None
    policies_dir: Path = PROJECT_DIR / "policies"
    migrations_dir: Path = PROJECT_DIR / "migrations"

    @field_validator("cors_origins", "trusted_proxies", "admin_organisations", "webhook_allow", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        # Accept "a,b" as well as a JSON list, so a plain env var works.
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @property
    def effective_jwt_secret(self) -> str | None:
        """HS256 secret; development falls back to the public dev secret, production never does."""
        if self.jwt_secret:
            return self.jwt_secret
        return DEV_JWT_SECRET if self.env == "development" else None

    @property
    def effective_bsn_hash_key(self) -> str:
        if self.bsn_hash_key:
            return self.bsn_hash_key
        if self.env == "development":
            return DEV_BSN_HASH_KEY
        raise ConfigError("CASUSREGIE_BSN_HASH_KEY is not set")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def effective_audit_chaining(self) -> Literal["inline", "deferred"]:
        if self.audit_chaining is not None:
            return self.audit_chaining
        return "inline" if self.is_sqlite else "deferred"

    @property
    def effective_checkpoint_dir(self) -> Path | None:
        """Where checkpoints are written and read. Production: only where the operator said; development: a
        directory beside the SQLite file (so each demo database has its own), else ./audit-checkpoints."""
        if self.audit_checkpoint_dir is not None:
            return self.audit_checkpoint_dir
        if self.env != "development":
            return None
        sqlite_file = self.sqlite_path
        if sqlite_file is not None:
            return sqlite_file.parent / f"{sqlite_file.name}.audit-checkpoints"
        # One directory per database: checkpoints of one log are no evidence about another.
        database = self.database_url.rsplit("/", 1)[-1].split("?", 1)[0] or "default"
        return Path("audit-checkpoints") / database

    @property
    def effective_signing_key(self) -> Path | None:
        """The checkpoint signing key's PEM file. Development without one: generated once and kept beside the
        checkpoint directory (`<dir>.signing-key.pem`), so restarts sign with the same key."""
        if self.audit_signing_key is not None:
            return self.audit_signing_key
        directory = self.effective_checkpoint_dir
        if self.env != "development" or directory is None:
            return None
        return directory.parent / f"{directory.name}.signing-key.pem"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None (PostgreSQL, or an in-memory database)."""
        if not self.is_sqlite:
            return None
        _, _, rest = self.database_url.partition(":///")
        path = rest.split("?", 1)[0]
        if not path or path == ":memory:":
            return None
        return Path(path)

    @property
    def effective_migration_url(self) -> str:
        return self.migration_database_url or self.database_url

    def production_problems(self) -> list[str]:
        """Reasons this configuration must not serve production traffic."""
        problems: list[str] = []
        if self.env != "production":
            return problems
        if not self.jwks:
            problems.append("CASUSREGIE_JWKS is required in production (RS256/ES256 against a JWKS)")
        elif self.jwks.strip().lower().startswith("http://"):
            problems.append("CASUSREGIE_JWKS must be an https URL or a local file (keys over plain http can be "
                            "replaced on the way)")
        if self.jwt_secret is not None:
            problems += _weak_key("CASUSREGIE_JWT_SECRET", self.jwt_secret, DEV_JWT_SECRET, "secret")
        if not self.bsn_hash_key:
            problems.append("CASUSREGIE_BSN_HASH_KEY must be set to a private key in production")
        else:
            problems += _weak_key("CASUSREGIE_BSN_HASH_KEY", self.bsn_hash_key, DEV_BSN_HASH_KEY, "key")
        if self.audit_signing_key is None:
            problems.append("CASUSREGIE_AUDIT_SIGNING_KEY (an Ed25519 private key, PEM) is required in production: "
                            "it signs the audit checkpoints")
        if self.audit_checkpoint_dir is None and not self.audit_witness_url:
            problems.append("CASUSREGIE_AUDIT_CHECKPOINT_DIR or CASUSREGIE_AUDIT_WITNESS_URL is required in "
                            "production: signed checkpoints must leave the database")
        return problems


MIN_KEY_BYTES = 32


def _weak_key(name: str, value: str, development_value: str, what: str) -> list[str]:
    """A production key must be private (not the published development one, however it is padded or cased)
    and long enough to resist guessing (HMAC keys: at least 32 bytes, RFC 2104's output size for SHA-256)."""
    if value.strip().lower() == development_value.lower():
        return [f"{name} is the public development {what}"]
    if len(value.strip().encode("utf-8")) < MIN_KEY_BYTES:
        return [f"{name} must hold at least {MIN_KEY_BYTES} bytes of key material"]
    return []


class ConfigError(RuntimeError):
    """The configuration is unfit to start with."""


@lru_cache
def get_settings() -> Settings:
    return Settings()


def check_settings(settings: Settings) -> None:
    problems = settings.production_problems()
    if problems:
        raise ConfigError("refusing to start: " + "; ".join(problems))
