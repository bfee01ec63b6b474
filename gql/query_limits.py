"""What one GraphQL request may cost, measured on its document before validation and execution.

Three measures, each linear in the document (fragments expanded, and the expansion stops at
the field limit, so a fragment spread exponentially cannot make the check itself slow):

- fields: field selections with every fragment spread expanded where it is used;
- repeated-field pairs: fields with the same response path must be compared by validation
  (graphql-core's overlapping-fields rule compares every such pair, so a document repeating
  one field n times costs n² comparisons); the measure is that number of pairs;
- cost: the result's size in objects, where lists multiply what they contain (Costing; the
  README's "Limits and abuse protection" lists every limit).
"""

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    is_composite_type,
    is_list_type,
)
from graphql.pyutils import Undefined
from graphql.type.definition import GraphQLField, GraphQLOutputType, get_named_type
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gql.documents import PerDocument
from gql.selections import Selected, fragments_of, metadata, operation_of, selected_fields
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

LIST_SIZE = "momentum.list_size"
"""Field metadata: the size a list field is counted at, from its arguments."""

DEFAULT_LIST_SIZE = DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class Limits:
    max_fields: int
    max_field_pairs: int
    max_cost: int


class TooComplex(GraphQLError):
    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "QUERY_TOO_COMPLEX"})


def check(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: Limits,
) -> None:
    """Raises TooComplex when the document is over a limit."""
    fields, pairs = _shape(document, limits.max_fields)
    if fields > limits.max_fields:
        raise TooComplex(f"the query selects more than {limits.max_fields} fields")
    if pairs > limits.max_field_pairs:
        raise TooComplex(
            f"the query repeats fields too often ({pairs} pairs of same-path fields, "
            f"at most {limits.max_field_pairs})"
        )
    cost = _cost(schema, document, operation_name, variables or {})
    if cost > limits.max_cost:
        raise TooComplex(f"the query costs {cost:.0f} points, more than {limits.max_cost}")


_costs: PerDocument[float] = PerDocument()
_shapes: PerDocument[tuple[int, int]] = PerDocument()
_validations: PerDocument[list[GraphQLError]] = PerDocument()


def _cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> float:
    """The operation's cost, remembered per parsed document and variables (clients send the
    same few operations over and over)."""

    def compute() -> float:
        operation = operation_of(document, operation_name)
        if operation is None:  # validation or execution reports the missing operation
            return 0.0
        return Costing(schema, fragments_of(document), variables).operation(operation)

    key = (id(schema), operation_name, json.dumps(variables, sort_keys=True, default=str))
    return _costs.get(document, key, compute)


def _shape(document: DocumentNode, max_fields: int) -> tuple[int, int]:
    """(expanded fields, same-path pairs) of every operation and fragment of the document,
    counted until the fields pass max_fields."""

    def compute() -> tuple[int, int]:
        counter = _Counter(fragments_of(document), max_fields)
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
                counter.root(definition.selection_set)
        return counter.fields, counter.pairs

    return _shapes.get(document, max_fields, compute)


@dataclass
class _PathNode:
    count: int = 0
    children: dict[str, "_PathNode"] = field(default_factory=dict)


class _Counter:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode], max_fields: int) -> None:
        self._fragments = fragments
        self._max_fields = max_fields
        self.fields = 0
        self.pairs = 0

    def root(self, selection_set: SelectionSetNode) -> None:
        self._walk(selection_set, _PathNode(), ())

    def _walk(
        self, selection_set: SelectionSetNode, at: _PathNode, spread: tuple[str, ...]
    ) -> None:
        for selection in selection_set.selections:
            if self.fields > self._max_fields:
                return
            if isinstance(selection, FieldNode):
                self.fields += 1
                name = (selection.alias or selection.name).value
                child = at.children.setdefault(name, _PathNode())
                self.pairs += child.count  # the new field pairs with each one already there
                child.count += 1
                if selection.selection_set is not None:
                    self._walk(selection.selection_set, child, spread)
            elif isinstance(selection, InlineFragmentNode):
                self._walk(selection.selection_set, at, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if fragment is not None and name not in spread:  # cycles: validation's job
                    self._walk(fragment.selection_set, at, (*spread, name))


class Costing:
    """The cost model: every field of object type (or list of objects) is a point; a list
    multiplies the cost of what it contains by its size: the `first` argument of the field or
    of its parent (connections, leaderboards), the size its metadata declares, or else
    DEFAULT_LIST_SIZE. Scalars are free (aliases and the field limit bound them)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables

    def operation(self, operation: OperationDefinitionNode) -> float:
        root = self._schema.get_root_type(operation.operation)
        if root is None:
            return 0
        return self._selection_set(operation.selection_set, root, None, ())

    def _selection_set(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType,
        page: int | None,
        spread: tuple[str, ...],
    ) -> float:
        selected = selected_fields(self._schema, selection_set, parent, self._fragments, spread)
        return sum(self._field(field, page) for field in selected)

    def _field(self, selected: Selected, page: int | None) -> float:
        definition, node = selected.definition, selected.node
        if definition is None or node.selection_set is None:
            # A scalar, unknown (validation refuses it), or introspection (__schema, __type:
            # bounded by the schema's size and MaxIntrospectionDepthRule).
            return 0
        arguments = self._arguments(node)
        own_page = None
        if "first" in definition.args:
            default = definition.args["first"].default_value
            own_page = _page_size(arguments.get("first", default))
        inner = self._selection_set(
            node.selection_set, get_named_type(definition.type), own_page, selected.spread
        )
        if not _is_list(definition.type):
            return 1 + inner
        size = self._list_size(definition, arguments, own_page, page)
        return 1 + size * inner

    def _list_size(
        self,
        definition: GraphQLField,
        arguments: Mapping[str, Any],
        own_page: int | None,
        page: int | None,
    ) -> int:
        declared = _declared_size(definition)
        if declared is not None:
            return declared(arguments)
        if own_page is not None:
            return own_page
        return page if page is not None else DEFAULT_LIST_SIZE

    def _arguments(self, node: FieldNode) -> dict[str, Any]:
        """Integer arguments of the field, with variables' values."""
        values: dict[str, Any] = {}
        for argument in node.arguments or ():
            value = argument.value
            if isinstance(value, VariableNode):
                values[argument.name.value] = self._variables.get(value.name.value)
            elif isinstance(value, IntValueNode):
                values[argument.name.value] = int(value.value)
        return values


def _page_size(value: Any) -> int:
    """`first` as the resolver will take it (omitted: the default page; anything it refuses
    counts as the largest page)."""
    if value is None or value is Undefined:
        return DEFAULT_PAGE_SIZE
    return integer({"value": value}, "value", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _is_list(type_: GraphQLOutputType) -> bool:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return is_list_type(inner) and is_composite_type(get_named_type(inner))


def _declared_size(definition: GraphQLField) -> Callable[[Mapping[str, Any]], int] | None:
    size: Callable[[Mapping[str, Any]], int] | None = metadata(definition).get(LIST_SIZE)
    return size


def integer(arguments: Mapping[str, Any], name: str, default: int, maximum: int) -> int:
    """An integer argument for a list size, clamped to what the resolver accepts."""
    value = arguments.get(name, default)
    if value is None or value is Undefined:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        return maximum
    return max(0, min(value, maximum))


class RequestLimits(SchemaExtension):
    """Checks the limits before validation; validates (cached per parsed document, like
    Strawberry's ValidationCache) only what passed them."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        try:
            check(
                context.schema._schema,
                context.graphql_document,
                operation_name=context.operation_name,
                variables=context.variables,
                limits=self._limits,
            )
        except TooComplex as error:
            context.pre_execution_errors = [error]
        else:
            schema, document = context.schema._schema, context.graphql_document
            rules = context.validation_rules
            context.pre_execution_errors = _validations.get(
                document,
                (id(schema), rules),
                lambda: validate_document(schema, document, rules),
            )
        yield
