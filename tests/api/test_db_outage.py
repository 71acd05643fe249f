"""PostgreSQL goes away and comes back: the API answers 503 envelopes (retry), not
500s, and then serves again, with LISTEN reconnected, without a restart.

The outage is real: the server reaches PostgreSQL through a TCP proxy that the
test closes (dropping every connection) and reopens.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from urllib.parse import urlsplit

from tests.api.test_runs import assert_envelope
from tests.conftest import free_port, start_server
from tests.pg import fresh_database


class Proxy:
    """Forwards 127.0.0.1:<port> to the database; `cut()` drops everything, `mend()` resumes."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.mend()

    def mend(self) -> None:
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", self.port))
        lsock.listen(64)
        self._listener = lsock
        threading.Thread(target=self._accept, args=(lsock,), daemon=True).start()

    def cut(self) -> None:
        assert self._listener is not None
        # shutdown wakes the thread blocked in accept(); close alone would not
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for c in self._conns:
                with contextlib.suppress(OSError):
                    c.shutdown(socket.SHUT_RDWR)
                c.close()
            self._conns.clear()

    def _accept(self, lsock: socket.socket) -> None:
        while True:
            try:
                client, _ = lsock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def test_database_outage_is_503_then_recovers(tmp_path):
    with fresh_database() as url:
        parts = urlsplit(url)
        proxy = Proxy((parts.hostname or "127.0.0.1", parts.port or 5432))
        via_proxy = url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")
        srv = start_server(tmp_path / "data", database_url=via_proxy)
        try:
            with srv.client() as api:
                ok = api.post("/api/v1/run/workflows.hello", params={"wait_for_completion": 20})
                assert ok.json()["status"] == "completed"

                proxy.cut()
                down = api.get("/api/v1/runs")
                body = assert_envelope(down, 503)
                assert body["issues"][0]["code"] == "unavailable"
                assert down.headers["retry-after"] == "1"
                assert_envelope(api.get("/readyz"), 503)
                assert api.get("/healthz").status_code == 200  # alive, just not ready

                proxy.mend()
                deadline = time.monotonic() + 20
                while api.get("/readyz").status_code != 200:
                    assert time.monotonic() < deadline, "never became ready again"
                    time.sleep(0.1)
                again = api.post(
                    "/api/v1/run/workflows.hello",
                    params={"wait_for_completion": 20},
                    json={"name": "back"},
                )
                assert again.status_code == 200, again.text
                assert again.json()["output"]["greeting"] == "Hello, back!"
                listing = api.get("/api/v1/runs").json()["runs"]
                assert len(listing) == 2
            assert "database unavailable" in srv.log()
            assert "unexpected" not in srv.log()  # no request ended in a 500
        finally:
            srv.stop()
            proxy.cut()
