"""API keys: minting, hashing, checking (with a small in-memory cache), listing and
revoking them."""

from __future__ import annotations

import hashlib
import secrets
import time

from openpal.engine.ids import new_id
from openpal.errors import NotFound, Unauthorized
from openpal.store.base import Store
from openpal.store.catalog_records import ApiKeyRecord

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


async def revoke_key(store: Store, id_or_prefix: str) -> ApiKeyRecord:
    """Revoke the one live key with this id or prefix (and end its sessions).

    NotFound when no live key matches, and when a prefix matches several (nothing is
    guessed)."""
    live = [k for k in await store.list_api_keys() if k.revoked_at is None]
    exact = [k for k in live if k.id == id_or_prefix or k.prefix == id_or_prefix]
    found = exact or [k for k in live if id_or_prefix and k.prefix.startswith(id_or_prefix)]
    if not found:
        raise NotFound(f"no live API key has the id or prefix {id_or_prefix!r}")
    if len(found) > 1:
        raise NotFound(
            f"{len(found)} live API keys match {id_or_prefix!r}: give the key's id instead"
        )
    await store.revoke_api_key(found[0].id, time.time_ns() // 1000)
    return found[0]


class KeyChecker:
    """Resolves a bearer token to its key record, remembering hits for `ttl_seconds`.

    Only where revocations are heard (PostgreSQL: a change to `api_keys` is announced
    to every API process, which calls `forget`) may it remember; on SQLite it is built
    with a TTL of 0, so every request reads the key (a local point read)."""

    def __init__(self, store: Store, ttl_seconds: float = 60.0) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, ApiKeyRecord]] = {}
        self._generation = 0  # a read begun before a `forget` must not be remembered

    def forget(self) -> None:
        """Keys changed (one was revoked): read every key again."""
        self._generation += 1
        self._cache.clear()

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
        generation = self._generation
        record = await self._store.find_api_key(digest)
        if record is None:
            raise Unauthorized("Invalid API key")
        if self._ttl > 0 and generation == self._generation:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now + self._ttl, record)
        return record
