"""Per-shop runtime state: indexed data, the leaky bucket, faults, bulk operations."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from retail_sync.sandbox.shopify.faults import Faults
from retail_sync.sandbox.shopify.store import ShopData
from retail_sync.sandbox.shopify.throttle import LeakyBucket

if TYPE_CHECKING:
    from retail_sync.sandbox.shopify.bulk import BulkManager

_bulk_numbers = itertools.count(1)
_bulk_numbers_lock = threading.Lock()


@dataclass
class ShopRuntime:
    """Everything one shop's requests touch."""

    data: ShopData
    bucket: LeakyBucket
    faults: Faults
    bulk_dir: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    bulk: BulkManager = field(init=False)

    def next_bulk_number(self) -> int:
        """Bulk operation ids are unique across shops, like Shopify's global ids."""
        with _bulk_numbers_lock:
            return next(_bulk_numbers)
