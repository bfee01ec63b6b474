"""GraphQL surface of the blog domain."""
