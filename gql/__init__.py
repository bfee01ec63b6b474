"""The GraphQL API: Strawberry types per domain, schema, ASGI app, settings and CLI."""
