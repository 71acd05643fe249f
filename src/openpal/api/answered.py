"""`KeepAlive`: a request that failed on a bug, once answered, keeps its connection.

Starlette's outermost layer answers an unexpected exception with the 500 envelope
(`errors.server_error`, which logs it with its traceback) and then raises it again, for
the server to log; uvicorn, seeing an exception after the answer, closes the connection.
A client on a kept-alive connection (every SDK) then has its next request fail with a
reset, or must reconnect, for a fault that was already answered and logged. Here an
exception raised after the whole answer was sent ends the request; one raised before
(nothing or only part answered) goes on to the server as before.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class KeepAlive:
    """Wraps the app; see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answered = False

        async def noting_send(message: Message) -> None:
            nonlocal answered
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True

        try:
            await self.app(scope, receive, noting_send)
        except Exception:
            if not answered:
                raise
