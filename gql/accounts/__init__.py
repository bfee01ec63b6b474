"""GraphQL surface of the account lifecycle: signing out, passwords, email, deletion, export."""
