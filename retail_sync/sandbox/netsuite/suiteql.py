"""Translate SuiteQL (Oracle-flavoured SQL on NetSuite's tables) to DuckDB SQL, checking names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from retail_sync.sandbox.netsuite.schema import TABLES


class SuiteQLError(ValueError):
    """A query NetSuite would refuse; the message is the `detail` NetSuite answers."""


@dataclass(frozen=True)
class TranslatedQuery:
    sql: str
    row_limit: int | None  # from a top-level `ROWNUM <= n`


# Oracle date-format elements → strftime, longest first.
_DATE_FORMAT = (
    ("YYYY", "%Y"),
    ("MONTH", "%B"),
    ("MON", "%b"),
    ("HH24", "%H"),
    ("HH12", "%I"),
    ("HH", "%I"),
    ("YY", "%y"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("MI", "%M"),
    ("SS", "%S"),
)


def oracle_to_strftime(fmt: str) -> str:
    out: list[str] = []
    position = 0
    upper = fmt.upper()
    while position < len(fmt):
        for token, replacement in _DATE_FORMAT:
            if upper.startswith(token, position):
                out.append(replacement)
                position += len(token)
                break
        else:
            out.append(fmt[position])
            position += 1
    return "".join(out)


def _invalid(detail: str) -> SuiteQLError:
    return SuiteQLError(f"Invalid search query. Detailed unprocessed description follows. {detail}")


def translate(query: str) -> TranslatedQuery:
    """Parse `query` as SuiteQL; raise SuiteQLError for syntax, unknown tables or columns."""
    try:
        statements = sqlglot.parse(query, read="oracle")
    except ParseError as error:
        description = error.errors[0]["description"] if error.errors else str(error)
        raise _invalid(f"Search error occurred: syntax error ({description}).") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise _invalid("Search error occurred: only one SELECT statement is allowed.")
    tree: Any = statements[0]
    if any(isinstance(node, exp.DML | exp.DDL) for node in tree.walk()):
        raise _invalid("Search error occurred: only SELECT statements are allowed.")
    _validate_names(tree)
    row_limit = _strip_rownum(tree)
    tree = tree.transform(_rewrite)
    return TranslatedQuery(sql=tree.sql(dialect="duckdb", identify=True), row_limit=row_limit)


def _validate_names(tree: Any) -> None:
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    alias_to_table: dict[str, str | None] = {}
    query_tables: set[str] = set()
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name in cte_names:
            alias_to_table[table.alias_or_name.lower()] = None
            continue
        if name not in TABLES or table.db:
            raise _invalid(f"Search error occurred: Record '{table.name}' was not found.")
        query_tables.add(name)
        alias_to_table[table.alias_or_name.lower()] = name
        alias_to_table.setdefault(name, name)
    for subquery in tree.find_all(exp.Subquery):
        if subquery.alias:
            alias_to_table[subquery.alias.lower()] = None
    select_aliases = {node.alias.lower() for node in tree.find_all(exp.Alias) if node.alias}
    known_anywhere = {column for table in query_tables for column, _ in TABLES[table]}
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star):
            continue
        name = column.name.lower()
        if name == "rownum" and not column.table:
            continue
        qualifier = column.table.lower()
        if qualifier:
            if qualifier not in alias_to_table:
                raise _invalid(f"Search error occurred: Unknown identifier '{column.sql()}'.")
            table_name = alias_to_table[qualifier]
            if table_name is None:
                continue  # a CTE or derived table: its columns are the engine's to check
            if name not in {c for c, _ in TABLES[table_name]}:
                raise _invalid(
                    f"Search error occurred: Field '{column.name}' for record "
                    f"'{table_name}' was not found. Reason: NOT_EXPOSED - Not available for "
                    "channel SEARCH"
                )
        elif (
            name not in known_anywhere
            and name not in select_aliases
            and not any(v is None for v in alias_to_table.values())
        ):
            raise _invalid(f"Search error occurred: Unknown identifier '{column.name}'.")


def _strip_rownum(tree: Any) -> int | None:
    """Turn a top-level `WHERE … AND ROWNUM <= n` into a row limit, as Oracle means it."""
    where = tree.args.get("where")
    if where is None:
        _reject_rownum(tree)
        return None
    conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
    limit: int | None = None
    kept: list[Any] = []
    for condition in conjuncts:
        found = _rownum_bound(condition)
        if found is None:
            kept.append(condition)
        else:
            limit = found if limit is None else min(limit, found)
    if limit is not None:
        if kept:
            where.set("this", exp.and_(*kept))
        else:
            tree.set("where", None)
    _reject_rownum(tree)
    return limit


def _rownum_bound(condition: Any) -> int | None:
    if not isinstance(condition, exp.LTE | exp.LT):
        return None
    left, right = condition.this, condition.expression
    if not (isinstance(left, exp.Column) and left.name.lower() == "rownum" and not left.table):
        return None
    if not (isinstance(right, exp.Literal) and right.is_int):
        raise _invalid("Search error occurred: ROWNUM must be compared with an integer.")
    bound = int(right.this)
    return bound if isinstance(condition, exp.LTE) else bound - 1


def _reject_rownum(tree: Any) -> None:
    for column in tree.find_all(exp.Column):
        if column.name.lower() == "rownum" and not column.table:
            raise _invalid(
                "Search error occurred: ROWNUM is supported only as a top-level "
                "`ROWNUM <= n` condition in this simulator."
            )


def _rewrite(node: Any) -> Any:
    # BUILTIN.DF(x): NetSuite's display value; the simulator answers the raw value as text.
    if (
        isinstance(node, exp.Dot)
        and isinstance(node.this, exp.Identifier)
        and node.this.name.upper() == "BUILTIN"
        and isinstance(node.expression, exp.Anonymous)
    ):
        function = node.expression
        if function.name.upper() in {"DF", "CONSOLIDATE", "CURRENCY"} and function.expressions:
            return exp.cast(function.expressions[0], exp.DataType.build("text"))
    if isinstance(node, exp.ToChar) and node.args.get("format") is not None:
        fmt = node.args["format"]
        if isinstance(fmt, exp.Literal) and fmt.is_string:
            return exp.func("strftime", node.this, exp.Literal.string(oracle_to_strftime(fmt.this)))
    return node
