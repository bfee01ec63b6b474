"""GraphQL surface of achievements."""
