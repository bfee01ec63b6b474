"""GraphiQL without the internet: momentum's own page (a welcome query, how to sign in and
send the token) and GraphiQL's assets from `gql/static/graphiql`, pinned and gzipped."""

import gzip
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

ASSETS = Path(__file__).parent / "static" / "graphiql"
MEDIA = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# The page loads only what this server serves: nothing from elsewhere can run in it.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'"
)


@cache
def page() -> str:
    return (ASSETS / "index.html").read_text()


def page_response() -> Response:
    return Response(
        page(), media_type="text/html", headers={"content-security-policy": PAGE_POLICY}
    )


@cache
def _compressed(name: str) -> bytes | None:
    path = ASSETS / f"{name}.gz"
    if "/" in name or not path.is_file():
        return None
    return path.read_bytes()


async def asset(request: Request) -> Response:
    """GET /graphiql/<name>: a pinned asset (gzipped when the client takes gzip)."""
    name = request.path_params["name"]
    body = _compressed(name)
    media = MEDIA.get(Path(name).suffix)
    if body is None or media is None:
        return Response("not found", status_code=404, media_type="text/plain")
    headers = {"cache-control": "public, max-age=31536000, immutable", "vary": "accept-encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(body, media_type=media, headers=headers)
    return Response(gzip.decompress(body), media_type=media, headers=headers)
