"""Operating the real ``walletdesk`` process: the FAQ file is edited while it
runs, staff add a phrasing with ``/faq add``, and ``/metrics`` counts it all."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.i18n import t
from tests.e2e.harness import PLATFORM_TIME, WalletdeskProcess
from tests.simulators.slack_sim import SlackSim
from tests.waiting import BUILD_DEADLINE, wait_until

STAFF = "C0STAFF"
AGENT = "U0AGENT"
COMMUNITY = "C0COMMUNITY"
MEMBER = "U0MEMBER"

FIRST = "the zorblax bridge ate my coins"
SECOND = "my coins are stuck in the flumph portal"

OPERATOR_FAQ = """
- id: transfer-not-arrived
  questions:
    en: [sent from my exchange an hour ago and nothing yet]
"""


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


async def _ask(slack: SlackSim, proc: WalletdeskProcess, question: str) -> str:
    event = slack.app_mention_event(COMMUNITY, MEMBER, f"<@{slack.bot_user_id}> {question}")
    await slack.send_event(proc.base_url + "/slack/events", event)
    return (await slack.wait_for_post(COMMUNITY, thread_ts=event["ts"])).text


async def _answer_if_known(slack: SlackSim, proc: WalletdeskProcess, question: str, not_sure: str) -> str | None:
    answer = await _ask(slack, proc, question)
    return None if answer == not_sure else answer


async def _metrics(proc: WalletdeskProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as client:
        resp = await client.get(proc.base_url + "/metrics", timeout=5)
    assert resp.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


# three FAQ builds for entries no other test has (at start, after the edit, after /faq add) are
# what this test is about: each up to half a minute on a busy machine
@pytest.mark.timeout(900)  # two FAQ rebuilds: see BUILD_DEADLINE
async def test_faq_hot_reload_admin_phrasing_and_metrics(tmp_path: Path) -> None:
    faq_file = tmp_path / "operator_faq.yaml"
    _write(faq_file, OPERATOR_FAQ)
    async with SlackSim(clock=PLATFORM_TIME) as slack:
        slack.add_channel(STAFF, "staff-desk")
        slack.add_channel(COMMUNITY, "wallet-help")
        slack.add_user(AGENT, "agent", display_name="Agent Bob")
        slack.add_user(MEMBER, "member", display_name="Carol")
        proc = WalletdeskProcess(tmp_path, {
            "SLACK_BOT_TOKEN": slack.token, "SLACK_SIGNING_SECRET": slack.signing_secret,
            "SLACK_API_BASE_URL": slack.api_url, "SLACK_STAFF_CHANNEL": STAFF, "SLACK_STAFF_USERS": AGENT,
            "SLACK_FAQ_ADMINS": AGENT,
            "WALLETDESK_FAQ_FILE": str(faq_file), "WALLETDESK_FAQ_RELOAD_SECONDS": "0.3",
            "WALLETDESK_FLOOD_USER": "off", "WALLETDESK_FLOOD_GROUP": "off",  # it asks again and again until the reload shows
        })
        await proc.start(timeout=BUILD_DEADLINE)  # its FAQ is built at start: no other test has it cached
        try:
            not_sure = t("faq.group_offer_human", "en")
            assert await _ask(slack, proc, FIRST) == not_sure

            # the operator adds the phrasing to the file; the running process picks it up
            _write(faq_file, OPERATOR_FAQ.replace("nothing yet]", f"nothing yet, {FIRST}]"))
            answer = await wait_until(lambda: _answer_if_known(slack, proc, FIRST, not_sure), interval=0.3,
                                      timeout=BUILD_DEADLINE, what="the edited FAQ file answering")
            assert "explorer" in answer.lower()

            # an admin teaches the FAQ from Slack; the answer changes at once
            assert await _ask(slack, proc, SECOND) == not_sure
            await slack.slash_command(proc.base_url + "/slack/events", "/faq", f"add transfer-not-arrived {SECOND}",
                                      user=AGENT, channel=STAFF)
            await slack.wait_for(lambda: any(m.ephemeral_to == AGENT for m in slack.ephemerals), BUILD_DEADLINE)
            assert "explorer" in (await _ask(slack, proc, SECOND)).lower()

            metrics = await _metrics(proc)
            asked = sum(v for (name, labels), v in metrics.items() if name == "walletdesk_messages_in_total")
            answered = metrics[("walletdesk_faq_total", (("lang", "en"), ("result", "answered")))]
            abstained = metrics[("walletdesk_faq_total", (("lang", "en"), ("result", "abstained")))]
            assert asked == answered + abstained and answered == 2 and abstained >= 2
            assert metrics[("walletdesk_faq_reloads_total", ())] >= 2
            assert metrics[("walletdesk_tickets", (("state", "open"),))] == 0
            assert ("walletdesk_outbox_pending", ()) in metrics
        finally:
            await proc.stop()
        assert "Traceback" not in proc.output()
