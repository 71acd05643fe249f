"""Handlers of the /v1 generation: run_parts (being built)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
