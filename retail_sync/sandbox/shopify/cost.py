"""Shopify's query cost: requested (from the query) and actual (from what was returned).

Requested cost follows Shopify's documented calculation: scalars and enums 0, an object 1, a
connection 2 plus `first` times the cost of one node, a list of objects taking `first` that many
times the object, and every mutation field 10. Actual cost walks the response instead: a
connection costs 2 plus the objects it really returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
    value_from_ast_untyped,
)

MAX_QUERY_COST = 1000
MUTATION_COST = 10


def _collect(
    selection_set: SelectionSetNode | None,
    parent: Any,
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
) -> Iterator[tuple[FieldNode, Any]]:
    """Fields of a selection set with the type each is selected on (fragments flattened)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, parent
        elif isinstance(selection, InlineFragmentNode):
            target = parent
            if selection.type_condition is not None:
                target = schema.get_type(selection.type_condition.name.value) or parent
            yield from _collect(selection.selection_set, target, schema, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                target = schema.get_type(fragment.type_condition.name.value) or parent
                yield from _collect(fragment.selection_set, target, schema, fragments)


def _argument(field: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


def _is_list(field_type: Any) -> bool:
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    return isinstance(field_type, GraphQLList)


class CostCalculator:
    """Requested and actual cost of one operation."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.variables = variables or {}

    @property
    def is_mutation(self) -> bool:
        return self.operation.operation == OperationType.MUTATION

    def _root(self) -> GraphQLObjectType:
        root = self.schema.mutation_type if self.is_mutation else self.schema.query_type
        assert root is not None
        return root

    def requested(self) -> int:
        if self.is_mutation:
            fields = list(
                _collect(self.operation.selection_set, self._root(), self.schema, self.fragments)
            )
            return MUTATION_COST * sum(1 for f, _ in fields if not f.name.value.startswith("__"))
        return self._requested_selection(self.operation.selection_set, self._root())

    def _field_def(self, parent: Any, name: str) -> Any:
        fields = getattr(parent, "fields", None)
        return None if fields is None else fields.get(name)

    def _requested_selection(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        total = 0
        for field, owner in _collect(selection_set, parent, self.schema, self.fragments):
            definition = self._field_def(owner, field.name.value)
            if definition is None:
                continue
            named = get_named_type(definition.type)
            if is_leaf_type(named):
                continue
            if named.name.endswith("Connection"):
                first = _argument(field, "first", self.variables) or 1
                total += 2 + int(first) * self._requested_node(field, named)
            elif _is_list(definition.type):
                first = _argument(field, "first", self.variables) or 1
                total += int(first) * (1 + self._requested_selection(field.selection_set, named))
            else:
                total += 1 + self._requested_selection(field.selection_set, named)
        return total

    def _requested_node(self, field: FieldNode, connection: Any) -> int:
        """Cost of one node of a connection: 1 plus its children (edges/node and nodes)."""
        cost = 0
        for sub, owner in _collect(field.selection_set, connection, self.schema, self.fragments):
            name = sub.name.value
            if name == "nodes":
                node_type = get_named_type(self._field_def(owner, "nodes").type)
                cost += 1 + self._requested_selection(sub.selection_set, node_type)
            elif name == "edges":
                edge_type = get_named_type(self._field_def(owner, "edges").type)
                for inner, inner_owner in _collect(
                    sub.selection_set, edge_type, self.schema, self.fragments
                ):
                    if inner.name.value == "node":
                        node_type = get_named_type(self._field_def(inner_owner, "node").type)
                        cost += 1 + self._requested_selection(inner.selection_set, node_type)
        return max(cost, 1)

    def actual(self, data: dict[str, Any] | None) -> int:
        if self.is_mutation:
            return self.requested()
        if data is None:
            return 0
        return self._actual_selection(self.operation.selection_set, self._root(), data)

    def _actual_selection(
        self, selection_set: SelectionSetNode | None, parent: Any, data: dict[str, Any]
    ) -> int:
        total = 0
        for field, owner in _collect(selection_set, parent, self.schema, self.fragments):
            key = field.alias.value if field.alias else field.name.value
            if key not in data:
                continue
            definition = self._field_def(owner, field.name.value)
            value = data[key]
            if definition is None or value is None:
                continue
            named = get_named_type(definition.type)
            if is_leaf_type(named):
                continue
            if named.name.endswith("Connection"):
                total += 2 + self._actual_connection(field, named, value)
            elif isinstance(value, list):
                total += sum(
                    1 + self._actual_selection(field.selection_set, named, item)
                    for item in value
                    if isinstance(item, dict)
                )
            elif isinstance(value, dict):
                total += 1 + self._actual_selection(field.selection_set, named, value)
        return total

    def _actual_connection(self, field: FieldNode, connection: Any, value: dict[str, Any]) -> int:
        cost = 0
        for sub, owner in _collect(field.selection_set, connection, self.schema, self.fragments):
            key = sub.alias.value if sub.alias else sub.name.value
            items = value.get(key)
            if not isinstance(items, list):
                continue
            if sub.name.value == "nodes":
                node_type = get_named_type(self._field_def(owner, "nodes").type)
                cost += sum(
                    1 + self._actual_selection(sub.selection_set, node_type, item)
                    for item in items
                    if isinstance(item, dict)
                )
            elif sub.name.value == "edges":
                edge_type = get_named_type(self._field_def(owner, "edges").type)
                for inner, inner_owner in _collect(
                    sub.selection_set, edge_type, self.schema, self.fragments
                ):
                    if inner.name.value != "node":
                        continue
                    inner_key = inner.alias.value if inner.alias else "node"
                    node_type = get_named_type(self._field_def(inner_owner, "node").type)
                    for edge in items:
                        node = edge.get(inner_key) if isinstance(edge, dict) else None
                        if isinstance(node, dict):
                            cost += 1 + self._actual_selection(inner.selection_set, node_type, node)
        return cost
