"""The hot queries of the read path: what app screens ask most. The benchmark measures them
(bench feed-query) and the tests hold each to a statement budget that does not grow with
the page (tests/test_query_budgets.py). Each takes the page size as `$first` (but the
floor, `__typename`)."""

POST_FIELDS = """id content likesCount viewerReaction author { id username }
  comments(first: 3) { edges { node { content author { id username } } } }"""

HOT_QUERIES = {
    "__typename": "{ __typename }",  # the floor: what any request costs
    "feed": f"""query($first: Int) {{ feed(first: $first) {{
      edges {{ node {{ {POST_FIELDS} }} }} }} }}""",
    "User.posts": f"""query($first: Int, $author: ID!) {{ user(id: $author) {{
      username followersCount
      posts(first: $first) {{ edges {{ node {{ {POST_FIELDS} }} }} }} }} }}""",
    "Post.comments": """query($first: Int, $post: ID!) { post(id: $post) { id commentsCount
      comments(first: $first) {
        edges { node { content createdAt author { username followersCount } } } } } }""",
    "goals": """query($first: Int) { goals(first: $first) { edges { node {
      title currentStreak longestStreak completionRate plan { status }
      checkIns(first: 7) { edges { node { date completed } } } } } } }""",
    "notifications": """query($first: Int) { notifications(first: $first) {
      edges { node { type title createdAt actor { username } } } } }""",
    "challenges": """query($first: Int) { challenges(first: $first) { edges { node {
      title status participantCount owner { username } viewerParticipation { role score }
    } } } }""",
    "leaderboard": """query($first: Int!, $challenge: ID!) {
      leaderboard(challengeId: $challenge, first: $first) {
        totalParticipants entries { rank score user { username } } viewerEntry { rank } } }""",
}
"""Each query's document; `$author`, `$post` and `$challenge` name what it reads about."""


def variables_of(name: str, first: int, ids: dict[str, str]) -> dict[str, object]:
    """The variables of a hot query: the page size and the ids its document asks for."""
    document = HOT_QUERIES[name]
    given = {"first": first, **ids}
    return {key: value for key, value in given.items() if f"${key}" in document}
