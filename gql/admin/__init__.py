"""GraphQL surface of the admin domain."""
