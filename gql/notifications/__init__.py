"""GraphQL surface of the notifications domain."""
