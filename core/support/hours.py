"""Staffed hours and the off-hours notice users get when a ticket opens outside them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.config import Settings
from core.i18n import t

__all__ = ["SupportHours"]


class SupportHours:
    def __init__(self, settings: Settings) -> None:
        self.hours = settings.hours
        self.timezone = settings.timezone
        self._tz = ZoneInfo(settings.timezone)

    def is_staffed(self, now: float) -> bool:
        local = datetime.fromtimestamp(now, self._tz)
        return local.weekday() in self.hours.days and self.hours.start <= local.time() < self.hours.end

    def off_hours_notice(self, lang: str, now: float) -> str | None:
        """None while staffed; otherwise when staff are next in, in ``lang``."""
        if self.is_staffed(now):
            return None
        local = datetime.fromtimestamp(now, self._tz)
        start = self.hours.start
        for days in range(0, 8):
            day = (local + timedelta(days=days)).replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
            if day.weekday() in self.hours.days and day > local:
                return t("human.off_hours", lang, hours=self.hours.spec, tz=self.timezone,
                         next_open=day.strftime("%a %Y-%m-%d %H:%M"))
        return None
