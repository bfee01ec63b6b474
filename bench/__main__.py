"""`python -m bench <scenario> [options]`: one command per benchmark scenario."""

import runpy
import sys

from bench import fanout

SCENARIOS = {
    "feed-query": "bench.feed_query",
    "realtime-latency": "bench.realtime_latency",
    "leaderboard": "bench.leaderboard",
    "validation": "bench.validation",
    "reconnect-storm": "bench.reconnect_storm",
    "relay": "bench.relay",
    "ws-implementations": "bench.ws_implementations",
    "achievement-rules": "bench.achievement_rules",
}

if __name__ == "__main__":
    scenario = sys.argv[1] if len(sys.argv) > 1 else ""
    if scenario in ("fanout", "connect-storm"):
        fanout.main(sys.argv[1:])
    elif scenario in SCENARIOS:
        sys.argv = [SCENARIOS[scenario], *sys.argv[2:]]
        runpy.run_module(SCENARIOS[scenario], run_name="__main__")
    else:
        names = ", ".join([*SCENARIOS, "fanout", "connect-storm"])
        sys.exit(f"usage: python -m bench <scenario> [options]; scenarios: {names}")
