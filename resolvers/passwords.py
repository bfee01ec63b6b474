"""Password hashing: argon2id for new hashes; bcrypt ($2b$, from Supabase) still verifies."""

import asyncio
import os
from collections.abc import Callable
from typing import TypeVar

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from resolvers.errors import ServiceUnavailable

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# Verified against when the account does not exist, so timing does not reveal which emails do.
_DUMMY_HASH = _hasher.hash("not a real password")


def _verify(password: str, stored_hash: str) -> bool:
    if stored_hash.startswith(BCRYPT_PREFIXES):
        try:
            return bcrypt.checkpw(password.encode(), stored_hash.encode())
        except ValueError:  # malformed hash, or a password over bcrypt's 72 bytes
            return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# argon2id takes 64 MiB and tens of milliseconds of CPU per hash: at most one per core runs at
# once (more would only share the cores), and a burst queues up to MAX_WAITING callers.
CONCURRENT_HASHES = os.cpu_count() or 1
MAX_WAITING = 32
RETRY_SECONDS = 1
_running = asyncio.Semaphore(CONCURRENT_HASHES)
_waiting = 0
Result = TypeVar("Result")


async def _bounded(work: Callable[..., Result], *args: str) -> Result:
    """Runs the hashing work in a worker thread, CONCURRENT_HASHES at a time (a slot is held
    until its thread ends, even if the caller goes away); beyond MAX_WAITING callers
    waiting, SERVICE_UNAVAILABLE."""
    global _waiting
    if _waiting >= MAX_WAITING:
        raise ServiceUnavailable("the server is busy; retry shortly", retryAfter=RETRY_SECONDS)
    _waiting += 1
    try:
        await _running.acquire()
    finally:
        _waiting -= 1
    hashing = asyncio.ensure_future(asyncio.to_thread(work, *args))
    hashing.add_done_callback(lambda _: _running.release())
    return await asyncio.shield(hashing)


async def hash_password(password: str) -> str:
    return await _bounded(_hasher.hash, password)


async def verify_password(password: str, stored_hash: str | None) -> bool:
    """Whether the password matches; a missing hash (OAuth-only account) never matches."""
    matches = await _bounded(_verify, password, stored_hash or _DUMMY_HASH)
    return matches and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """True for bcrypt hashes and argon2 hashes with outdated parameters."""
    return stored_hash.startswith(BCRYPT_PREFIXES) or _hasher.check_needs_rehash(stored_hash)
