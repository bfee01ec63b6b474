"""Reading ahead: what a query selects below a field, so a page's related rows are loaded in
batches before the page's fields resolve, and those fields then read them without awaiting.

A field that reads through a request loader returns `now_or_later(...)`: the value itself
when the loader already holds it (a plain read for graphql-core), else the load to await.
A resolver returning a page calls the page type's `*_ahead` function, which fills the
loaders for everything the selection asks of the page (one statement per relation).
Failures are left in the loaders: the field that asked for the row reports them, as it
would without reading ahead."""

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from graphql import FragmentDefinitionNode, GraphQLSchema, get_named_type
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.dataloader import DataLoader

from gql.context import Info
from gql.selections import Selected, selected_fields

Key = TypeVar("Key")
Value = TypeVar("Value")
Result = TypeVar("Result")

Later: TypeAlias = Value | Awaitable[Value]


def _held(loader: DataLoader[Key, Value], key: Key) -> "asyncio.Future[Value] | None":
    """The loader's future for the key when it is loaded without error."""
    future = loader.cache_map.get(key)
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    return future


def now_or_later(loader: DataLoader[Key, Value], key: Key) -> Later[Value]:
    """The loaded value when this request's loader holds it already, else its load."""
    future = _held(loader, key)
    return future.result() if future is not None else loader.load(key)


def held(loader: DataLoader[Key, Value], keys: Iterable[Key]) -> list[Value]:
    """The values the loader holds for these keys (failed or missing ones left out)."""
    futures = (_held(loader, key) for key in keys)
    return [future.result() for future in futures if future is not None]


def then(value: Later[Value], convert: Callable[[Value], Result]) -> Later[Result]:
    """`convert` applied to the value, now or once it is loaded."""
    if inspect.isawaitable(value):
        pending = value

        async def converted() -> Result:
            return convert(await pending)

        return converted()
    return convert(value)


async def fill(*loads: Awaitable[Any] | None) -> None:
    """Runs loads together (None: nothing to load); a failure stays in its loader for its
    field to report."""
    await asyncio.gather(*(load for load in loads if load is not None), return_exceptions=True)


@dataclass(frozen=True)
class _Operation:
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: VariableValues


@dataclass(frozen=True)
class Ahead:
    """The selections of one field, under all its aliases and fragments (@skip and
    @include are not read: at worst something unused is loaded)."""

    fields: tuple[Selected, ...]
    operation: _Operation

    @classmethod
    def of(cls, info: Info) -> "Ahead":
        """The field being resolved."""
        raw = info._raw_info
        variables: Any = raw.variable_values  # Strawberry hands resolvers the coerced dict
        if not isinstance(variables, VariableValues):
            variables = VariableValues(sources={}, coerced=dict(variables))
        operation = _Operation(raw.schema, raw.fragments, variables)
        definition = raw.parent_type.fields[raw.field_name]
        fields = (Selected(node, raw.parent_type, definition, ()) for node in raw.field_nodes)
        return cls(tuple(fields), operation)

    def child(self, name: str) -> "Ahead":
        """The field `name` (GraphQL name) below these, all occurrences together."""
        return Ahead(tuple(self._children(name)), self.operation)

    def nodes(self) -> "Ahead":
        """The nodes of a connection."""
        return self.child("edges").child("node")

    def selects(self, name: str) -> bool:
        return any(True for _ in self._children(name))

    def each(self, name: str) -> list["Ahead"]:
        """Each occurrence of the field `name` on its own (its arguments may differ)."""
        return [Ahead((field,), self.operation) for field in self._children(name)]

    def argument(self, name: str) -> Any:
        """An argument (GraphQL name) of the first occurrence, as the field will get it."""
        definition = self.fields[0].definition if self.fields else None
        if definition is None:
            return None
        values = get_argument_values(definition, self.fields[0].node, self.operation.variables)
        return values.get(name)

    def _children(self, name: str) -> Iterator[Selected]:
        operation = self.operation
        for field in self.fields:
            if field.node.selection_set is None or field.definition is None:
                continue
            below = get_named_type(field.definition.type)
            children = selected_fields(
                operation.schema, field.node.selection_set, below, operation.fragments
            )
            yield from (child for child in children if child.node.name.value == name)
