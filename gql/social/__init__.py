"""GraphQL surface of the social domain."""
