"""One staff policy in the core: adapters report facts, the policy decides, and
the use cases refuse before they change anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from core.identity.policy import Actor, NotAllowed, Permission, StaffPolicy, Verdict
from core.models import ChatRef, InboundMessage, UserRef
from core.use_cases import UseCases
from tests.conftest import make_settings

STAFF, ESCALATE, FAQ = Permission.STAFF, Permission.ESCALATE, Permission.EDIT_FAQ


def slack(user: str, *, desk: bool = False) -> Actor:
    return Actor(UserRef("slack", user), in_desk_channel=desk)


def test_console_operator_is_staff_by_default_and_can_be_renamed(tmp_path: Path) -> None:
    policy = StaffPolicy(make_settings(tmp_path))
    assert policy.decide(Actor.at_desk("console:operator"), STAFF) is Verdict.ALLOWED
    assert policy.decide(Actor.at_desk("console:someone"), STAFF) is Verdict.NOT_STAFF
    renamed = StaffPolicy(make_settings(tmp_path, WALLETDESK_CONSOLE_OPERATOR="console:alice"))
    assert renamed.decide(Actor.at_desk("console:alice"), STAFF) is Verdict.ALLOWED
    assert renamed.decide(Actor.at_desk("console:operator"), STAFF) is Verdict.NOT_STAFF


def test_slack_staff_list_decides_wherever_the_request_comes_from(tmp_path: Path) -> None:
    policy = StaffPolicy(make_settings(tmp_path, SLACK_STAFF_USERS="U1,slack:U2"))
    assert policy.decide(slack("U1"), STAFF) is Verdict.ALLOWED
    assert policy.decide(slack("U2", desk=True), STAFF) is Verdict.ALLOWED
    assert policy.decide(slack("U3", desk=True), STAFF) is Verdict.NOT_STAFF
    # the same id on another platform is another person
    assert policy.decide(Actor(UserRef("telegram", "U1")), STAFF) is Verdict.NOT_STAFF


def test_without_a_list_group_or_private_channel_nobody_on_slack_is_staff(tmp_path: Path) -> None:
    """Fail closed: writing from the staff channel is not enough (it used to be)."""
    policy = StaffPolicy(make_settings(tmp_path))
    assert policy.decide(slack("U9", desk=True), STAFF) is Verdict.NOT_STAFF
    assert policy.decide(slack("U9", desk=True), FAQ) is Verdict.NOT_FAQ_ADMIN
    assert policy.decide(slack("U9", desk=True), ESCALATE) is Verdict.NOT_MODERATOR


def test_a_public_staff_channel_refuses_start_up_in_one_line(tmp_path: Path) -> None:
    policy = StaffPolicy(make_settings(tmp_path))
    for private in (False, None):
        with pytest.raises(ConfigError) as refused:
            policy.record_desk_facts("slack", members=["U9"], channel_private=private)
        assert "\n" not in str(refused.value) and "SLACK_STAFF_USERS" in str(refused.value)
        assert policy.decide(slack("U9", desk=True), STAFF) is Verdict.NOT_STAFF


def test_members_of_a_verified_private_staff_channel_are_staff_there(tmp_path: Path) -> None:
    policy = StaffPolicy(make_settings(tmp_path))
    policy.record_desk_facts("slack", members=["U9"], channel_private=True)
    assert policy.decide(slack("U9", desk=True), STAFF) is Verdict.ALLOWED
    assert policy.decide(slack("U9"), STAFF) is Verdict.DESK_ONLY
    assert policy.decide(slack("U8", desk=True), STAFF) is Verdict.NOT_STAFF
    assert policy.decide(slack("U9", desk=True), FAQ) is Verdict.ALLOWED


def test_a_user_group_makes_its_members_staff_and_nobody_until_resolved(tmp_path: Path) -> None:
    policy = StaffPolicy(make_settings(tmp_path, SLACK_STAFF_GROUP="S1"))
    assert policy.decide(slack("U9", desk=True), STAFF) is Verdict.NOT_STAFF  # not resolved yet
    policy.record_desk_facts("slack", members=["U9"])
    assert policy.decide(slack("U9"), STAFF) is Verdict.ALLOWED
    assert policy.decide(slack("U8", desk=True), STAFF) is Verdict.NOT_STAFF


def test_escalation_needs_a_moderator_fact_or_a_configured_moderator(tmp_path: Path) -> None:
    policy = StaffPolicy(make_settings(tmp_path, TELEGRAM_MODERATORS="42"))
    assert policy.decide(Actor(UserRef("telegram", "42")), ESCALATE) is Verdict.ALLOWED
    assert policy.decide(Actor(UserRef("telegram", "43")), ESCALATE) is Verdict.NOT_MODERATOR
    assert policy.decide(Actor(UserRef("telegram", "43"), platform_moderator=True), ESCALATE) is Verdict.ALLOWED
    assert policy.decide(Actor(UserRef("discord", "42")), ESCALATE) is Verdict.NOT_MODERATOR


def test_faq_admins_when_listed_otherwise_whoever_is_staff(tmp_path: Path) -> None:
    listed = StaffPolicy(make_settings(tmp_path, SLACK_STAFF_USERS="U1", SLACK_FAQ_ADMINS="U2"))
    assert listed.decide(slack("U2"), FAQ) is Verdict.ALLOWED
    assert listed.decide(slack("U1", desk=True), FAQ) is Verdict.NOT_FAQ_ADMIN
    unlisted = StaffPolicy(make_settings(tmp_path, SLACK_STAFF_USERS="U1"))
    assert unlisted.decide(slack("U1"), FAQ) is Verdict.ALLOWED
    assert unlisted.decide(slack("U5", desk=True), FAQ) is Verdict.NOT_FAQ_ADMIN


async def test_a_refused_staff_action_changes_nothing(core: UseCases) -> None:
    out = await core.dialogue.handle_message(InboundMessage(
        "tg:1", UserRef("telegram", "100"), ChatRef("telegram", "100", is_private=True), "human", "1",
        display_name="Alice"))
    assert out.ticket_id is not None
    async with core.store.transaction() as tx:
        before = (await tx.get_ticket(out.ticket_id), len(await tx.deliveries()))
    for actor in (slack("U7"), Actor(UserRef("telegram", "100")), Actor.at_desk("console:intruder")):
        with pytest.raises(NotAllowed) as refused:
            await core.staff.act(actor, out.ticket_id, "reply", event_key=f"x-{actor.key}", text="hi")
        assert refused.value.key in ("policy.not_staff", "policy.desk_only")
    async with core.store.transaction() as tx:
        assert (await tx.get_ticket(out.ticket_id), len(await tx.deliveries())) == before


def test_snippet_editors_are_staff_and_faq_admins_when_those_are_named(tmp_path: Path) -> None:
    edit = Permission.EDIT_SNIPPETS
    open_policy = StaffPolicy(make_settings(tmp_path, SLACK_STAFF_USERS="U1,U2"))
    assert open_policy.decide(slack("U2"), edit) is Verdict.ALLOWED  # no FAQ admins: any staff
    assert open_policy.decide(slack("U9"), edit) is Verdict.NOT_SNIPPET_EDITOR
    named = StaffPolicy(make_settings(tmp_path, SLACK_STAFF_USERS="U1,U2", SLACK_FAQ_ADMINS="U1,U7"))
    assert named.decide(slack("U1"), edit) is Verdict.ALLOWED
    assert named.decide(slack("U2"), edit) is Verdict.NOT_SNIPPET_EDITOR  # staff, not an FAQ admin
    assert named.decide(slack("U7"), edit) is Verdict.NOT_SNIPPET_EDITOR  # FAQ admin, not staff
    assert named.decide(slack("U7"), FAQ) is Verdict.ALLOWED  # ...who still edits the FAQ
    with pytest.raises(NotAllowed) as refused:
        named.require(slack("U2"), edit)
    assert refused.value.key == "snippet.not_editor"
