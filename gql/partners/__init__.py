"""GraphQL surface of accountability partners."""
