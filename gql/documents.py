"""What is worked out once per parsed document. The parse cache hands out the same document
object for the same query text, and graphql-core's AST nodes are frozen dataclasses whose
hash walks the whole tree, so these caches key on the document's identity, never its hash."""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from graphql import DocumentNode

DOCUMENT_CACHE_SIZE = 1000

Value = TypeVar("Value")


class PerDocument(Generic[Value]):
    """A bounded cache of values per (document, key): the oldest go first."""

    def __init__(self, size: int = DOCUMENT_CACHE_SIZE) -> None:
        self._entries: OrderedDict[tuple[int, Hashable], tuple[DocumentNode, Value]] = OrderedDict()
        self._size = size

    def get(self, document: DocumentNode, key: Hashable, compute: Callable[[], Value]) -> Value:
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
