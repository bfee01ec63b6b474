"""Refuses a whole operation sent with bad credentials, before any resolver runs."""

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from gql.context import Context


class Authentication(SchemaExtension):
    """A present but invalid token (forged, expired, alg none, unknown or disabled user) is
    UNAUTHENTICATED even for public fields, for queries, mutations and subscriptions over
    any transport: the client must refresh or sign in again. (Raised here, Strawberry answers
    the operation with the error instead of executing it.)"""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        assert isinstance(context, Context)
        await context.authenticate()
        if context.credentials_error is not None:
            raise context.credentials_error
        yield
