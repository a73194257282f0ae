"""The delivery actions are a closed set with typed payloads (core.contract): what the
core queues for an adapter uses only those actions and only the payload keys their
types declare, so an adapter written against the contract knows every key it gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import Settings
from core.contract import ACTIONS, DESK_ACTIONS, PAYLOADS
from core.models import ChatRef, Delivery, InboundMessage, UserRef
from core.identity.policy import Actor
from core.support.outbox import Effects
from core.use_cases import UseCases
from tests.conftest import make_settings

ALICE = UserRef("telegram", "100")
DM = ChatRef("telegram", "100", is_private=True)
STAFF = Actor.at_desk("slack:U1")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, SLACK_STAFF_USERS="U1")


def _msg(n: int, text: str) -> InboundMessage:
    return InboundMessage(event_key=f"p:{n}", user=ALICE, chat=DM, text=text, message_id=str(n), display_name="Alice",
                          addressed=True)


async def _rows(core: UseCases) -> list[dict]:
    async with core.store.transaction() as tx:
        rows = await tx.deliveries()
    return [{"id": r.id, "platform": r.platform, "action": r.action, "chat_id": r.chat_id, "thread_id": r.thread_id,
             "payload": json.loads(r.payload)} for r in rows]


async def test_every_queued_delivery_is_a_contract_action_with_its_declared_keys(core: UseCases) -> None:
    await core.dialogue.handle_message(_msg(1, "my transfer has not arrived after two hours"))
    out = await core.dialogue.handle_message(_msg(2, "human"))
    assert out.ticket_id is not None
    tid = out.ticket_id
    await core.staff.act(STAFF, tid, "claim", event_key="a1")
    await core.staff.act(STAFF, tid, "note", event_key="a2", text="internal", source_ref="1.1")
    await core.staff.act(STAFF, tid, "reply", event_key="a3", text="Please send the tx hash", source_ref="1.2")
    reply = next(r for r in await _rows(core) if r["action"] == "send" and r["payload"].get("ack_ref"))
    delivered = Delivery(reply["id"], reply["platform"], reply["action"], reply["chat_id"], reply["thread_id"],
                         reply["payload"], ticket_id=tid)
    await core.timers.delivery_finished(delivered, False, "chat not found", None)  # desk_ack and a desk line
    await core.staff.act(STAFF, tid, "resolve", event_key="a4")

    rows = await _rows(core)
    seen = {r["action"] for r in rows}
    assert {"send", "desk_upsert", "desk_post", "desk_ack"} <= seen  # the flow reached them all
    for row in rows:
        assert row["action"] in ACTIONS, row
        declared = set(PAYLOADS[row["action"]].__annotations__)
        assert set(row["payload"]) <= declared, (row["action"], set(row["payload"]) - declared)


def test_a_desk_row_outside_the_closed_set_is_refused() -> None:
    effects = Effects("cause")
    effects.desk(ChatRef("console", "desk"), "desk_post", 1, {"kind": "system", "text": "x"})
    with pytest.raises(ValueError, match="desk_poke"):
        effects.desk(ChatRef("console", "desk"), "desk_poke", 1)
    assert DESK_ACTIONS <= ACTIONS and "send" not in DESK_ACTIONS
