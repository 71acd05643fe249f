"""An upload over the size limit answers 413 with the envelope and leaves nothing behind."""

from __future__ import annotations

from tests.api.test_runs import assert_envelope
from tests.conftest import start_server


def test_oversized_file_is_413_and_nothing_is_kept(tmp_path, db_url):
    srv = start_server(
        tmp_path / "data", env={"OPENPAL_MAX_UPLOAD_BYTES": "1000"}, database_url=db_url
    )
    try:
        with srv.client() as api:
            resp = api.post(
                "/api/v1/run/workflows.file-info",
                data={"_json": "{}"},
                files={"doc": ("big.bin", b"x" * 5000, "application/octet-stream")},
            )
            body = assert_envelope(resp, 413)
            assert "1000-byte limit" in body["issues"][0]["message"]
            assert api.get("/api/v1/runs", params={"source": "file-info"}).json()["runs"] == []
            ok = api.post(
                "/api/v1/run/workflows.file-info",
                data={"_json": "{}"},
                files={"doc": ("small.bin", b"x" * 999, "application/octet-stream")},
                params={"wait_for_completion": 20},
            )
            assert ok.status_code == 200 and ok.json()["output"]["info"]["size"] == 999
        blobs = tmp_path / "data" / "blobs"
        assert list((blobs / "tmp").iterdir()) == []
        assert [p.stat().st_size for p in (blobs / "sha256").rglob("*") if p.is_file()] == [999]
    finally:
        srv.stop()
