"""Fast RFC 3339 formatting of epoch seconds in UTC and in a shop's timezone.

Orders are generated as epoch seconds; formatting 200,000 of them a day through `datetime`
objects costs seconds, so offsets are cached per UTC hour (every timezone the generator uses
changes offset on a whole hour) and dates per day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SECONDS_PER_DAY = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def epoch_of(moment: datetime) -> int:
    return int(moment.timestamp())


def utc_date(epoch: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + epoch // SECONDS_PER_DAY)


def utc_timestamp(epoch: int) -> str:
    """`"2026-10-01T13:15:00Z"`."""
    day, seconds = divmod(epoch, SECONDS_PER_DAY)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    day_text = date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
    return f"{day_text}T{hours:02d}:{minutes:02d}:{secs:02d}Z"


class ShopClock:
    """Local dates and timestamps of one timezone, with cached UTC offsets."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._offsets: dict[int, tuple[int, str]] = {}
        self._dates: dict[int, str] = {}

    def _offset(self, epoch: int) -> tuple[int, str]:
        hour = epoch // 3600
        cached = self._offsets.get(hour)
        if cached is None:
            moment = datetime.fromtimestamp(hour * 3600, tz=UTC).astimezone(self.zone)
            delta = moment.utcoffset() or timedelta(0)
            seconds = int(delta.total_seconds())
            sign = "-" if seconds < 0 else "+"
            hours, minutes = divmod(abs(seconds) // 60, 60)
            cached = (seconds, f"{sign}{hours:02d}:{minutes:02d}")
            self._offsets[hour] = cached
        return cached

    def local_timestamp(self, epoch: int) -> str:
        """`"2026-10-01T09:15:00-04:00"`."""
        offset_seconds, offset_text = self._offset(epoch)
        day, seconds = divmod(epoch + offset_seconds, SECONDS_PER_DAY)
        text = self._dates.get(day)
        if text is None:
            text = date.fromordinal(_EPOCH_ORDINAL + day).isoformat()
            self._dates[day] = text
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{text}T{hours:02d}:{minutes:02d}:{secs:02d}{offset_text}"

    def business_date(self, epoch: int) -> date:
        """The calendar date in this timezone (the business date)."""
        offset_seconds, _ = self._offset(epoch)
        return date.fromordinal(_EPOCH_ORDINAL + (epoch + offset_seconds) // SECONDS_PER_DAY)

    def day_start(self, day: date) -> int:
        """Epoch seconds of local midnight starting `day`."""
        return epoch_of(datetime(day.year, day.month, day.day, tzinfo=self.zone))
