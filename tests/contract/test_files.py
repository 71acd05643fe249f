"""The files section of the Store contract (uploaded files, http-chunked sessions), and
retention of uploaded files and their blobs, on every backend."""

import asyncio

import pytest

from openpal.blobs.factory import make_blob_store
from openpal.errors import Conflict, NotFound
from openpal.files import FileRef
from openpal.service import retention
from openpal.service.files import FileService
from openpal.store.file_records import FileRecord, UploadChunk, UploadRecord

T0 = 1_800_000_000_000_000  # µs
BLOB = "sha256:" + "b" * 64


def _file(fid="file_a", tenant="t1", blob=BLOB, at=T0, purpose=None):
    return FileRecord(fid, tenant, blob, "a.pdf", "application/pdf", 10, purpose, at)


def _upload(uid="upl_a", tenant="t1", key=None, size=25, at=T0, filename="big.bin"):
    return UploadRecord(
        uid, tenant, f"file_of_{uid}", filename, "application/octet-stream", size, None, key,
        10, 3, "pending", at, at + 1_000_000,
    )  # fmt: skip


async def test_files_round_trip_per_tenant(store):
    await store.create_file(_file())
    await store.create_file(_file("file_b", purpose="run-input"))
    await store.create_file(_file("file_c", tenant="t2"))
    assert await store.get_file("t1", "file_a") == _file()
    assert await store.get_file("t2", "file_a") is None  # another tenant's: not there
    assert await store.get_file("t1", "file_none") is None
    found = await store.find_files("t1", ["file_a", "file_b", "file_c", "file_none"])
    assert sorted(f.id for f in found) == ["file_a", "file_b"]
    assert await store.find_files("t1", []) == []
    assert await store.delete_file("t2", "file_a") is False
    assert await store.delete_file("t1", "file_a") is True
    assert await store.delete_file("t1", "file_a") is False
    assert await store.get_file("t1", "file_a") is None


async def test_blobs_of_files_and_pending_chunks_are_referenced(store):
    other, chunk = "sha256:" + "c" * 64, "sha256:" + "d" * 64
    await store.create_file(_file())
    await store.create_upload(_upload(), T0)
    assert await store.save_upload_chunk(UploadChunk("upl_a", 0, chunk, 10))
    assert await store.referenced_files([BLOB, other, chunk]) == {BLOB, chunk}
    await store.delete_file("t1", "file_a")
    await store.abort_upload("t1", "upl_a")
    assert await store.referenced_files([BLOB, other, chunk]) == set()


async def test_prune_files_keeps_temporary_ones_a_shorter_time(store):
    await store.create_file(_file("file_old", at=T0))
    await store.create_file(_file("file_tmp", at=T0 + 50, purpose="run-input"))
    await store.create_file(_file("file_new", at=T0 + 50))
    await store.create_file(_file("file_tmp_new", at=T0 + 200, purpose="builder-attachment"))
    assert await store.prune_files(T0 + 10, T0 + 100, 1) == 1  # bounded batch
    assert await store.prune_files(T0 + 10, T0 + 100, 10) == 1
    assert await store.prune_files(T0 + 10, T0 + 100, 10) == 0
    left = await store.find_files("t1", ["file_old", "file_tmp", "file_new", "file_tmp_new"])
    assert sorted(f.id for f in left) == ["file_new", "file_tmp_new"]


async def test_an_idempotency_key_answers_the_same_pending_session(store):
    first = await store.create_upload(_upload("upl_1", key="k"), T0)
    again = await store.create_upload(_upload("upl_2", key="k"), T0 + 1)
    assert again == first
    other_tenant = await store.create_upload(_upload("upl_3", tenant="t2", key="k"), T0)
    assert other_tenant.id == "upl_3"
    with pytest.raises(Conflict) as err:
        await store.create_upload(_upload("upl_4", key="k", size=26), T0 + 1)
    assert err.value.issues[0].field == "idempotencyKey"
    # once expired (or ended), the key starts a new session
    expired = await store.create_upload(_upload("upl_5", key="k"), T0 + 2_000_000)
    assert expired.id == "upl_5"
    assert await store.get_upload("t1", "upl_1") == first
    assert await store.get_upload("t2", "upl_1") is None


async def test_chunks_complete_into_a_file_once(store):
    await store.create_upload(_upload(), T0)
    for i in (2, 0, 1):
        assert await store.save_upload_chunk(UploadChunk("upl_a", i, f"sha256:{i}", 10))
    assert await store.save_upload_chunk(UploadChunk("upl_a", 2, "sha256:again", 5))
    chunks = await store.list_upload_chunks("upl_a")
    assert [(c.index, c.blob_id, c.size) for c in chunks] == [
        (0, "sha256:0", 10),
        (1, "sha256:1", 10),
        (2, "sha256:again", 5),
    ]
    made = _file("file_of_upl_a", blob="sha256:joined")
    assert await store.complete_upload("upl_a", made) == made
    assert (await store.get_upload("t1", "upl_a")).status == "completed"
    assert await store.list_upload_chunks("upl_a") == []
    assert not await store.save_upload_chunk(UploadChunk("upl_a", 0, "sha256:late", 10))
    # completing again answers the file it became, without a second one
    assert await store.complete_upload("upl_a", _file("file_of_upl_a", blob="x")) == made
    assert await store.get_file("t1", "file_of_upl_a") == made
    assert await store.complete_upload("upl_none", made) is None


async def test_abort_drops_chunks_and_only_pending_sessions_abort(store):
    await store.create_upload(_upload(), T0)
    await store.save_upload_chunk(UploadChunk("upl_a", 0, "sha256:0", 10))
    assert await store.abort_upload("t2", "upl_a") is None
    assert (await store.abort_upload("t1", "upl_a")).status == "aborted"
    assert await store.list_upload_chunks("upl_a") == []
    assert (await store.abort_upload("t1", "upl_a")).status == "aborted"
    assert await store.complete_upload("upl_a", _file("file_of_upl_a")) is None
    assert await store.get_file("t1", "file_of_upl_a") is None
    assert await store.abort_upload("t1", "upl_none") is None


async def test_prune_uploads_deletes_expired_sessions_with_their_chunks(store):
    await store.create_upload(_upload("upl_old", at=T0), T0)
    await store.create_upload(_upload("upl_new", at=T0 + 5_000_000), T0)
    await store.save_upload_chunk(UploadChunk("upl_old", 0, "sha256:old", 10))
    assert await store.prune_uploads(T0 + 2_000_000, 10) == 1
    assert await store.get_upload("t1", "upl_old") is None
    assert await store.list_upload_chunks("upl_old") == []
    assert await store.referenced_files(["sha256:old"]) == set()
    assert (await store.get_upload("t1", "upl_new")).status == "pending"


async def _chunks(*parts: bytes):
    for p in parts:
        yield p


async def test_retention_deletes_old_uploads_then_their_blobs(open_store, tmp_path):
    store = await open_store()
    blobs = make_blob_store(store, tmp_path / "blobs", postgres=open_store.backend == "postgres")
    files = FileService(store, blobs, max_upload_bytes=100, max_file_bytes=1000)
    kept = await files.create("t1", _chunks(b"kept"), filename="k.txt", content_type="text/plain")
    gone = await files.create(
        "t1", _chunks(b"gone"), filename="g.txt", content_type="text/plain", purpose="run-input"
    )
    await asyncio.sleep(0.01)
    # temporary files go after a day at most, whatever the retention age
    retention.TEMPORARY_FILE_SECONDS, saved = 0.001, retention.TEMPORARY_FILE_SECONDS
    try:
        assert await retention.prune_files(store, 30) == 1
    finally:
        retention.TEMPORARY_FILE_SECONDS = saved
    assert await retention.collect_files(store, blobs, grace_seconds=0) == 1
    with pytest.raises(NotFound):
        await files.get("t1", gone.id)
    _, path = await files.open_content("t1", kept.id)
    assert path.read_bytes() == b"kept"
    # a run's reference outlives the file: resolve keeps the blob id
    ref = await files.resolve_file_ids("t1", {"doc": {"$fileId": kept.id}})
    assert ref["doc"] == FileRef(kept.blob_id, "k.txt", "text/plain", 4)
    assert await retention.prune_files(store, 0.0000001, batch=1) == 1  # a full batch, then none
    assert await retention.collect_files(store, blobs, grace_seconds=0) == 1
    with pytest.raises(NotFound):
        await files.get("t1", kept.id)


async def test_resolve_file_ids_at_any_depth(store, tmp_path):
    from openpal.blobs.local import LocalBlobStore
    from openpal.errors import InvalidInput

    files = FileService(store, LocalBlobStore(tmp_path), max_upload_bytes=100, max_file_bytes=100)
    a = await files.create("t1", _chunks(b"aa"), filename="a.txt", content_type="text/plain")
    theirs = await files.create("t2", _chunks(b"zz"), filename="z.txt", content_type="text/plain")
    ref = FileRef(a.blob_id, "a.txt", "text/plain", 2)
    value = {
        "doc": {"$fileId": a.id},
        "many": [{"$fileId": a.id}, {"deeper": [{"$fileId": a.id}]}],
        "not_a_ref": {"$fileId": a.id, "other": 1},  # only the one-key form is a reference
        "n": 3,
    }
    assert await files.resolve_file_ids("t1", value) == {
        "doc": ref,
        "many": [ref, {"deeper": [ref]}],
        "not_a_ref": {"$fileId": a.id, "other": 1},
        "n": 3,
    }
    plain = {"x": [1, {"y": "z"}]}
    assert await files.resolve_file_ids("t1", plain) is plain
    with pytest.raises(NotFound) as err:
        await files.resolve_file_ids("t1", {"a": {"$fileId": theirs.id}, "b": [{"$fileId": "f"}]})
    assert [(i.field, i.code) for i in err.value.issues] == [
        ("input.a", "not_found"),
        ("input.b[0]", "not_found"),
    ]
    assert "zz" not in str(err.value)
    with pytest.raises(InvalidInput) as bad:
        await files.resolve_file_ids("t1", {"a": {"$fileId": None}})
    assert bad.value.issues[0].field == "input.a"


async def test_an_expired_session_takes_no_chunks_and_does_not_complete(store, tmp_path):
    from openpal.blobs.local import LocalBlobStore
    from openpal.service.files import UPLOAD_TTL_SECONDS

    now = [T0]
    files = FileService(
        store, LocalBlobStore(tmp_path), max_upload_bytes=4, max_file_bytes=100,
        clock=lambda: now[0],
    )  # fmt: skip
    upload = await files.negotiate(
        "t1", filename="b.bin", content_type="application/octet-stream", size=6,
        purpose=None, idempotency_key=None,
    )  # fmt: skip
    assert upload is not None and (upload.chunk_size, upload.chunk_count) == (4, 2)
    assert (await files.put_chunk("t1", upload.id, 0, _chunks(b"abcd"))).size == 4
    now[0] += UPLOAD_TTL_SECONDS * 1_000_000
    assert files.is_expired(await files.get_upload("t1", upload.id))
    for attempt in (
        files.put_chunk("t1", upload.id, 1, _chunks(b"ef")),
        files.complete_upload("t1", upload.id),
    ):
        with pytest.raises(Conflict) as err:
            await attempt
        assert "expired" in err.value.message and err.value.issues[0].field == "uploadId"
