"""Realtime: event capture, the elected relay, and the Redis hub (see ARCHITECTURE.md)."""
