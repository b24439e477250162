"""Free text that can carry PII (notes, addresses' names): dropped, or landed as a keyed hash.

`FreeTextPolicy` says which; the SQL replacements apply it while DuckDB reads the lines, and
`redact_text` applies it to a line quarantined as it came, so no raw free text reaches the lake.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from duckdb.func import ARROW as ARROW_UDF

from retail_sync.errors import ConfigurationError
from retail_sync.shopify.tables import (
    FREE_TEXT_FIELDS,
)

FREE_TEXT_KEY_ENV = "RETAIL_SYNC_PII_HASH_KEY"
MIN_FREE_TEXT_KEY_LENGTH = 32
HASH_PREFIX = "hmac-sha256:"
_HASH_FUNCTION = "retail_sync_free_text_hash"


class FreeTextSettingError(ConfigurationError):
    """Landing free text was asked for without a usable hash key."""


@dataclass(frozen=True)
class FreeTextPolicy:
    """How free-text fields that can carry PII (`tables.FREE_TEXT_FIELDS`) land.

    Without a key (the default) they land as null. With one, as `hmac-sha256:<hex>` of the text
    keyed with it: equal notes stay comparable, and without the key no dictionary of likely
    emails, names or phones can be hashed to match them.
    """

    hash_key: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_setting(
        cls, land_hashed: bool, environ: Mapping[str, str] | None = None
    ) -> FreeTextPolicy:
        """The policy for the `land_free_text` setting; the key comes from `FREE_TEXT_KEY_ENV`."""
        if not land_hashed:
            return cls()
        key = (os.environ if environ is None else environ).get(FREE_TEXT_KEY_ENV, "")
        if len(key) < MIN_FREE_TEXT_KEY_LENGTH:
            state = "is not set" if not key else f"is shorter than {MIN_FREE_TEXT_KEY_LENGTH}"
            raise FreeTextSettingError(
                f"shopify land_free_text is on but {FREE_TEXT_KEY_ENV} {state}: set it to a "
                f"secret of at least {MIN_FREE_TEXT_KEY_LENGTH} characters (it keys the "
                "HMAC-SHA256 of refund notes), or turn land_free_text off"
            )
        return cls(key.encode())

    def hashed(self, text: str) -> str:
        if self.hash_key is None:
            raise FreeTextSettingError("free text is dropped: there is no key to hash it with")
        digest = hmac.new(self.hash_key, text.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return HASH_PREFIX + digest.hexdigest()

    def sql(self, expression: str) -> str:
        """SQL: what lands in place of the free text `expression` (see `register`)."""
        return f"{_HASH_FUNCTION}({expression})" if self.hash_key else "NULL::VARCHAR"

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Give `con` the hash function `sql` names; the key stays in Python, never in SQL."""
        if self.hash_key is None:
            return

        def hash_column(values: pa.Array) -> pa.Array:
            return pa.array(
                [None if v is None else self.hashed(v) for v in values.to_pylist()], pa.string()
            )

        varchar = duckdb.sqltype("VARCHAR")
        con.create_function(
            _HASH_FUNCTION,
            hash_column,
            [varchar],
            varchar,
            type=ARROW_UDF,
            side_effects=False,
        )

    def redact(self, value: Any) -> Any:
        """A parsed JSON value of a free-text field, as it may be kept."""
        if value is None or self.hash_key is None:
            return None
        return self.hashed(value if isinstance(value, str) else json.dumps(value))


DROP_FREE_TEXT = FreeTextPolicy()
_FREE_TEXT_NAMES = frozenset(name for _, name in FREE_TEXT_FIELDS)
# A free-text key with a string value (or the cut-off start of one) in a line that is not JSON.
_FREE_TEXT_IN_TEXT = re.compile(
    r'("(?:' + "|".join(map(re.escape, sorted(_FREE_TEXT_NAMES))) + r')"\s*:\s*)'
    r'("(?:[^"\\]|\\.)*(?:"|\\?$)|[^,}\]]+)'
)


def free_text_replacements(columns: Mapping[str, str], free_text: FreeTextPolicy) -> list[str]:
    """`SELECT * REPLACE` items putting `free_text`'s value in place of each free-text field."""
    items = []
    for column, name in FREE_TEXT_FIELDS:
        if column in columns:
            value = free_text.sql(f'element."{name}"')
            items.append(
                f'list_transform("{column}", lambda element: '
                f'struct_update(element, "{name}" := {value})) AS "{column}"'
            )
    return items


def _redact_parsed(value: Any, free_text: FreeTextPolicy) -> tuple[Any, bool]:
    """`value` with every free-text key's value redacted (iteratively: lines nest deeply)."""
    changed = False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if key in _FREE_TEXT_NAMES and child is not None:
                    item[key] = free_text.redact(child)
                    changed = True
                else:
                    stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return value, changed


def redact_text(line: str, parsed: Any, free_text: FreeTextPolicy) -> str:
    """A raw line as quarantine may keep it: free text redacted, parsed or not."""
    if isinstance(parsed, dict | list):
        value, changed = _redact_parsed(parsed, free_text)
        return json.dumps(value, separators=(",", ":")) if changed else line

    def replace(match: re.Match[str]) -> str:
        value = free_text.redact(match.group(2))
        return match.group(1) + ("null" if value is None else json.dumps(value))

    return _FREE_TEXT_IN_TEXT.sub(replace, line)
