"""Where the lifecycle is kept: the transactional state store (`retail_sync.state`)."""

from __future__ import annotations

from retail_sync.reconcile.lifecycle.schema import metadata
from retail_sync.state import (
    STATE_URL_ENV,
    StateStore,
    default_state_url,
    in_chunks,
    state_url_from_environment,
)

__all__ = [
    "STATE_URL_ENV",
    "LifecycleStore",
    "default_state_url",
    "in_chunks",
    "state_url_from_environment",
]


class LifecycleStore(StateStore):
    """The state store with the lifecycle's tables (created when absent)."""

    def __init__(self, url: str) -> None:
        super().__init__(url, metadata)
