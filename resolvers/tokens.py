"""Access tokens (HS256 JWT) and opaque refresh tokens."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from resolvers.errors import Unauthenticated

ALGORITHM = "HS256"
ISSUER = "momentum"
AUDIENCE = "momentum"
SUPABASE_AUDIENCE = "authenticated"


@dataclass(frozen=True)
class TokenPolicy:
    secret: str
    access_lifetime: timedelta
    refresh_lifetime: timedelta
    accept_supabase: bool = False


def issue_access_token(*, user_id: uuid.UUID, policy: TokenPolicy, now: datetime) -> str:
    claims = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + policy.access_lifetime,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    return jwt.encode(claims, policy.secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    expires_at: datetime


def access_claims(token: str, *, policy: TokenPolicy) -> AccessClaims:
    """The token's user and expiry; Unauthenticated for anything but a valid, unexpired
    HS256 token."""
    audiences = [AUDIENCE, SUPABASE_AUDIENCE] if policy.accept_supabase else [AUDIENCE]
    try:
        claims = jwt.decode(
            token,
            policy.secret,
            algorithms=[ALGORITHM],
            audience=audiences,
            options={"require": ["sub", "exp", "iat", "aud"]},
        )
        return AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("access token expired; refresh it") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Unauthenticated("invalid access token") from None


def new_refresh_token() -> tuple[str, str]:
    """A random refresh token and the hash under which it is stored."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
