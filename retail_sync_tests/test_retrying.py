"""The one retry policy (`retail_sync.retrying`): the backoff's bounds, the Retry-After parser in
both of its forms, and the retry budget's numbers as docs/architecture.md states them. A
hypothesis property (bounded, derandomized) checks that a wait stays within its ceiling and never
falls short of what a server's Retry-After asked, up to the maximum honoured."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import dagster as dg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retail_sync.defs.failures import ERP_STEP_RETRY, SHOPIFY_STEP_RETRY
from retail_sync.retrying import (
    ERP_STEP,
    NETSUITE_REQUEST,
    SHOPIFY_REQUEST,
    SHOPIFY_STEP,
    SHOPIFY_THROTTLED_REQUEST,
    Backoff,
    StepRetry,
    parse_retry_after,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FUZZ = settings(derandomize=True, database=None, deadline=None)


class Fixed:
    """A random source that always answers the same number in [0, 1)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


# ---- the backoff ------------------------------------------------------------------------------


def test_the_ceiling_doubles_from_the_base_up_to_the_cap() -> None:
    backoff = Backoff(max_attempts=9, base_seconds=0.5, cap_seconds=30.0)
    assert [backoff.ceiling(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert backoff.ceiling(5000) == 30.0  # far past a float's exponent range: still the cap


def test_the_wait_is_the_jitter_share_of_the_ceiling() -> None:
    backoff = Backoff(base_seconds=1.0, cap_seconds=10.0)
    assert backoff.delay(3, Fixed(0.0)) == 0.0
    assert backoff.delay(3, Fixed(0.5)) == 2.0
    assert backoff.delay(10, Fixed(0.999)) == pytest.approx(9.99)


def test_the_wait_draws_as_random_uniform_did() -> None:
    """The NetSuite client's seeded jitter is unchanged: uniform(0, c) is c times random()."""
    backoff = Backoff()
    ours, theirs = random.Random(7), random.Random(7)
    for attempt in range(1, 7):
        assert backoff.delay(attempt, ours) == theirs.uniform(0, backoff.ceiling(attempt))


def test_a_retry_after_is_a_floor_up_to_its_maximum() -> None:
    backoff = Backoff(base_seconds=1.0, cap_seconds=4.0, max_retry_after_seconds=60.0)
    assert backoff.delay(1, Fixed(0.5), retry_after=20.0) == 20.0
    assert backoff.delay(3, Fixed(0.5), retry_after=0.0) == 2.0  # shorter than the jitter
    assert backoff.delay(1, Fixed(0.5), retry_after=3600.0) == 60.0


def test_attempts_are_counted_from_one() -> None:
    backoff = Backoff(max_attempts=3)
    assert [backoff.may_retry(n) for n in (1, 2, 3)] == [True, True, False]
    assert not Backoff(max_attempts=1).may_retry(1)


@pytest.mark.parametrize(
    "fields",
    [
        {"max_attempts": 0},
        {"base_seconds": -1.0},
        {"cap_seconds": float("inf")},
        {"max_retry_after_seconds": float("nan")},
    ],
)
def test_a_backoff_that_makes_no_sense_is_refused(fields: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(fields))):
        Backoff(**fields)  # type: ignore[arg-type]


# ---- Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.0", 1.0),  # the Shopify simulator's form
        ("0", 0.0),
        ("-5", 0.0),
        ("86400", 300.0),
        ("99999999999999999999999", 300.0),
    ],
)
def test_delta_seconds_are_read_and_bounded(header: str, seconds: float) -> None:
    assert parse_retry_after(header, maximum_seconds=300.0, now=NOW) == seconds


def test_an_http_date_counts_from_now() -> None:
    def after(offset: timedelta) -> float | None:
        header = format_datetime(NOW + offset, usegmt=True)
        return parse_retry_after(header, maximum_seconds=300, now=NOW)

    assert after(timedelta(seconds=90)) == 90
    assert after(timedelta(hours=-1)) == 0
    assert after(timedelta(days=2)) == 300
    # RFC 850 and asctime forms, and "-0000" (a UTC time of unknown origin), are dates too.
    assert parse_retry_after("Tuesday, 01-Dec-26 12:00:30 GMT", maximum_seconds=300, now=NOW) == 30
    assert parse_retry_after("Tue Dec  1 12:01:00 2026", maximum_seconds=300, now=NOW) == 60
    assert parse_retry_after("Tue, 01 Dec 2026 12:00:10 -0000", maximum_seconds=300, now=NOW) == 10


@pytest.mark.parametrize(
    "header",
    [None, "", "  ", "soon", "nan", "inf", "-inf", "1e999", "Tue, 99 Foo 2026", "Mon, 01 Dec"],
)
def test_garbage_is_none(header: str | None) -> None:
    assert parse_retry_after(header, maximum_seconds=300.0, now=NOW) is None


# ---- the budget -------------------------------------------------------------------------------


def test_the_budget_is_the_one_the_architecture_document_states() -> None:
    # Shopify, one request: 9 attempts; THROTTLED answers counted apart, 61 attempts.
    assert SHOPIFY_REQUEST.max_attempts == 9
    assert SHOPIFY_REQUEST.longest_wait_seconds(honouring_retry_after=False) == 91.5
    assert SHOPIFY_REQUEST.longest_wait_seconds() == 480.0
    assert SHOPIFY_THROTTLED_REQUEST.max_attempts == 61
    assert SHOPIFY_THROTTLED_REQUEST.longest_wait_seconds(honouring_retry_after=False) == 59.5
    assert SHOPIFY_THROTTLED_REQUEST.longest_wait_seconds() == 3600.0
    # NetSuite, one read: 6 attempts.
    assert NETSUITE_REQUEST.max_attempts == 6
    assert NETSUITE_REQUEST.longest_wait_seconds(honouring_retry_after=False) == 15.5
    assert NETSUITE_REQUEST.longest_wait_seconds() == 1500.0
    # A step: 3 runs more, after waits of at most 5, 15 and 35 s.
    assert SHOPIFY_STEP == ERP_STEP == StepRetry(max_retries=3, delay_seconds=5.0)
    assert SHOPIFY_STEP.longest_wait_seconds() == 55.0


def test_the_step_policies_are_the_budgets() -> None:
    for policy, step in ((SHOPIFY_STEP_RETRY, SHOPIFY_STEP), (ERP_STEP_RETRY, ERP_STEP)):
        assert policy == dg.RetryPolicy(
            max_retries=step.max_retries,
            delay=step.delay_seconds,
            backoff=dg.Backoff.EXPONENTIAL,
            jitter=dg.Jitter.FULL,
        )
        assert [policy.calculate_delay(n) <= 5.0 * (2**n - 1) for n in (1, 2, 3)] == [True] * 3


# ---- properties -------------------------------------------------------------------------------

BACKOFFS = st.builds(
    Backoff,
    max_attempts=st.integers(1, 100),
    base_seconds=st.floats(0, 1e3),
    cap_seconds=st.floats(0, 1e4),
    max_retry_after_seconds=st.floats(0, 1e4),
)
HEADERS = st.one_of(
    st.none(),
    st.integers(-10, 10**7).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(lambda when: format_datetime(when, usegmt=True)),
    st.text(max_size=40),
)


@given(backoff=BACKOFFS, attempt=st.integers(1, 5000), share=st.floats(0, 1, exclude_max=True))
@settings(FUZZ, max_examples=200)
def test_a_wait_of_its_own_is_within_zero_and_the_cap(
    backoff: Backoff, attempt: int, share: float
) -> None:
    assert 0 <= backoff.delay(attempt, Fixed(share)) <= backoff.cap_seconds


@given(
    backoff=BACKOFFS,
    attempt=st.integers(1, 5000),
    share=st.floats(0, 1, exclude_max=True),
    header=HEADERS,
)
@settings(FUZZ, max_examples=300)
def test_a_wait_never_falls_short_of_a_retry_after_up_to_the_maximum(
    backoff: Backoff, attempt: int, share: float, header: str | None
) -> None:
    asked = parse_retry_after(header, maximum_seconds=backoff.max_retry_after_seconds, now=NOW)
    assert asked is None or 0 <= asked <= backoff.max_retry_after_seconds
    wait = backoff.delay(attempt, Fixed(share), asked)
    assert 0 <= wait <= max(backoff.cap_seconds, backoff.max_retry_after_seconds)
    if asked is None:
        assert wait <= backoff.cap_seconds
    else:
        assert wait >= asked
