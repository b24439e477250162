"""Which failures an asset's RetryPolicy may retry, and the step retry policies themselves.

Dagster's RetryPolicy retries any exception. A missing setting, refused credentials or a
response of the wrong shape come back the same on every attempt, so retrying them only delays
the error (a missing NETSUITE_ACCOUNT_ID took ~75 s of retries to surface). Our errors say
whether they are transient (`retryable`); the clients have already spent their own retries on
those, and the step's policy adds a few later runs for a longer outage. The numbers are the
retry budget in `retail_sync.retrying` (docs/architecture.md, "Retry budget").
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from retail_sync.errors import RetailSyncError
from retail_sync.retrying import ERP_STEP, SHOPIFY_STEP, StepRetry


def step_retry_policy(step: StepRetry) -> dg.RetryPolicy:
    """The Dagster policy of `step`: exponential backoff with full jitter."""
    return dg.RetryPolicy(
        max_retries=step.max_retries,
        delay=step.delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.FULL,
    )


# Steps that call Shopify or the ERP; only what `retried_only_when_transient` lets through.
SHOPIFY_STEP_RETRY = step_retry_policy(SHOPIFY_STEP)
ERP_STEP_RETRY = step_retry_policy(ERP_STEP)


@contextmanager
def retried_only_when_transient() -> Iterator[None]:
    """Turn one of our errors that a retry cannot fix into a Failure Dagster does not retry."""
    try:
        yield
    except RetailSyncError as error:
        if getattr(error, "retryable", False):
            raise
        raise dg.Failure(description=str(error), allow_retries=False) from error
