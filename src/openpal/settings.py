"""Settings: one frozen object, read from `OPENPAL_*` environment variables.

CLI flags carry the same names (`--data-dir` = `OPENPAL_DATA_DIR`) and win over
the environment. A value that cannot be cast fails naming its variable.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting with a value openpal cannot use."""


def _int(env: Mapping[str, str], key: str, default: int, minimum: int = 0) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not an integer") from None
    if value < minimum:
        raise SettingsError(f"{key}={raw!r} must be at least {minimum}")
    return value


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r} is not a number") from None


def _choice(env: Mapping[str, str], key: str, allowed: tuple[str, ...], default: str) -> str:
    raw = (env.get(key) or default).strip().lower()
    if raw not in allowed:
        raise SettingsError(f"{key}={raw!r}: use one of {', '.join(allowed)}")
    return raw


def _bool(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{key}={raw!r} is not a boolean (use true/false)")


def is_loopback(host: str) -> bool:
    """Whether a listening address is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@dataclass(frozen=True)
class Settings:
    """Everything a process of openpal can be configured with."""

    data_dir: Path = Path(".openpal")
    host: str = "127.0.0.1"
    port: int = 8000
    workflows_dirs: tuple[Path, ...] = (Path("workflows"),)
    load_examples: bool = True
    watch_workflows: bool = True  # serve: a changed workflow file becomes a new version
    watch_poll_seconds: float = 1.0  # how often the workflow folders are looked at
    concurrency: int = 8
    run_api: bool = True
    run_workers: bool = True
    lease_seconds: float = 30.0
    recovery_budget: int = 3  # takeovers after crashes before a run is failed
    retention_days: float = 30.0  # finished runs older than this are deleted; 0 keeps all
    max_hold_seconds: float = 55.0  # below the official SDK's 60 s read timeout
    max_upload_bytes: int = 50 * 1024 * 1024  # one request's file (bigger ones: http-chunked)
    max_file_bytes: int = 5 * 1024**3  # an uploaded file in all, chunked uploads included
    log_level: str = "info"
    log_format: str = "text"  # or "json": one JSON object per line
    database_url: str | None = None  # postgresql://…; None keeps the embedded SQLite file
    db_pool_size: int = 10  # connections per process (PostgreSQL)
    worker_poll_seconds: float = 1.0  # idle workers look for work this often without an event
    hold_poll_seconds: float = 2.0  # held requests re-read their run this often without an event
    blob_store: str | None = None  # "s3" for an S3-compatible bucket; default: next to the DB
    regex_max_pattern_chars: int = 1000  # transform.regex-extract: one pattern
    regex_max_text_chars: int = 1_000_000  # transform.regex-extract: the searched text
    regex_max_matches: int = 10_000  # transform.regex-extract `all: true`: matches per field
    pdf_max_pages: int = 500  # doc.pdf-text: pages of one document
    pdf_max_chars: int = 2_000_000  # doc.pdf-text: extracted text of one document
    pdf_max_seconds: float = 30.0  # doc.pdf-text: parse time (a killed worker process)
    ocr_max_pages: int = 50  # doc.pdf-text: pages (or image frames) OCR'd in one document
    ocr_seconds: float = 120.0  # doc.pdf-text: OCR time for one document (a killed worker)
    ocr_max_pixels: int = 40_000_000  # doc.pdf-text: pixels of one image or rendered page
    ocr_languages: str = "eng+deu+fra+spa+nld"  # Tesseract languages (the installed ones)
    sandbox_memory_mb: int = 1024  # address space of a sandbox worker process; 0: no cap
    max_output_chars: int = 16_000_000  # a step's or a run's output, as JSON text
    max_foreach_items: int = 10_000  # elements of one `forEach` list
    max_foreach_parallel: int = 32  # items of one `forEach` step at once (caps max_parallel)
    max_request_bytes: int | None = None  # a whole multipart body; None: max_upload_bytes + 1 MiB
    header_timeout_seconds: float = 10.0  # a request's line and headers must arrive within this
    body_timeout_seconds: float = 300.0  # a request's whole body must arrive within this
    max_connections_per_client: int = 64  # open connections from one client address; 0: no cap
    client_bytes_per_second: int = 16 << 20  # one client address's sustained sending; 0: no cap
    client_burst_bytes: int = 32 << 20  # what it may send at once before that rate applies
    metrics: bool = True  # Prometheus metrics (`/metrics`); False: none kept, none served
    metrics_public: bool = False  # `/metrics` without a key on a non-loopback address
    metrics_port: int | None = None  # also serve /metrics on this port (worker processes)
    metrics_host: str = "127.0.0.1"  # the address of `metrics_port`
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.blob_store not in (None, "s3"):
            raise SettingsError(
                f"OPENPAL_BLOB_STORE={self.blob_store!r}: use s3, or leave it unset (files then"
                " live next to the database)"
            )
        if self.metrics_port and not self.metrics_public and not is_loopback(self.metrics_host):
            raise SettingsError(
                f"OPENPAL_METRICS_HOST={self.metrics_host!r} is not a loopback address: the"
                " metrics port asks for no key; set OPENPAL_METRICS_PUBLIC=1 to serve it there"
            )
        url = self.database_url
        if url is not None and not url.startswith(("postgresql://", "postgres://")):
            scheme = url.split("://", 1)[0] if "://" in url else url[:20]
            raise SettingsError(
                f"OPENPAL_DATABASE_URL must be a postgresql:// URL (got {scheme!r});"
                " unset it to use the embedded SQLite database"
            )

    @property
    def database_path(self) -> Path:
        return self.data_dir / "openpal.db"

    @property
    def backend(self) -> str:
        return "postgres" if self.database_url else "sqlite"

    def describe_database(self) -> str:
        """Where the data lives, for logs (no password)."""
        if not self.database_url:
            return str(self.database_path.resolve())
        rest = self.database_url.split("://", 1)[1]
        return "postgresql://" + rest.rsplit("@", 1)[-1]

    @property
    def request_limit(self) -> int:
        """The most bytes one multipart body may carry, all parts together."""
        return self.max_request_bytes or self.max_upload_bytes + 1024 * 1024

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def api_key_file(self) -> Path:
        return self.data_dir / "api-key"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        dirs = env.get("OPENPAL_WORKFLOWS_DIR")
        return cls(
            data_dir=Path(env.get("OPENPAL_DATA_DIR") or ".openpal"),
            host=env.get("OPENPAL_HOST") or "127.0.0.1",
            port=_int(env, "OPENPAL_PORT", 8000, 0),
            workflows_dirs=tuple(Path(p) for p in dirs.split(os.pathsep) if p)
            if dirs
            else (Path("workflows"),),
            load_examples=_bool(env, "OPENPAL_LOAD_EXAMPLES", True),
            watch_workflows=_bool(env, "OPENPAL_WATCH_WORKFLOWS", True),
            watch_poll_seconds=_float(env, "OPENPAL_WATCH_POLL_SECONDS", 1.0),
            concurrency=_int(env, "OPENPAL_CONCURRENCY", 8, 1),
            lease_seconds=_float(env, "OPENPAL_LEASE_SECONDS", 30.0),
            recovery_budget=_int(env, "OPENPAL_RECOVERY_BUDGET", 3, 0),
            retention_days=_float(env, "OPENPAL_RETENTION_DAYS", 30.0),
            max_hold_seconds=_float(env, "OPENPAL_MAX_HOLD_SECONDS", 55.0),
            max_upload_bytes=_int(env, "OPENPAL_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, 1),
            max_file_bytes=_int(env, "OPENPAL_MAX_FILE_BYTES", 5 * 1024**3, 1),
            log_level=env.get("OPENPAL_LOG_LEVEL") or "info",
            log_format=_choice(env, "OPENPAL_LOG_FORMAT", ("text", "json"), "text"),
            database_url=env.get("OPENPAL_DATABASE_URL") or None,
            db_pool_size=_int(env, "OPENPAL_DB_POOL_SIZE", 10, 1),
            worker_poll_seconds=_float(env, "OPENPAL_WORKER_POLL_SECONDS", 1.0),
            hold_poll_seconds=_float(env, "OPENPAL_HOLD_POLL_SECONDS", 2.0),
            blob_store=env.get("OPENPAL_BLOB_STORE") or None,
            regex_max_pattern_chars=_int(env, "OPENPAL_REGEX_MAX_PATTERN_CHARS", 1000, 1),
            regex_max_text_chars=_int(env, "OPENPAL_REGEX_MAX_TEXT_CHARS", 1_000_000, 1),
            regex_max_matches=_int(env, "OPENPAL_REGEX_MAX_MATCHES", 10_000, 1),
            pdf_max_pages=_int(env, "OPENPAL_PDF_MAX_PAGES", 500, 1),
            pdf_max_chars=_int(env, "OPENPAL_PDF_MAX_CHARS", 2_000_000, 1),
            pdf_max_seconds=_float(env, "OPENPAL_PDF_MAX_SECONDS", 30.0),
            ocr_max_pages=_int(env, "OPENPAL_OCR_MAX_PAGES", 50, 0),
            ocr_seconds=_float(env, "OPENPAL_OCR_SECONDS", 120.0),
            ocr_max_pixels=_int(env, "OPENPAL_OCR_MAX_PIXELS", 40_000_000, 1),
            ocr_languages=env.get("OPENPAL_OCR_LANGUAGES") or "eng+deu+fra+spa+nld",
            sandbox_memory_mb=_int(env, "OPENPAL_SANDBOX_MEMORY_MB", 1024, 0),
            max_output_chars=_int(env, "OPENPAL_MAX_OUTPUT_CHARS", 16_000_000, 1),
            max_foreach_items=_int(env, "OPENPAL_MAX_FOREACH_ITEMS", 10_000, 1),
            max_foreach_parallel=_int(env, "OPENPAL_MAX_FOREACH_PARALLEL", 32, 1),
            max_request_bytes=_int(env, "OPENPAL_MAX_REQUEST_BYTES", 0, 0) or None,
            header_timeout_seconds=_float(env, "OPENPAL_HEADER_TIMEOUT_SECONDS", 10.0),
            body_timeout_seconds=_float(env, "OPENPAL_BODY_TIMEOUT_SECONDS", 300.0),
            max_connections_per_client=_int(env, "OPENPAL_MAX_CONNECTIONS_PER_CLIENT", 64, 0),
            client_bytes_per_second=_int(env, "OPENPAL_CLIENT_BYTES_PER_SECOND", 16 << 20, 0),
            client_burst_bytes=_int(env, "OPENPAL_CLIENT_BURST_BYTES", 32 << 20, 1),
            metrics=_bool(env, "OPENPAL_METRICS", True),
            metrics_public=_bool(env, "OPENPAL_METRICS_PUBLIC", False),
            metrics_port=_int(env, "OPENPAL_METRICS_PORT", 0, 0) or None,
            metrics_host=env.get("OPENPAL_METRICS_HOST") or "127.0.0.1",
        )

    def with_(self, **changes: Any) -> Settings:
        """A copy with some values replaced (None values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
