"""A real OpenAI-compatible chat-completions server on 127.0.0.1 for tests, speaking
the way the local servers openpal documents do where they differ:

- `openai` and `vllm`: `response_format: json_schema` accepted, `usage` in the answer;
- `ollama`: no `usage` in the answer (older Ollama versions), no API key needed;
- `llamacpp`: a 400 for `response_format: {type: json_schema}` (older llama.cpp
  servers), `json_object` accepted.

Each answer's content comes from `reply(body)`; `status` (a list) answers those HTTP
statuses first (e.g. 503 while "loading the model"); `delay` sleeps before answering.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USAGE = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}


class FakeChat:
    def __init__(
        self,
        reply: Callable[[dict[str, Any]], str],
        *,
        style: str = "openai",
        status: list[int] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.reply, self.style, self.delay = reply, style, delay
        self.status = list(status or [])
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("authorization"),
                        "traceparent": self.headers.get("traceparent"),
                        "body": body,
                    }
                )
                if fake.delay:
                    time.sleep(fake.delay)
                code, answer = fake.answer(body)
                data = json.dumps(answer).encode()
                try:
                    self.send_response(code)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.status:
            code = self.status.pop(0)
            return code, {"error": {"message": f"status {code}", "type": "server_error"}}
        kind = (body.get("response_format") or {}).get("type")
        if self.style == "llamacpp" and kind == "json_schema":
            return 400, {"error": {"code": 400, "message": "Unsupported response_format type"}}
        answer: dict[str, Any] = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.reply(body)},
                    "finish_reason": "stop",
                }
            ],
        }
        if self.style != "ollama":
            answer["usage"] = USAGE
        return 200, answer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
