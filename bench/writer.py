"""The load generator of the fan-out benchmark, run as its own process: posts, comments on
one post, or achievement types, written with plain SQL at a fixed rate, each committed on
its own, with text "post <n>". Prints one JSON line per write (its sequence number and
commit time on the monotonic clock, comparable across processes on one machine), then one
with the CPU seconds it used.

    python -m bench.writer DSN AUTHOR_ID --writes posts|comments|achievement-types
        [--post POST_ID] --rate 5 --seconds 20
"""

import argparse
import asyncio
import json
import time
import uuid

import asyncpg
import psutil

STATEMENTS = {
    "posts": "INSERT INTO posts (user_id, content) VALUES ($1, $2)",
    "comments": "INSERT INTO comments (user_id, post_id, content) VALUES ($1, $2, $3)",
    "achievement-types": "INSERT INTO achievement_types (key, name, category) "
    "VALUES ('bench_' || replace(gen_random_uuid()::text, '-', ''), $1, 'milestone')",
}


async def write(
    dsn: str, writes: str, author: uuid.UUID, post: uuid.UUID, rate: float, seconds: float
) -> None:
    connection = await asyncpg.connect(dsn)
    statement = STATEMENTS[writes]
    arguments = {"posts": [author], "comments": [author, post], "achievement-types": []}[writes]
    started = time.monotonic()
    for number in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
        await connection.execute(statement, *arguments, f"post {number}")
        print(json.dumps({"seq": number, "committed": time.monotonic()}), flush=True)
    await connection.close()
    cpu = psutil.Process().cpu_times()
    print(json.dumps({"cpu_seconds": cpu.user + cpu.system}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dsn")
    parser.add_argument("author", type=uuid.UUID)
    parser.add_argument("--writes", choices=sorted(STATEMENTS), default="posts")
    parser.add_argument("--post", type=uuid.UUID, help="comment on this post")
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=20)
    arguments = parser.parse_args()
    asyncio.run(
        write(
            arguments.dsn,
            arguments.writes,
            arguments.author,
            arguments.post,
            arguments.rate,
            arguments.seconds,
        )
    )
