"""GraphQL surface of the goals domain."""
