"""Sign-in providers' tokens (`oauth_accounts.access_token` / `refresh_token`), encrypted at
rest with Fernet (AES-128-CBC with HMAC-SHA256) under keys from settings.

Keys (`MOMENTUM_PROVIDER_TOKEN_KEYS`, comma-separated, newest first): the first encrypts,
every one decrypts. To rotate: put a new key first, keep the old ones, run
`momentum provider-tokens rotate` (re-encrypts every token under the new key, and encrypts
any plaintext token, e.g. imported from Supabase), then drop the old keys. Production
refuses to start without a key while any row holds a token (`check_keys`).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.users import OAuthAccount

FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with version byte 0x80 and a timestamp
COLUMNS = ("access_token", "refresh_token")


class MissingKey(RuntimeError):
    """Tokens are stored but no key is configured to read or write them."""


@dataclass(frozen=True)
class TokenCipher:
    keys: Sequence[str]

    @property
    def _fernet(self) -> MultiFernet:
        if not self.keys:
            raise MissingKey("MOMENTUM_PROVIDER_TOKEN_KEYS is not set")
        return MultiFernet([Fernet(key) for key in self.keys])

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise MissingKey("no configured key decrypts this token") from None

    def current(self, stored: str) -> str:
        """The stored value under the newest key (plaintext gets encrypted)."""
        if not stored.startswith(FERNET_PREFIX):
            return self.encrypt(stored)
        try:
            return self._fernet.rotate(stored.encode()).decode()
        except InvalidToken:
            raise MissingKey("no configured key decrypts a stored token") from None


def valid_key(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True


def _holding_tokens() -> ColumnElement[bool]:
    return or_(OAuthAccount.access_token.is_not(None), OAuthAccount.refresh_token.is_not(None))


async def rows_with_tokens(session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(OAuthAccount).where(_holding_tokens())
    )
    return int(count or 0)


async def check_keys(session: AsyncSession, keys: Sequence[str]) -> None:
    """MissingKey when rows hold provider tokens and no key is configured."""
    if keys:
        return
    held = await rows_with_tokens(session)
    if held:
        raise MissingKey(
            f"MOMENTUM_PROVIDER_TOKEN_KEYS is required: {held} oauth_accounts row(s) hold "
            "provider tokens, which are kept encrypted"
        )


async def rotate(session: AsyncSession, cipher: TokenCipher) -> int:
    """Re-encrypts every stored token under the newest key (plaintext ones included);
    returns how many rows changed. One transaction: all or nothing."""
    rows = await session.scalars(select(OAuthAccount).where(_holding_tokens()).with_for_update())
    changed = 0
    for row in rows:
        for column in COLUMNS:
            value = getattr(row, column)
            if value is not None:
                setattr(row, column, cipher.current(value))
        changed += 1
    await session.commit()
    return changed
