"""Taking back a refused request's new file (`BlobStore.take_back`), on every blob store
that shares content between processes: the local folder (processes of one machine) and
PostgreSQL (machines, each with its own local cache). A file is taken back only while
no other store of the same content happened since; a store after the take-back stores
the content anew."""

import asyncio

from openpal.blobs.factory import make_blob_store
from openpal.files import FileRef


async def _chunks(data: bytes):
    yield data


async def _put(blobs, data: bytes):
    return await blobs.put_stored(
        _chunks(data), name="a.bin", mime_type="application/octet-stream", max_bytes=1 << 20
    )


def _machines(store, tmp_path, backend: str):
    """Two blob stores over the same database as two machines would open them (each its
    own data folder) for PostgreSQL; two processes of one machine (one folder) for SQLite."""
    postgres = backend == "postgres"
    a = make_blob_store(store, tmp_path / "a", postgres=postgres)
    b = make_blob_store(store, tmp_path / ("b" if postgres else "a"), postgres=postgres)
    return a, b


async def _readable(blobs, ref: FileRef) -> bytes | None:
    found = await blobs.resolve(ref.to_json())
    return found.read() if found.path is not None else None


async def test_a_new_file_taken_back_is_gone_everywhere(open_store, tmp_path):
    store = await open_store()
    a, b = _machines(store, tmp_path, open_store.backend)
    stored = await _put(a, b"only the refused request had this")
    assert stored.created is True
    assert await a.take_back(stored.ref.file_id, stored.stamp) is True
    assert await _readable(a, stored.ref) is None
    assert await _readable(b, stored.ref) is None
    again = await _put(b, b"only the refused request had this")
    assert again.created is True  # stored anew, not found half-deleted
    assert await _readable(a, again.ref) == b"only the refused request had this"


async def test_content_stored_again_since_is_kept(open_store, tmp_path):
    store = await open_store()
    a, b = _machines(store, tmp_path, open_store.backend)
    mine = await _put(a, b"the same bytes in two requests")
    theirs = await _put(b, b"the same bytes in two requests")
    assert theirs.created is False
    assert theirs.stamp != mine.stamp
    assert await a.take_back(mine.ref.file_id, mine.stamp) is False
    assert await _readable(b, theirs.ref) == b"the same bytes in two requests"
    assert await _readable(a, mine.ref) == b"the same bytes in two requests"


async def test_content_there_before_is_not_created_and_never_taken_back(open_store, tmp_path):
    store = await open_store()
    a, b = _machines(store, tmp_path, open_store.backend)
    first = await _put(b, b"an older run's file")
    later = await _put(a, b"an older run's file")
    assert later.created is False
    # the later request was refused: it created nothing, so it takes nothing back
    # (and were it to try with its own stamp, only a store since would save the file)
    assert await _readable(b, first.ref) == b"an older run's file"


async def test_racing_stores_never_lose_the_content(open_store, tmp_path):
    store = await open_store()
    a, b = _machines(store, tmp_path, open_store.backend)
    for i in range(20):
        data = f"racing content {i}".encode()
        mine = await _put(a, data)
        theirs, _ = await asyncio.gather(_put(b, data), a.take_back(mine.ref.file_id, mine.stamp))
        # whatever the order, the request that stored it last can read it
        assert await _readable(b, theirs.ref) == data, i
