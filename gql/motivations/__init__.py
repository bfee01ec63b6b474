"""GraphQL surface of motivation: the daily message and scheduled pushes."""
