"""The current EigenPal API generation, served at `/v1` (official SDK 0.11 and newer).

One run model, one service layer: these handlers present what `/api/v1` (the seed's
generation) also serves, in the shapes of `eigenpal._generated.models` (0.20.93).
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from openpal.api.v1 import auth, automations, files, reviews, run_parts, runs


def routes() -> list[BaseRoute]:
    """Every `/v1` route, in the order Starlette should match them."""
    return [
        *auth.routes,
        *runs.routes,
        *run_parts.routes,
        *automations.routes,
        *files.routes,
        *reviews.routes,
    ]
