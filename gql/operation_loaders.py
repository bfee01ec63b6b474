"""What an operation read through its loaders is released when it ends."""

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gql.context import Context


class OperationLoaders(SchemaExtension):
    """Over any transport. A socket's context outlives its operations: nothing an earlier
    operation read is served to a later one. And graphql-core's executor refers to itself,
    keeping itself and the context alive until the cycle collector runs: the rows need not
    wait with it. (Subscription events executed once for many are released in
    gql/realtime/executor.py.)"""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        assert isinstance(context, Context)
        try:
            yield
        finally:
            context.loaders.forget()
