"""`tableChanges`: every streamed table's changes by any writer reach the people who may see
the row, and no one else; filters, events, READY and resuming behave as documented."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from tests.graphql import Person, people, sql
from tests.live import TransportWsClient, live_server, log_head

CHANGES = """
subscription($table: RealtimeTable!, $events: [RowOperation!], $filter: [RowFilter!],
             $after: String) {
  tableChanges(table: $table, events: $events, filter: $filter, after: $after) {
    cursor operation table changedColumns rowId commitTimestamp oldRecord
    record { __typename ... on MealLog { name calories } ... on Goal { title } }
  }
}
"""


@pytest.fixture(scope="module")
async def address(settings: Settings) -> AsyncIterator[str]:
    async with live_server(settings) as running:
        yield running


@contextlib.asynccontextmanager
async def watching(
    address: str, who: Person, table: str, **variables: Any
) -> AsyncIterator[TransportWsClient]:
    """A socket subscribed to the table's changes, live (past READY)."""
    async with TransportWsClient.connect(address, who.token) as client:
        await client.subscribe(CHANGES, {"table": table} | variables)
        await client.ready()
        yield client


async def change(client: TransportWsClient) -> dict[str, Any]:
    data = await client.next_data()
    event: dict[str, Any] = data["tableChanges"]
    return event


async def goal_of(engine: AsyncEngine, owner: Person) -> uuid.UUID:
    async with engine.begin() as db:
        goal: uuid.UUID = await db.scalar(
            text("INSERT INTO goals (user_id, title, frequency) VALUES (:u, 'G', 'daily') "
                 "RETURNING id"),
            {"u": owner.id},
        )  # fmt: skip
    return goal


# Each table: SQL writing a row for :u (with :g one of their goals), and an update of it.
WRITES = {
    "GOALS": ("INSERT INTO goals (user_id, title, frequency) VALUES (:u, 'Run', 'daily')",
              "UPDATE goals SET title = 'Walk' WHERE user_id = :u AND title = 'Run'"),
    "CHECK_INS": ("INSERT INTO check_ins (goal_id, user_id, date, completed) "
                  "VALUES (:g, :u, current_date, true)",
                  "UPDATE check_ins SET mood = 4 WHERE goal_id = :g"),
    "ACTIONABLE_PLANS": ("INSERT INTO actionable_plans (goal_id, user_id) VALUES (:g, :u)",
                         "UPDATE actionable_plans SET status = 'generating' WHERE goal_id = :g"),
    "DAILY_MOTIVATIONS": ("INSERT INTO daily_motivations (user_id, date, message) "
                          "VALUES (:u, current_date, 'Go')",
                          "UPDATE daily_motivations SET message = 'On', regeneration_count = 1 "
                          "WHERE user_id = :u"),
    "MOTIVATIONS": ("INSERT INTO motivations (user_id, message) VALUES (:u, 'Push')",
                    "UPDATE motivations SET is_sent = true, sent_at = now() WHERE user_id = :u"),
    "NOTIFICATION_HISTORY": ("INSERT INTO notification_history (user_id, notification_type, "
                             "title) VALUES (:u, 'system', 'Hi')",
                             "UPDATE notification_history SET read_at = now() "
                             "WHERE user_id = :u"),
    "MEAL_LOGS": ("INSERT INTO meal_logs (user_id, logged_on, meal_type, name, calories) "
                  "VALUES (:u, current_date, 'lunch', 'Soup', 300)",
                  "UPDATE meal_logs SET calories = 350 WHERE user_id = :u"),
    "DAILY_NUTRITION_SUMMARIES": ("INSERT INTO meal_logs (user_id, logged_on, meal_type, name, "
                                  "calories) VALUES (:u, current_date, 'lunch', 'Soup', 300)",
                                  "UPDATE meal_logs SET calories = 350 WHERE user_id = :u"),
    "USER_ACHIEVEMENTS": ("INSERT INTO user_achievements (user_id, achievement_type_id) "
                          "SELECT :u, id FROM achievement_types WHERE key = 'first_post'",
                          "UPDATE user_achievements SET metadata = '{\"n\": 1}' "
                          "WHERE user_id = :u"),
    "USERS": (None, "UPDATE users SET bio = 'Runner' WHERE id = :u"),
}  # fmt: skip


@pytest.mark.parametrize("table", sorted(WRITES))
async def test_owned_rows_reach_their_owner_only_whoever_writes(
    address: str, engine: AsyncEngine, settings: Settings, table: str
) -> None:
    owner, stranger = await people(engine, settings, 2)
    goals = {owner.id: await goal_of(engine, owner), stranger.id: await goal_of(engine, stranger)}
    insert, update = WRITES[table]
    async with (
        watching(address, owner, table) as mine,
        watching(address, stranger, table) as theirs,
    ):
        if insert is not None:
            await sql(engine, insert, u=owner.id, g=goals[owner.id])
            created = await change(mine)
            assert (created["operation"], created["table"]) == ("INSERT", table)
            assert created["commitTimestamp"] is not None and created["rowId"]
        await sql(engine, update, u=owner.id, g=goals[owner.id])
        updated = await change(mine)
        assert updated["operation"] == "UPDATE" and updated["changedColumns"]
        assert set(updated["oldRecord"]) == set(updated["changedColumns"]) - {"password_hash"}
        # The stranger's first change is their own: the owner's never reached them.
        await sql(engine, update if insert is None else insert, u=stranger.id,
                  g=goals[stranger.id])  # fmt: skip
        own = await change(theirs)
        assert own["operation"] == ("UPDATE" if insert is None else "INSERT")
        assert own["rowId"] != updated["rowId"]


@pytest.mark.parametrize("table", ["ACCOUNTABILITY_PARTNERS", "FOLLOWS"])
async def test_pair_rows_reach_both_people_and_no_one_else(
    address: str, engine: AsyncEngine, settings: Settings, table: str
) -> None:
    first, second, third, fourth = await people(engine, settings, 4)
    insert = {
        "ACCOUNTABILITY_PARTNERS": "INSERT INTO accountability_partners "
        "(requester_id, partner_id) VALUES (:a, :b)",
        "FOLLOWS": "INSERT INTO follows (follower_id, following_id) VALUES (:a, :b)",
    }[table]
    async with (
        watching(address, first, table) as asker,
        watching(address, second, table) as asked,
        watching(address, third, table) as outsider,
    ):
        await sql(engine, insert, a=first.id, b=second.id)
        pair = [await change(asker), await change(asked)]
        assert {event["rowId"] for event in pair} == {pair[0]["rowId"]}
        await sql(engine, insert, a=third.id, b=fourth.id)
        own = await change(outsider)
        assert own["rowId"] != pair[0]["rowId"]


async def test_the_public_catalogue_reaches_everyone_and_a_retired_type_leaves_as_delete(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    first, second = await people(engine, settings, 2)
    key = f"t_{uuid.uuid4().hex[:8]}"
    async with (
        watching(address, first, "ACHIEVEMENT_TYPES") as one,
        watching(address, second, "ACHIEVEMENT_TYPES") as other,
    ):
        await sql(
            engine,
            "INSERT INTO achievement_types (key, name, category) VALUES (:k, 'N', 'milestone')",
            k=key,
        )
        assert [(await change(c))["operation"] for c in (one, other)] == ["INSERT", "INSERT"]
        await sql(engine, "UPDATE achievement_types SET is_active = false WHERE key = :k", k=key)
        retired = await change(one)
        assert (retired["operation"], retired["record"]) == ("DELETE", None)


MEAL = (
    "INSERT INTO meal_logs (user_id, logged_on, meal_type, name, calories) "
    "VALUES (:u, current_date, 'lunch', :n, :c)"
)


@pytest.mark.parametrize(
    ("condition", "passing", "marker"),
    [
        ({"column": "calories", "op": "EQ", "value": 500}, ["c500"], 500),
        ({"column": "calories", "op": "NEQ", "value": 500}, ["c100", "c900"], 0),
        ({"column": "calories", "op": "LT", "value": 500}, ["c100"], 0),
        ({"column": "calories", "op": "LTE", "value": 500}, ["c100", "c500"], 0),
        ({"column": "calories", "op": "GT", "value": 500}, ["c900"], 999),
        ({"column": "calories", "op": "GTE", "value": 500}, ["c500", "c900"], 999),
        ({"column": "calories", "op": "IN", "values": [100, 900]}, ["c100", "c900"], 900),
        ({"column": "goal_id", "op": "IS_NULL", "value": True}, ["c100", "c500", "c900"], 0),
        ({"column": "meal_type", "op": "EQ", "value": "lunch"}, ["c100", "c500", "c900"], 0),
    ],
)
async def test_each_filter_op_keeps_the_rows_it_names(
    address: str, engine: AsyncEngine, settings: Settings, condition: dict[str, Any],
    passing: list[str], marker: int,
) -> None:  # fmt: skip
    """Three meals, then a marker the filter lets by: what arrives before the marker is
    exactly what the filter keeps."""
    (me,) = await people(engine, settings, 1)
    async with watching(address, me, "MEAL_LOGS", filter=[condition], events=["INSERT"]) as c:
        for calories in (100, 500, 900):
            await sql(engine, MEAL, u=me.id, n=f"c{calories}", c=calories)
        await sql(engine, MEAL, u=me.id, n="end", c=marker)
        names = []
        while (name := (await change(c))["record"]["name"]) != "end":
            names.append(name)
    assert names == passing


async def test_a_row_that_stops_matching_leaves_as_delete_and_events_select_operations(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    big = {"column": "calories", "op": "GTE", "value": 500}
    async with (
        watching(address, me, "MEAL_LOGS", filter=[big]) as filtered,
        watching(address, me, "MEAL_LOGS", events=["DELETE"]) as deletes,
    ):
        await sql(engine, MEAL, u=me.id, n="feast", c=800)
        assert (await change(filtered))["operation"] == "INSERT"
        await sql(engine, "UPDATE meal_logs SET calories = 200 WHERE user_id = :u", u=me.id)
        left = await change(filtered)
        assert (left["operation"], left["record"]) == ("DELETE", None)
        assert left["oldRecord"] is None  # a DELETE carries the id, not the values
        await sql(engine, "DELETE FROM meal_logs WHERE user_id = :u", u=me.id)
        deleted = await change(deletes)  # its first: neither the insert nor the update
        assert deleted["operation"] == "DELETE" and deleted["rowId"] == left["rowId"]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"column": "password_hash", "op": "EQ", "value": "x"}, "not a filterable column"),
        ({"column": "calories", "op": "EQ", "value": "many"}, "not a int"),
        ({"column": "meal_type", "op": "LT", "value": "a"}, "has no order"),
        ({"column": "calories", "op": "IN", "values": list(range(101))}, "1 to 100"),
        ({"column": "calories", "op": "IS_NULL", "value": True}, "never null"),
        ({"column": "logged_on", "op": "GT", "value": "yesterday"}, "not a date"),
        ({"column": "calories", "op": "EQ"}, "needs a value"),
    ],
)
async def test_a_bad_filter_is_refused_before_the_subscription_starts(
    address: str, engine: AsyncEngine, settings: Settings, condition: dict[str, Any],
    message: str,
) -> None:  # fmt: skip
    (me,) = await people(engine, settings, 1)
    async with TransportWsClient.connect(address, me.token) as client:
        await client.subscribe(CHANGES, {"table": "MEAL_LOGS", "filter": [condition]})
        refused = await client.message()
        ended = await client.message()
    assert refused["type"] == "next" and refused["payload"]["data"] is None  # never READY
    (error,) = refused["payload"]["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"]
    assert ended["type"] == "complete"


async def test_a_resumed_subscription_gets_what_it_missed_then_ready(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    async with watching(address, me, "MEAL_LOGS") as first:
        await sql(engine, MEAL, u=me.id, n="seen", c=1)
        cursor = (await change(first))["cursor"]
    await sql(engine, MEAL, u=me.id, n="missed", c=2)
    async with TransportWsClient.connect(address, me.token) as again:
        await again.subscribe(CHANGES, {"table": "MEAL_LOGS", "after": cursor})
        replayed = (await again.message())["payload"]["data"]["tableChanges"]
        ready = (await again.message())["payload"]["data"]["tableChanges"]
    assert (replayed["operation"], replayed["record"]["name"]) == ("INSERT", "missed")
    assert ready["operation"] == "READY"


async def test_an_update_carries_the_previous_values_but_never_a_password_hash(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    (me,) = await people(engine, settings, 1)
    async with (
        watching(address, me, "MEAL_LOGS") as meals,
        watching(address, me, "USERS") as account,
    ):
        await sql(engine, MEAL, u=me.id, n="soup", c=300)
        await change(meals)
        await sql(engine, "UPDATE meal_logs SET calories = 350 WHERE user_id = :u", u=me.id)
        updated = await change(meals)
        assert updated["oldRecord"]["calories"] == 300
        assert updated["record"]["calories"] == 350
        await sql(
            engine,
            "UPDATE users SET password_hash = 'new-hash', bio = 'Runner' WHERE id = :u",
            u=me.id,
        )
        profile = await change(account)
    assert "password_hash" in profile["changedColumns"]
    assert "password_hash" not in profile["oldRecord"]
    assert profile["oldRecord"]["bio"] is None


POSTS = """subscription($filter: [RowFilter!]) { tableChanges(table: POSTS, filter: $filter) {
  operation rowId record { ... on Post { content } } } }"""
POST = "INSERT INTO posts (user_id, content, is_public) VALUES (:u, :c, :p)"


async def test_posts_follow_the_posts_policy_and_leave_as_delete_when_hidden(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    viewer, author = await people(engine, settings, 2)
    mine = {"column": "user_id", "op": "EQ", "value": str(author.id)}
    async with TransportWsClient.connect(address, viewer.token) as client:
        await client.subscribe(POSTS, {"filter": [mine]})
        await client.ready()
        await sql(engine, POST, u=author.id, c="private, unapproved", p=False)
        await sql(engine, POST, u=author.id, c="public", p=True)
        public = (await client.next_data())["tableChanges"]  # the private one never came
        assert (public["operation"], public["record"]["content"]) == ("INSERT", "public")
        await sql(
            engine,
            "INSERT INTO follows (follower_id, following_id, approved_at) VALUES (:v, :a, now())",
            v=viewer.id,
            a=author.id,
        )
        await sql(engine, POST, u=author.id, c="private, approved", p=False)
        approved = (await client.next_data())["tableChanges"]
        assert approved["record"]["content"] == "private, approved"
        await sql(engine, "DELETE FROM follows WHERE follower_id = :v", v=viewer.id)
        await sql(engine, "UPDATE posts SET content = 'edited' WHERE id = :p", p=approved["rowId"])
        await sql(engine, "UPDATE posts SET is_public = false WHERE id = :p", p=public["rowId"])
        hidden = (await client.next_data())["tableChanges"]  # not the edit: no longer visible
        assert (hidden["operation"], hidden["rowId"]) == ("DELETE", public["rowId"])


COMMENTS = """subscription($filter: [RowFilter!]) { tableChanges(table: COMMENTS, filter: $filter) {
  operation rowId record { ... on Comment { postId content } } } }"""
LIKES = """subscription($filter: [RowFilter!]) { tableChanges(table: LIKES, filter: $filter) {
  operation record { ... on PostReaction { postId reaction user { id } } } } }"""
COMMENT = "INSERT INTO comments (post_id, user_id, content) VALUES (:p, :u, :c)"


async def post_of(engine: AsyncEngine, author: Person, *, public: bool) -> str:
    async with engine.begin() as db:
        post: uuid.UUID = await db.scalar(
            text(POST + " RETURNING id"), {"u": author.id, "c": "p", "p": public}
        )
    return str(post)


async def test_comments_and_reactions_are_seen_with_their_post(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    viewer, author = await people(engine, settings, 2)
    public, hidden = (
        await post_of(engine, author, public=True),
        await post_of(engine, author, public=False),
    )
    on_both = {"column": "post_id", "op": "IN", "values": [public, hidden]}
    async with (
        TransportWsClient.connect(address, viewer.token) as comments,
        TransportWsClient.connect(address, viewer.token) as likes,
    ):
        await comments.subscribe(COMMENTS, {"filter": [on_both]})
        await likes.subscribe(LIKES, {"filter": [on_both]})
        await comments.ready()
        await likes.ready()
        await sql(engine, COMMENT, p=hidden, u=author.id, c="on a post I cannot see")
        await sql(engine, COMMENT, p=public, u=author.id, c="hello")
        seen = (await change(comments))["record"]  # the first comment never came
        assert seen == {"postId": public, "content": "hello"}
        await sql(engine, "UPDATE comments SET deleted_at = now() WHERE post_id = :p", p=public)
        gone = await change(comments)
        assert (gone["operation"], gone["record"]) == ("DELETE", None)
        await sql(
            engine,
            "INSERT INTO likes (post_id, user_id, reaction_type) VALUES (:h, :u, 'love'), "
            "(:p, :u, 'cheer')",
            h=hidden,
            p=public,
            u=author.id,
        )
        liked = (await change(likes))["record"]
    assert liked == {"postId": public, "reaction": "CHEER", "user": {"id": str(author.id)}}


CHALLENGES = """subscription($filter: [RowFilter!]) {
  tableChanges(table: CHALLENGES, filter: $filter) {
  operation rowId record { ... on Challenge { title } } } }"""
MEMBERS = """subscription($filter: [RowFilter!]) {
  tableChanges(table: CHALLENGE_PARTICIPANTS, filter: $filter) {
    operation record { ... on ChallengeMember { challengeId status user { id } } } } }"""
CHALLENGE = (
    "INSERT INTO challenges (owner_id, title, starts_on, ends_on, visibility) "
    "VALUES (:o, :t, current_date, current_date + 30, :v) RETURNING id"
)
MEMBER = "INSERT INTO challenge_participants (challenge_id, user_id, status) VALUES (:c, :u, :s)"


async def challenge_of(engine: AsyncEngine, owner: Person, title: str, visibility: str) -> str:
    async with engine.begin() as db:
        challenge: uuid.UUID = await db.scalar(
            text(CHALLENGE), {"o": owner.id, "t": title, "v": visibility}
        )
    return str(challenge)


async def test_challenges_follow_the_challenges_policy_and_the_viewers_memberships(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    viewer, owner = await people(engine, settings, 2)
    theirs = [{"column": "owner_id", "op": "EQ", "value": str(owner.id)}]
    async with TransportWsClient.connect(address, viewer.token) as client:
        await client.subscribe(CHALLENGES, {"filter": theirs})
        await client.ready()
        private = await challenge_of(engine, owner, "secret", "private")
        public = await challenge_of(engine, owner, "open", "public")
        first = await change(client)  # the private one never came
        assert (first["operation"], first["record"]) == ("INSERT", {"title": "open"})
        await sql(engine, MEMBER, c=private, u=viewer.id, s="invited")
        invited = await change(client)  # an invitation makes it appear
        assert (invited["operation"], invited["rowId"]) == ("INSERT", private)
        await sql(engine, "UPDATE challenges SET title = 'still secret' WHERE id = :c", c=private)
        assert (await change(client))["record"] == {"title": "still secret"}
        await sql(
            engine,
            "UPDATE challenge_participants SET status = 'left' WHERE user_id = :u",
            u=viewer.id,
        )
        left = await change(client)
        assert (left["operation"], left["rowId"]) == ("DELETE", private)
        await sql(engine, "UPDATE challenges SET deleted_at = now() WHERE id = :c", c=public)
        deleted = await change(client)
        assert (deleted["operation"], deleted["rowId"]) == ("DELETE", public)


async def test_memberships_are_seen_with_their_challenge_and_invitations_by_the_owner(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    viewer, owner, runner, guest = await people(engine, settings, 4)
    challenge = await challenge_of(engine, owner, "miles", "public")
    only_it = [{"column": "challenge_id", "op": "EQ", "value": challenge}]
    async with (
        TransportWsClient.connect(address, viewer.token) as watcher,
        TransportWsClient.connect(address, owner.token) as owning,
    ):
        for client in (watcher, owning):
            await client.subscribe(MEMBERS, {"filter": only_it})
            await client.ready()
        await sql(engine, MEMBER, c=challenge, u=guest.id, s="invited")
        await sql(engine, MEMBER, c=challenge, u=runner.id, s="active")
        joined = (await change(watcher))["record"]  # not the invitation
        assert joined == {
            "challengeId": challenge,
            "status": "ACTIVE",
            "user": {"id": str(runner.id)},
        }
        invitation = (await change(owning))["record"]
        assert (invitation["status"], invitation["user"]) == ("INVITED", {"id": str(guest.id)})


async def test_a_post_made_visible_by_an_edit_does_not_show_its_hidden_past(
    address: str, engine: AsyncEngine, settings: Settings
) -> None:
    viewer, author = await people(engine, settings, 2)
    hidden = await post_of(engine, author, public=False)
    after_insert = await log_head(engine)  # the insert is in the past, whenever it is relayed
    edits = """subscription($filter: [RowFilter!], $after: String) {
      tableChanges(table: POSTS, filter: $filter, after: $after) { operation rowId oldRecord } }"""
    async with TransportWsClient.connect(address, viewer.token) as client:
        only_it = [{"column": "id", "op": "EQ", "value": hidden}]
        await client.subscribe(edits, {"filter": only_it, "after": after_insert})
        await client.ready()
        await sql(
            engine,
            "UPDATE posts SET content = 'now for all', is_public = true WHERE id = :p",
            p=hidden,
        )
        shown = await change(client)
    assert (shown["operation"], shown["rowId"]) == ("UPDATE", hidden)
    assert shown["oldRecord"] is None  # the private content before the edit stays private
