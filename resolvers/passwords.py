"""Password hashing: argon2id for new hashes; bcrypt ($2b$, from Supabase) still verifies."""

import asyncio

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


async def hash_password(password: str) -> str:
    """Hashes in a worker thread: argon2 takes tens of milliseconds of CPU."""
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password: str, stored_hash: str | None) -> bool:
    """Whether the password matches; a missing hash (OAuth-only account) never matches."""
    matches = await asyncio.to_thread(_verify, password, stored_hash or _DUMMY_HASH)
    return matches and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """True for bcrypt hashes and argon2 hashes with outdated parameters."""
    return stored_hash.startswith(BCRYPT_PREFIXES) or _hasher.check_needs_rehash(stored_hash)
