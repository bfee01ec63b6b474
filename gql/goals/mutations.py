"""Goal and check-in mutations."""

import datetime as dt

import strawberry

from gql.context import Info
from gql.goals.types import CheckIn, Goal
from gql.ids import parse_id
from gql.inputs import given_fields
from models.goals import GoalCategory, GoalFrequency
from resolvers import goals_commands


@strawberry.input
class CreateGoalInput:
    title: str
    frequency: GoalFrequency
    category: GoalCategory = GoalCategory.CUSTOM
    description: str | None = None
    target_days: int | None = strawberry.field(
        default=None, description="Days per week (1-7); required for weekly goals."
    )
    reminder_times: list[str] | None = strawberry.field(default=None, description="HH:MM")


@strawberry.input(description="Only the fields given are changed.")
class UpdateGoalInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    category: GoalCategory | None = strawberry.UNSET
    frequency: GoalFrequency | None = strawberry.UNSET
    target_days: int | None = strawberry.UNSET
    reminder_times: list[str] | None = strawberry.UNSET


@strawberry.input
class CheckInInput:
    goal_id: strawberry.ID
    date: dt.date = strawberry.field(description="The viewer's local date; up to 7 days back.")
    completed: bool
    reflection: str | None = None
    mood: int | None = strawberry.field(default=None, description="1-5")


@strawberry.type
class GoalMutations:
    @strawberry.mutation
    async def create_goal(self, info: Info, input: CreateGoalInput) -> Goal:
        viewer = info.context.require_viewer()
        fields = given_fields(input)
        async with info.context.sessionmaker() as session:
            goal = await goals_commands.create_goal(
                session=session, owner_id=viewer.id, fields=fields
            )
        return Goal.from_model(goal)

    @strawberry.mutation
    async def create_goal_from_template(self, info: Info, template_id: strawberry.ID) -> Goal:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            goal = await goals_commands.create_goal_from_template(
                session=session,
                owner_id=viewer.id,
                template_id=parse_id(template_id, field="templateId"),
            )
        return Goal.from_model(goal)

    @strawberry.mutation
    async def update_goal(self, info: Info, id: strawberry.ID, input: UpdateGoalInput) -> Goal:
        viewer = info.context.require_viewer()
        changes = given_fields(input)
        async with info.context.sessionmaker() as session:
            goal = await goals_commands.update_goal(
                session=session, owner_id=viewer.id, goal_id=parse_id(id), changes=changes
            )
        return Goal.from_model(goal)

    @strawberry.mutation(description="Archives a goal (kept with its check-ins, not active).")
    async def archive_goal(self, info: Info, id: strawberry.ID) -> Goal:
        return await _set_active(info, id, active=False)

    @strawberry.mutation
    async def unarchive_goal(self, info: Info, id: strawberry.ID) -> Goal:
        return await _set_active(info, id, active=True)

    @strawberry.mutation(description="Deletes a goal and its check-ins; returns its id.")
    async def delete_goal(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await goals_commands.delete_goal(
                session=session, owner_id=viewer.id, goal_id=parse_id(id)
            )
        return id

    @strawberry.mutation(
        description="Records the day's check-in, replacing an earlier one of "
        "the same goal and date (several devices converge)."
    )
    async def check_in(self, info: Info, input: CheckInInput) -> CheckIn:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            stored = await goals_commands.check_in(
                session=session,
                owner=viewer,
                goal_id=parse_id(input.goal_id, field="goalId"),
                day=input.date,
                completed=input.completed,
                reflection=input.reflection,
                mood=input.mood,
            )
        return CheckIn.from_model(stored)

    @strawberry.mutation
    async def delete_check_in(self, info: Info, id: strawberry.ID) -> strawberry.ID:
        viewer = info.context.require_viewer()
        async with info.context.sessionmaker() as session:
            await goals_commands.delete_check_in(
                session=session, owner_id=viewer.id, check_in_id=parse_id(id)
            )
        return id


async def _set_active(info: Info, id: strawberry.ID, *, active: bool) -> Goal:
    viewer = info.context.require_viewer()
    async with info.context.sessionmaker() as session:
        goal = await goals_commands.set_goal_active(
            session=session, owner_id=viewer.id, goal_id=parse_id(id), active=active
        )
    return Goal.from_model(goal)
