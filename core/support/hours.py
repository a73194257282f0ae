"""Staffed hours as a calendar: weekly windows (overnight ones belong to the day
they start), holidays and a time zone. Answers: is it staffed now, when are staff
next in, how many staffed seconds lie between two instants, and when an SLA
target of so many staffed seconds falls due."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.config import Settings
from core.i18n import t

__all__ = ["SupportHours"]

_DAY = 86400.0
_HORIZON_DAYS = 400  # a calendar with no staffed time in a year (all holidays) is "never staffed"


class SupportHours:
    def __init__(self, settings: Settings) -> None:
        self.hours = settings.hours
        self.timezone = settings.timezone
        self._tz = ZoneInfo(settings.timezone)
        self._holidays = frozenset(date.fromisoformat(d) for d in settings.holidays)

    @property
    def spec(self) -> str:
        return self.hours.spec

    def _intervals(self, day: date) -> list[tuple[float, float]]:
        """The staffed intervals (epoch seconds) of windows starting on ``day``."""
        if day in self._holidays:
            return []
        midnight = datetime(day.year, day.month, day.day, tzinfo=self._tz)
        if self.hours.always:
            nxt = midnight + timedelta(days=1)
            return [(midnight.timestamp(), datetime(nxt.year, nxt.month, nxt.day, tzinfo=self._tz).timestamp())]
        out = []
        for weekday, start, end in self.hours.windows:
            if weekday == day.weekday():
                out.append(((midnight + timedelta(minutes=start)).timestamp(),
                            (midnight + timedelta(minutes=end)).timestamp()))
        return out

    def _walk(self, since: float, days: int = _HORIZON_DAYS):  # type: ignore[no-untyped-def]
        """Staffed intervals that end after ``since``, in order (from the day before, for overnight windows)."""
        first = datetime.fromtimestamp(since, self._tz).date() - timedelta(days=1)
        for n in range(days):
            for start, end in sorted(self._intervals(first + timedelta(days=n))):
                if end > since:
                    yield start, end

    def is_staffed(self, now: float) -> bool:
        return any(start <= now < end for start, end in self._walk(now, 2))

    def next_staffed(self, now: float) -> float | None:
        """``now`` when staffed, else when staff are next in (None: never within a year)."""
        for start, _end in self._walk(now):
            return max(start, now)
        return None

    def staffed_between(self, since: float, until: float) -> float:
        """Staffed seconds in [since, until)."""
        total = 0.0
        for start, end in self._walk(since, int((until - since) / _DAY) + 3):
            if start >= until:
                break
            total += max(0.0, min(end, until) - max(start, since))
        return total

    def due(self, since: float, staffed_seconds: float) -> float:
        """When ``staffed_seconds`` of staffed time have passed after ``since``."""
        left = staffed_seconds
        for start, end in self._walk(since):
            start = max(start, since)
            if end - start >= left:
                return start + left
            left -= end - start
        return since + staffed_seconds  # never staffed: fall back to the wall clock

    def format_local(self, ts: float) -> str:
        return datetime.fromtimestamp(ts, self._tz).strftime("%a %Y-%m-%d %H:%M")

    def describe(self) -> str:
        """The schedule as configured, with its time zone and holidays (for the FAQ answer)."""
        text = f"{self.spec} ({self.timezone})"
        if self._holidays:
            text += "; closed " + ", ".join(sorted(d.isoformat() for d in self._holidays))
        return text

    def off_hours_notice(self, lang: str, now: float) -> str | None:
        """None while staffed; otherwise when staff are next in, in ``lang``."""
        if self.is_staffed(now):
            return None
        back = self.next_staffed(now)
        if back is None:
            return None
        return t("human.off_hours", lang, hours=self.spec, tz=self.timezone, next_open=self.format_local(back))

    def next_staffed_text(self, lang: str, now: float) -> str:
        """"staff are online now", or the local time they are next in."""
        if self.is_staffed(now):
            return t("hours.staffed_now", lang)
        back = self.next_staffed(now)
        return t("hours.never", lang) if back is None else f"{self.format_local(back)} ({self.timezone})"

    def render(self, text: str, lang: str, now: float) -> str:
        """Fill an FAQ answer's ``{support_hours}`` and ``{next_staffed}`` from the calendar."""
        if "{" not in text:
            return text
        return text.replace("{support_hours}", self.describe()).replace(
            "{next_staffed}", self.next_staffed_text(lang, now))
