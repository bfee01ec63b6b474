"""GraphQL surface of AI plans for goals."""
