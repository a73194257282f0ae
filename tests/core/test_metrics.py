"""The core counts what happened, once per committed event, in its registry."""

from __future__ import annotations

from mnemonic import Mnemonic

from core.use_cases import UseCases
from core.identity.policy import Actor
from tests.conftest import RecordingCodeSender
from tests.core.test_service import DM, GROUP, msg
import pytest
from pathlib import Path
from core.config import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Staff are named: the staff policy fails closed."""
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1,U2")



def sample(core: UseCases, name: str, **labels: str) -> float:
    return core.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_messages_faq_and_tickets_are_counted(core: UseCases) -> None:
    await core.dialogue.handle_message(msg("转账两个小时了还没到账"))  # answered, zh
    duplicate = msg("gas fees are too high", key="tg:metrics-dup")
    await core.dialogue.handle_message(duplicate)
    await core.dialogue.handle_message(duplicate)  # redelivery: not counted again
    await core.dialogue.handle_message(msg("can you predict the price of dogecoin next week"))  # abstained, offer
    await core.dialogue.handle_message(msg("yes"))  # opens a ticket
    await core.dialogue.handle_message(msg("   "))  # ignored

    assert sample(core, "walletdesk_messages_in_total", platform="telegram") == 4
    assert sample(core, "walletdesk_faq_total", result="answered", lang="zh") == 1
    assert sample(core, "walletdesk_faq_total", result="answered", lang="en") == 1
    assert sample(core, "walletdesk_faq_total", result="abstained", lang="en") == 1
    assert sample(core, "walletdesk_tickets_opened_total", platform="telegram") == 1


async def test_shield_detections_are_counted_by_kind(core: UseCases) -> None:
    phrase = Mnemonic("english").generate(128)
    await core.dialogue.handle_message(msg(f"is this right? {phrase}", chat=GROUP, addressed=False))
    await core.dialogue.handle_message(msg("my transfer is late", chat=DM))
    assert sample(core, "walletdesk_shield_detections_total", kind="seed_phrase") == 1
    assert sample(core, "walletdesk_messages_in_total", platform="telegram") == 2


async def test_one_time_codes_sent_verified_and_failed(core: UseCases, code_sender: RecordingCodeSender) -> None:
    out = await core.dialogue.handle_message(msg("human"))
    assert out.ticket_id is not None
    await core.staff.act(Actor.at_desk("slack:U1"), out.ticket_id, "request_verification", event_key="m1")
    code = code_sender.last_code
    await core.dialogue.handle_message(msg("000000" if code != "000000" else "111111"))
    await core.dialogue.handle_message(msg(code))
    assert sample(core, "walletdesk_otp_total", event="sent") == 1
    assert sample(core, "walletdesk_otp_total", event="failed") == 1
    assert sample(core, "walletdesk_otp_total", event="verified") == 1
    body = core.metrics.render().decode()
    assert code not in body  # a code never reaches the metrics page
