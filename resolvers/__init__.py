"""Domain logic per domain: queries, commands and policies, with no GraphQL in sight."""
