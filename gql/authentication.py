"""Refuses a whole operation sent with bad credentials, before any resolver runs."""

from collections.abc import AsyncIterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from gql.context import Context


class Authentication(SchemaExtension):
    """A present but invalid token (forged, expired, alg none, unknown or disabled user) is
    UNAUTHENTICATED even for public fields: the client must refresh or sign in again."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        assert isinstance(context, Context)
        await context.authenticate()
        if context.credentials_error is not None:
            error = context.credentials_error
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        error.message, original_error=error, extensions={"code": error.code}
                    )
                ],
            )
        yield
