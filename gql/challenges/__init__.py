"""GraphQL surface of the challenges domain."""
