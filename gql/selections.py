"""Walking an operation's selections with their schema types: the cost model and the
sharing scope of subscriptions read documents this way, before anything executes."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.type.definition import GraphQLField


@dataclass(frozen=True)
class Selected:
    """A field node with the type it is selected on, its definition (None: unknown, or
    introspection), and the fragments spread to reach it (cycles are validation's to refuse)."""

    node: FieldNode
    parent: GraphQLNamedType
    definition: GraphQLField | None
    spread: tuple[str, ...]


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the named one, or the only one."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def selected_fields(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
    fragments: Mapping[str, FragmentDefinitionNode],
    spread: tuple[str, ...] = (),
) -> Iterator[Selected]:
    """The fields selected directly on `parent`, through inline fragments and spreads."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            definition = getattr(parent, "fields", {}).get(selection.name.value)
            yield Selected(selection, parent, definition, spread)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            owner = schema.get_type(condition.name.value) if condition else parent
            yield from selected_fields(
                schema, selection.selection_set, owner or parent, fragments, spread
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in spread:
                continue
            owner = schema.get_type(fragment.type_condition.name.value)
            yield from selected_fields(
                schema, fragment.selection_set, owner or parent, fragments, (*spread, name)
            )


def metadata(definition: GraphQLField) -> Mapping[str, Any]:
    """What the Strawberry field behind a schema field declares in `metadata`."""
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    declared: Mapping[str, Any] = getattr(strawberry_field, "metadata", None) or {}
    return declared
