-- 0022: the W3C trace context (`traceparent`) a run was started with, so the worker that
-- executes it continues the caller's trace (OpenTelemetry, when configured). NULL: none.
ALTER TABLE runs ADD COLUMN trace_parent TEXT;
