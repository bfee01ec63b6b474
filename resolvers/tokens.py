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
    supabase_issuer: str | None = None  # required with accept_supabase


def issue_access_token(
    *, user_id: uuid.UUID, policy: TokenPolicy, now: datetime, session_version: int = 0
) -> str:
    """`sv` is the user's session version when issued: a token of an older one is refused."""
    claims = {
        "sub": str(user_id),
        "sv": session_version,
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
    session_version: int = 0  # tokens from before versions (and Supabase's) count as 0


VERIFIED_TOKENS_KEPT = 10_000
_verified: dict[tuple[TokenPolicy, str], AccessClaims] = {}


def access_claims(token: str, *, policy: TokenPolicy) -> AccessClaims:
    """The token's user and expiry; Unauthenticated for anything but a valid, unexpired
    HS256 token of ours (`iss` momentum, `aud` momentum) or, when accepted, a Supabase
    project's signed-in user (`aud` authenticated, its `iss`, `role` authenticated, not
    anonymous: service_role and anon keys are refused).

    A client sends the same token with every request until it refreshes it: the claims of
    the last VERIFIED_TOKENS_KEPT tokens verified are kept (keyed by the whole token, its
    signature included, so only a token verified before matches), and only the expiry is
    checked again."""
    claims = _verified.get((policy, token))
    if claims is None:
        claims = _verified_claims(token, policy)
        if len(_verified) >= VERIFIED_TOKENS_KEPT:
            del _verified[next(iter(_verified))]  # the oldest
        _verified[(policy, token)] = claims
    if claims.expires_at <= datetime.now(UTC):
        raise Unauthenticated("access token expired; refresh it")
    return claims


def _verified_claims(token: str, policy: TokenPolicy) -> AccessClaims:
    supabase = policy.accept_supabase and policy.supabase_issuer is not None
    audiences = [AUDIENCE, SUPABASE_AUDIENCE] if supabase else [AUDIENCE]
    issuers = [ISSUER, policy.supabase_issuer] if supabase else [ISSUER]
    try:
        claims = jwt.decode(
            token,
            policy.secret,
            algorithms=[ALGORITHM],
            audience=audiences,
            issuer=[issuer for issuer in issuers if issuer is not None],
            options={"require": ["sub", "exp", "iat", "aud", "iss"]},
        )
        if not _claims_agree(claims, policy):
            raise jwt.InvalidTokenError("claims of one issuer with another's")
        return AccessClaims(
            user_id=uuid.UUID(str(claims["sub"])),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            session_version=_session_version(claims),
        )
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("access token expired; refresh it") from None
    except (jwt.InvalidTokenError, ValueError):
        raise Unauthenticated("invalid access token") from None


def _session_version(claims: dict[str, object]) -> int:
    version = claims.get("sv", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise jwt.InvalidTokenError("sv is not an integer")
    return version


def _claims_agree(claims: dict[str, object], policy: TokenPolicy) -> bool:
    """Our tokens name us as issuer and audience; Supabase's name their project and a
    signed-in, non-anonymous user."""
    if claims["iss"] == ISSUER:
        return claims["aud"] == AUDIENCE
    return (
        claims["iss"] == policy.supabase_issuer
        and claims["aud"] == SUPABASE_AUDIENCE
        and claims.get("role") == SUPABASE_AUDIENCE
        and claims.get("is_anonymous") is not True
    )


def new_opaque_token() -> tuple[str, str]:
    """A random token (refresh tokens, verification links) and the hash it is stored as."""
    token = secrets.token_urlsafe(32)
    return token, opaque_token_hash(token)


def opaque_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
