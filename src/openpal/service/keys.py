"""API keys: minting, hashing and checking them (with a small in-memory cache)."""

from __future__ import annotations

import hashlib
import secrets
import time

from openpal.engine.ids import new_id
from openpal.errors import Unauthorized
from openpal.store.base import Store
from openpal.store.records import ApiKeyRecord

DEFAULT_TENANT = "default"
KEY_PREFIX = "opk_"


def hash_key(key: str) -> str:
    """Keys are long random strings, so one round of SHA-256 is enough (no password KDF)."""
    return hashlib.sha256(key.encode()).hexdigest()


def mint_key(name: str, tenant_id: str = DEFAULT_TENANT) -> tuple[str, ApiKeyRecord]:
    """A new secret and the record to store for it (the secret itself is never stored)."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKeyRecord(
        id=new_id("key"),
        tenant_id=tenant_id,
        name=name,
        key_hash=hash_key(secret),
        prefix=secret[:10],
        created_at=time.time_ns() // 1000,
    )
    return secret, record


class KeyChecker:
    """Resolves a bearer token to its key record; remembers hits for a minute."""

    def __init__(self, store: Store, ttl_seconds: float = 60.0) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, ApiKeyRecord]] = {}

    async def check(self, authorization: str | None) -> ApiKeyRecord:
        if not authorization:
            raise Unauthorized("Missing API key: send Authorization: Bearer <key>")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Malformed Authorization header: expected Bearer <key>")
        digest = hash_key(token)
        hit = self._cache.get(digest)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        record = await self._store.find_api_key(digest)
        if record is None:
            raise Unauthorized("Invalid API key")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + self._ttl, record)
        return record
