"""The parts under the conversation scripts: the support calendar, SLA clocks,
dialogue acts in context, intake fields in FAQ files, urgency."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.config import Settings
from core.conversation.acts import Act, ActContext, classify
from core.conversation.intake import recognise
from core.conversation.urgency import mood, urgent_reason
from core.faq.files import FaqFileError, load_faq
from core.models import Priority, Ticket
from core.support.hours import SupportHours
from core.support.timers import Timers


def ts(*parts: int) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()


def hours(spec: str, holidays: str = "", tz: str = "UTC") -> SupportHours:
    return SupportHours(Settings(WALLETDESK_SUPPORT_HOURS=spec, WALLETDESK_HOLIDAYS=holidays, WALLETDESK_TIMEZONE=tz))


CAL = "mon-fri 09:00-18:00, sat 10:00-14:00, fri 22:00-06:00"


def test_overnight_window_belongs_to_its_start_day() -> None:
    cal = hours(CAL)
    assert cal.is_staffed(ts(2026, 12, 5, 3, 0))  # Saturday 03:00: Friday's night window
    assert not cal.is_staffed(ts(2026, 12, 5, 7, 0))
    assert cal.is_staffed(ts(2026, 12, 5, 11, 0))
    assert not cal.is_staffed(ts(2026, 12, 7, 3, 0))  # Monday 03:00: no Sunday night window


def test_next_staffed_time_skips_weekends_and_holidays() -> None:
    cal = hours(CAL, "2026-12-25")
    assert cal.format_local(cal.next_staffed(ts(2026, 12, 5, 15, 0))) == "Mon 2026-12-07 09:00"
    assert cal.format_local(cal.next_staffed(ts(2026, 12, 24, 19, 0))) == "Sat 2026-12-26 10:00"
    assert cal.off_hours_notice("en", ts(2026, 12, 5, 15, 0)) is not None
    assert "Mon 2026-12-07 09:00" in cal.off_hours_notice("en", ts(2026, 12, 5, 15, 0))


def test_whole_days_and_always() -> None:
    assert hours("mon-sun 00:00-24:00").is_staffed(ts(2026, 12, 5, 23, 59, 30))
    always = hours("24/7")
    assert always.is_staffed(ts(2026, 12, 5, 3, 0)) and always.off_hours_notice("en", 0) is None


def test_calendar_follows_the_time_zone() -> None:
    cal = hours("mon-fri 09:00-18:00", tz="Asia/Shanghai")
    assert cal.is_staffed(ts(2026, 12, 7, 2, 0))  # 10:00 in Shanghai
    assert not cal.is_staffed(ts(2026, 12, 7, 11, 0))


@pytest.mark.parametrize("spec", ["mon-fri 9-18", "xyz 09:00-10:00", "mon 25:00-26:00", "mon 10:00-24:30", ""])
def test_bad_calendar_is_refused_with_the_variable_named(spec: str) -> None:
    with pytest.raises(ValidationError, match="WALLETDESK_SUPPORT_HOURS"):
        Settings(WALLETDESK_SUPPORT_HOURS=spec)


def test_bad_holiday_is_refused() -> None:
    with pytest.raises(ValidationError, match="2026-13-01"):
        Settings(WALLETDESK_HOLIDAYS="2026-12-25,2026-13-01")


def test_staffed_seconds_and_due() -> None:
    cal = hours(CAL)
    assert cal.staffed_between(ts(2026, 12, 4, 17, 0), ts(2026, 12, 7, 10, 0)) == 14 * 3600
    assert cal.due(ts(2026, 12, 5, 15, 0), 4 * 3600) == ts(2026, 12, 7, 13, 0)


def _ticket(priority: Priority, created: float) -> Ticket:
    from core.models import ChatRef, TicketState, UserRef

    return Ticket(1, UserRef("t", "1"), ChatRef("t", "1", is_private=True), None, TicketState.OPEN, priority, None,
                  "en", "s", None, None, None, created, created)


def test_sla_counts_staffed_time_except_for_urgent() -> None:
    settings = Settings(WALLETDESK_SUPPORT_HOURS="mon-fri 09:00-18:00")
    timers = Timers(settings, None, None, lambda: 0.0, lambda: None)  # type: ignore[arg-type]
    saturday = ts(2026, 12, 5, 21, 0)
    assert timers.sla_due(_ticket(Priority.URGENT, saturday)) == saturday + 15 * 60
    assert timers.sla_due(_ticket(Priority.NORMAL, saturday)) == ts(2026, 12, 7, 13, 0)


@pytest.mark.parametrize(("text", "context", "act"), [
    ("ok", ActContext.OFFER, Act.YES), ("ok", ActContext.NONE, Act.ACKNOWLEDGEMENT),
    ("👍", ActContext.RESOLVED, Act.ACKNOWLEDGEMENT), ("sure thing", ActContext.OFFER, Act.YES),
    ("不用了谢谢", ActContext.OFFER, Act.NO), ("还没人回复吗？？", ActContext.TICKET, Act.STILL_WAITING),
    ("你是真人吗", ActContext.NONE, Act.ASK_IF_BOT), ("help my tx is stuck", ActContext.NONE, Act.OTHER),
    ("thanks but the token still doesn't show", ActContext.RESOLVED, Act.OTHER),
])
def test_acts_in_context(text: str, context: ActContext, act: Act) -> None:
    assert classify(text, context) is act


def test_urgency_and_mood() -> None:
    assert urgent_reason("wallet drained!! all my usdt gone")
    assert urgent_reason("I did not make these transactions")
    assert urgent_reason("钱包被盗了")
    assert urgent_reason("my transfer has not arrived") is None
    assert mood("this is ridiculous") == "angry" and mood("我快崩溃了") == "desperate"
    assert mood("what are gas fees?") is None


def test_intake_values_are_recognised() -> None:
    assert recognise("tx_hash", "0x" + "ab" * 32).endswith("(EVM)")
    assert recognise("address", "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE").endswith("(Tron)")
    assert recognise("network", "我在BSC上转的") == "BEP20 (BNB Smart Chain)"
    assert recognise("amount", "sent 1,200.5 usdt") == "1200.5 USDT"
    assert recognise("amount", "order 123") is None


def test_intake_fields_in_yaml_and_csv(tmp_path: Path) -> None:
    yml = tmp_path / "faq.yaml"
    yml.write_text("entries:\n  - id: x\n    questions: {en: [a question]}\n    intake:\n"
                   "      - {name: network, type: network, ask: {en: Which network?}}\n", encoding="utf-8")
    (entry,) = load_faq(yml, partial=True)
    assert entry.intake[0].name == "network" and entry.intake[0].ask == {"en": "Which network?"}
    csv_file = tmp_path / "faq.csv"
    csv_file.write_text("id,lang,kind,text\nx,en,question,a question\nx,,intake,tx_hash:tx_hash\n"
                        "x,zh,intake,tx_hash:tx_hash:交易哈希是多少？\n", encoding="utf-8")
    (entry,) = load_faq(csv_file, partial=True)
    assert entry.intake[0].type == "tx_hash" and entry.intake[0].ask == {"zh": "交易哈希是多少？"}
    csv_file.write_text("id,lang,kind,text\nx,en,question,a question\nx,,intake,amount:money\n", encoding="utf-8")
    with pytest.raises(FaqFileError, match="intake type 'money'"):
        load_faq(csv_file, partial=True)
