"""Who may share a subscription event's execution, declared per field, not discovered.

A field whose value depends on who is asking (`viewerReaction`, `viewerIsFollowing`, the
posts of a user that the viewer may see, ...) carries `metadata=PER_VIEWER`. An operation
that selects any such field, anywhere in its selection set, is executed per (event, viewer);
any other operation once per event for everyone who receives it. tests/test_sharing.py fails
when a field reads the viewer without declaring it.
"""

from collections.abc import Mapping

from graphql import (
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.type.definition import GraphQLNamedType, get_named_type

from gql.selections import metadata, selected_fields

PER_VIEWER_KEY = "momentum.per_viewer"
PER_VIEWER = {PER_VIEWER_KEY: True}


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
