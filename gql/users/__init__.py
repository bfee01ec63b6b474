"""GraphQL surface of the users domain."""
