"""GraphQL surface of meals and daily nutrition."""
