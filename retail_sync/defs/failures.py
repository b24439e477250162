"""Which failures an asset's RetryPolicy may retry: only what a later attempt can cure.

Dagster's RetryPolicy retries any exception. A missing setting, refused credentials or a
response of the wrong shape come back the same on every attempt, so retrying them only delays
the error (a missing NETSUITE_ACCOUNT_ID took ~75 s of retries to surface). Our errors say
whether they are transient (`retryable`); the clients have already spent their own retries on
those, and the asset's policy adds a few later attempts for a longer outage.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from retail_sync.errors import RetailSyncError


@contextmanager
def retried_only_when_transient() -> Iterator[None]:
    """Turn one of our errors that a retry cannot fix into a Failure Dagster does not retry."""
    try:
        yield
    except RetailSyncError as error:
        if getattr(error, "retryable", False):
            raise
        raise dg.Failure(description=str(error), allow_retries=False) from error
