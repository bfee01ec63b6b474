"""What is worked out once per parsed document (or one of its operations). The parse cache
hands out the same document object for the same query text, and graphql-core's AST nodes are
frozen dataclasses whose hash walks the whole tree, so these caches key on the node's
identity, never its hash."""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from graphql.language.ast import Node

DOCUMENT_CACHE_SIZE = 1000

Value = TypeVar("Value")


class PerDocument(Generic[Value]):
    """A bounded cache of values per (document or operation node, key): the oldest go first."""

    def __init__(self, size: int = DOCUMENT_CACHE_SIZE) -> None:
        self._entries: OrderedDict[tuple[int, Hashable], tuple[Node, Value]] = OrderedDict()
        self._size = size

    def get(self, document: Node, key: Hashable, compute: Callable[[], Value]) -> Value:
        slot = (id(document), key)
        entry = self._entries.get(slot)
        if entry is not None and entry[0] is document:
            self._entries.move_to_end(slot)
            return entry[1]
        value = compute()
        self._entries[slot] = (document, value)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return value
