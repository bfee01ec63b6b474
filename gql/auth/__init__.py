"""GraphQL surface of the auth domain."""
