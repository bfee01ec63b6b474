"""Who may share a subscription event's execution, declared per field, not discovered.

An event's result depends on the event (its cursor and type determine the value the stream
yields), on the operation's text, and on the variables its selection set reads, not on the
subscription field's own arguments: those only pick the stream (which post, which goal,
after which cursor), so subscribers resuming from different cursors still share.

A field whose value depends on who is asking (`viewerReaction`, `viewerIsFollowing`, the
posts of a user that the viewer may see, ...) carries `metadata=PER_VIEWER`. An operation
that selects any such field, anywhere in its selection set, is executed per (event, viewer);
any other operation once per event for everyone who receives it. tests/test_sharing.py fails
when a field reads the viewer without declaring it.
"""

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    visit,
)
from graphql.language.ast import Node
from graphql.type.definition import GraphQLNamedType, get_named_type

from gql.documents import PerDocument
from gql.selections import metadata, selected_fields

PER_VIEWER_KEY = "momentum.per_viewer"
PER_VIEWER = {PER_VIEWER_KEY: True}


@dataclass(frozen=True)
class Sharing:
    """How one subscription operation's event results are shared (worked out once per
    operation)."""

    text: str | int  # the operation's source text (its identity when it has none)
    name: str | None
    variables: tuple[str, ...]  # those its selection set reads
    per_viewer: bool

    def key(
        self, variables: Mapping[str, Any] | None, event: Hashable, viewer: Hashable
    ) -> Hashable:
        """Who gets the same result: the same operation, the same values of the variables
        its selection set reads, the same event (and viewer, when per viewer)."""
        values = variables or {}
        read = json.dumps([values.get(name) for name in self.variables], default=str)
        return self.text, self.name, read, event, viewer if self.per_viewer else None


_sharings: PerDocument[Sharing] = PerDocument()


def sharing_of(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Sharing:
    def work_out() -> Sharing:
        return Sharing(
            text=operation.loc.source.body if operation.loc else id(operation),
            name=operation.name.value if operation.name else None,
            variables=_selection_variables(operation, fragments),
            per_viewer=per_viewer(schema, operation, fragments),
        )

    return _sharings.get(operation, None, work_out)


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.names.add(node.name.value)


def _selection_variables(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """The variables read anywhere but in the root fields' own arguments (fragments count
    whole: reading more than needed only shares less)."""
    collected = _Variables()
    parts: list[Node] = [*fragments.values()]
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            parts.extend(selection.directives or ())
            if selection.selection_set is not None:
                parts.append(selection.selection_set)
        else:
            parts.append(selection)
    for part in parts:
        visit(part, collected)
    return tuple(sorted(collected.names))


def per_viewer(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> bool:
    """Whether the operation selects a field declared PER_VIEWER (worked out once per
    subscription)."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return False
    return _selects_per_viewer(schema, fragments, operation.selection_set, root)


def _selects_per_viewer(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
) -> bool:
    for selected in selected_fields(schema, selection_set, parent, fragments):
        definition = selected.definition
        if definition is None:
            continue
        if metadata(definition).get(PER_VIEWER_KEY):
            return True
        node = selected.node.selection_set
        if node is not None and _selects_per_viewer(
            schema, fragments, node, get_named_type(definition.type)
        ):
            return True
    return False
