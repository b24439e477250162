"""Who approved: the authenticating proxy's user header, carried onto the run by the coordinator.

Dagster's open-source webserver has no users. Behind an authenticating proxy (oauth2-proxy and
the like) that sets a user header on every request it forwards, `IdentityRunCoordinator` reads
that header when a run is submitted from the UI and writes it to the run's tags
(`retail_sync/identity`, `retail_sync/identity_source=trusted_header`), overwriting whatever the
launcher put there. A decision asset trusts those tags only when the instance runs this
coordinator, so without it (or for a run submitted without the header) the approver is what the
person typed into the run config, recorded as `self_declared`. docs/journals.md, "Who approved",
shows the set-up, with a `--read-only` webserver for viewers.
"""

from collections.abc import Mapping
from typing import Any, cast

import dagster as dg
from dagster._core.run_coordinator import QueuedRunCoordinator, SubmitRunContext
from dagster._serdes import ConfigurableClassData

from retail_sync.journals.store import Actor

IDENTITY_TAG = "retail_sync/identity"
IDENTITY_SOURCE_TAG = "retail_sync/identity_source"
DEFAULT_USER_HEADER = "X-Forwarded-User"
SELF_DECLARED_UNNAMED = "unnamed"
# QueuedRunCoordinator's own options (its `from_config_value` reads these).
QUEUED_OPTIONS = (
    "max_concurrent_runs",
    "tag_concurrency_limits",
    "dequeue_interval_seconds",
    "dequeue_use_threads",
    "dequeue_num_workers",
    "max_user_code_failure_retries",
    "user_code_failure_retry_delay",
    "block_op_concurrency_limited_runs",
)


class IdentityRunCoordinator(QueuedRunCoordinator):
    """The queued run coordinator, tagging each run with the proxy's user header.

    dagster.yaml: `run_coordinator: {module: retail_sync.defs.journals.identity, class:
    IdentityRunCoordinator, config: {user_header: X-Forwarded-User, …queued options}}`.
    """

    def __init__(self, user_header: str = DEFAULT_USER_HEADER, **queued: Any) -> None:
        self.user_header = user_header
        super().__init__(**queued)

    @classmethod
    def config_type(cls) -> Any:
        schema = dict(cast("Mapping[str, Any]", QueuedRunCoordinator.config_type()))
        schema["user_header"] = dg.Field(str, is_required=False)
        return schema

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> "IdentityRunCoordinator":
        return cls(
            user_header=config_value.get("user_header") or DEFAULT_USER_HEADER,
            inst_data=inst_data,
            **{key: config_value.get(key) for key in QUEUED_OPTIONS},
        )

    def submit_run(self, context: SubmitRunContext) -> dg.DagsterRun:
        user = (context.get_request_header(self.user_header) or "").strip()
        self._instance.add_run_tags(
            context.dagster_run.run_id,
            {
                IDENTITY_TAG: user,
                IDENTITY_SOURCE_TAG: "trusted_header" if user else "none",
            },
        )
        return super().submit_run(context)


def decision_actor(context: dg.AssetExecutionContext, declared: str) -> Actor:
    """The person deciding: the proxy's user when the coordinator vouches for it, else the name
    given in the config (or `unnamed`), marked self-declared."""
    tags = context.run.tags
    if (
        isinstance(context.instance.run_coordinator, IdentityRunCoordinator)
        and tags.get(IDENTITY_SOURCE_TAG) == "trusted_header"
        and tags.get(IDENTITY_TAG)
    ):
        return Actor(name=tags[IDENTITY_TAG], source="trusted_header")
    return Actor(name=declared.strip() or SELF_DECLARED_UNNAMED, source="self_declared")
