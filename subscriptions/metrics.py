"""Prometheus metrics of the realtime path (exposed at /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS_RELAYED = Counter("momentum_events_relayed_total", "Events the relay published")
RELAY_LEADER = Gauge("momentum_relay_leader", "1 while this instance is the elected relay")
RELAY_LAG_EVENTS = Gauge("momentum_relay_lag_events", "Committed events not yet relayed")
RELAY_LAG_SECONDS = Gauge(
    "momentum_relay_lag_seconds", "Seconds since the oldest unrelayed committed event was written"
)
REDIS_RECONNECTS = Counter("momentum_redis_reconnects_total", "Redis pub/sub reconnects")
HUB_SUBSCRIBERS = Gauge("momentum_hub_subscribers", "Local subscribers of the hub")
SUBSCRIBER_OVERFLOWS = Counter(
    "momentum_subscriber_overflows_total", "Subscriber queues that overflowed (then resynced)"
)
CATCH_UPS = Counter("momentum_catch_ups_total", "Catch-ups from the event log after a gap")
LOG_READS = Counter(
    "momentum_log_reads_total", "Reads of the event log for replays (shared through the window)"
)
HANDSHAKES_REFUSED = Counter(
    "momentum_handshakes_refused_total", "Handshakes refused by admission control (1013 / 503)"
)
REPLAY_RESYNCS = Counter(
    "momentum_replay_resyncs_total", "Replays over the limit answered with RESYNC instead"
)
DELIVERIES = Counter("momentum_deliveries_total", "Events delivered to subscribers", ["field"])
OPEN_SOCKETS = Gauge("momentum_open_websockets", "Open websocket connections")
ACTIVE_SUBSCRIPTIONS = Gauge(
    "momentum_active_subscriptions", "Running GraphQL subscriptions", ["field"]
)
OPERATION_SECONDS = Histogram(
    "momentum_graphql_operation_seconds", "GraphQL operation latency", ["operation_type"]
)
LEADERBOARD_TICKS = Counter(
    "momentum_leaderboard_ticks_total", "Leaderboard snapshots computed (each for all watchers)"
)
EVENT_EXECUTIONS = Counter(
    "momentum_event_executions_total", "Subscription events executed (shared by subscribers)"
)
EVENT_REUSES = Counter(
    "momentum_event_reuses_total", "Subscription event results reused from a shared execution"
)
GROUP_MEMBERS = Gauge(
    "momentum_group_members", "Subscribers fed by a shared subscription group (fanout)"
)
