"""A clock that tests share between a simulator and a client: `sleep` advances time, never waits."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """Wall time for the simulator (`clock()`), monotonic time and `sleep` for the client."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.now.timestamp()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)
