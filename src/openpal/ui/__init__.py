"""The web dashboard: server-rendered pages at `/`, no build step (see `routes`)."""
