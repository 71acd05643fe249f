"""OpenTelemetry traces, optional (`pip install 'openpal[otel]'`) and off unless configured.

A run is traced as one span per execution (`run <workflow>`, each time a worker carries
it: a run that waits or is taken over after a crash has several) with a child span per
step attempt (`step <name>`). The caller's W3C `traceparent` header on a start is kept
with the run (the `trace_parent` column), so the worker's spans, in whatever process,
continue the caller's trace. Steps read the current context as `ctx.traceparent` to pass
it on to what they call (the `openai` extraction provider sends it).

Configured with the standard variables: tracing is on when `OTEL_TRACES_EXPORTER`
(`otlp`, `console`), `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
is set (and `OTEL_SDK_DISABLED` is not `true`); `OTEL_SERVICE_NAME`,
`OTEL_RESOURCE_ATTRIBUTES` and the exporter's own variables apply as usual. A program
embedding openpal may instead install its own tracer provider before starting it.
Without a provider every call here is a cheap no-op.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

log = logging.getLogger("openpal.tracing")

__all__ = [
    "configure",
    "current_traceparent",
    "parent_for_new_run",
    "run_span",
    "set_incoming",
    "step_span",
    "valid_traceparent",
]

# version-trace id-parent id-flags, lower-case hex (W3C Trace Context, level 1)
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
_incoming: ContextVar[str | None] = ContextVar("openpal_traceparent", default=None)
_ON_VARS = (
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)


def valid_traceparent(value: str | None) -> str | None:
    """The header if it is a valid `traceparent`, else None (an invalid one is ignored,
    as the W3C recommendation says: the run starts a trace of its own)."""
    if not value:
        return None
    value = value.strip()
    head = value[:55]
    if not _TRACEPARENT.fullmatch(head) or head[:2] == "ff":
        return None
    if len(value) > 55 and (head[:2] == "00" or value[55] != "-"):
        return None  # version 00 is exactly this long; later ones only add fields
    if head[3:35] == "0" * 32 or head[36:52] == "0" * 16:
        return None
    return head


def set_incoming(header: str | None) -> None:
    """The request's `traceparent`, for the runs this request starts."""
    _incoming.set(valid_traceparent(header))


def parent_for_new_run() -> str | None:
    """What a run started now continues: the request's `traceparent`, else the span the
    caller is in (a program tracing itself), else nothing."""
    return _incoming.get() or current_traceparent()


def _tracing() -> Any:
    """The OpenTelemetry API when a real tracer provider is installed, else None."""
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    if isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider
    ):
        return None
    return trace


def current_traceparent() -> str | None:
    """The `traceparent` of the span the caller is in (None when not tracing)."""
    trace = _tracing()
    if trace is None:
        return None
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def run_span(run_id: str, workflow: str, parent: str | None, attempt: int) -> Iterator[None]:
    """The span of one execution of a run, a child of `parent` when there is one."""
    trace = _tracing()
    if trace is None:
        yield
        return
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    context = TraceContextTextMapPropagator().extract({"traceparent": parent}) if parent else None
    tracer = trace.get_tracer("openpal")
    attributes = {
        "openpal.run_id": run_id,
        "openpal.workflow": workflow,
        "openpal.takeover": attempt,
    }
    with tracer.start_as_current_span(
        f"run {workflow}", context=context, kind=trace.SpanKind.CONSUMER, attributes=attributes
    ):
        yield


@contextmanager
def step_span(
    name: str, step_type: str, attempt: int, calm: tuple[type[BaseException], ...] = ()
) -> Iterator[None]:
    """The span of one attempt of a step; an exception marks it failed, except those in
    `calm` (a pause, a refusal, a cancel: not errors of the step)."""
    trace = _tracing()
    if trace is None:
        yield
        return
    from opentelemetry.trace import Status, StatusCode

    tracer = trace.get_tracer("openpal")
    attributes = {"openpal.step": name, "openpal.step_type": step_type, "openpal.attempt": attempt}
    with tracer.start_as_current_span(
        f"step {name}", attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield
        except calm:
            raise
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"[:500]))
            raise


def configure(env: Mapping[str, str] | None = None) -> bool:
    """Install a tracer provider exporting as the `OTEL_*` variables say; False when
    tracing is off (nothing configured, disabled, or the extra not installed)."""
    env = os.environ if env is None else env
    wanted = any(env.get(name) for name in _ON_VARS)
    exporter_name = (env.get("OTEL_TRACES_EXPORTER") or "otlp").strip().lower()
    if not wanted or exporter_name == "none" or env.get("OTEL_SDK_DISABLED", "") == "true":
        return False
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError:
        log.warning("OTEL_* is set but OpenTelemetry is not installed: pip install 'openpal[otel]'")
        return False
    if exporter_name == "console":
        exporter: Any = ConsoleSpanExporter()
    elif exporter_name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            log.warning("OTLP export needs opentelemetry-exporter-otlp-proto-http: openpal[otel]")
            return False
        exporter = OTLPSpanExporter()
    else:
        log.warning("OTEL_TRACES_EXPORTER=%s: openpal knows otlp, console, none", exporter_name)
        return False
    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": "openpal"}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return True
