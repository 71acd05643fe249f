"""Python steps used by the test workflows."""

import hashlib

_calls: dict[str, int] = {}


def boom(message: str) -> None:
    raise ValueError(message)


def flaky(key: str, failures: int) -> dict:
    _calls[key] = _calls.get(key, 0) + 1
    if _calls[key] <= failures:
        raise RuntimeError(f"attempt {_calls[key]} failed")
    return {"attempts": _calls[key]}


def file_info(doc) -> dict:
    data = doc.read()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "mime": doc.mime_type}


async def nap(seconds: float) -> dict:
    import asyncio

    await asyncio.sleep(seconds)
    return {"slept": seconds}
