"""SlackSim's App Home (``views.publish``) and file upload (``files.uploadV2``: the
upload URL, the bytes, the completion) against the real slack-sdk."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from .slack_sim import SlackSim

BOB = "U0BOB"


@pytest.fixture
async def sim() -> AsyncIterator[SlackSim]:
    async with SlackSim() as s:
        s.add_user(BOB, "bob")
        yield s


async def test_views_publish_keeps_a_valid_home_view_per_user(sim: SlackSim) -> None:
    client = AsyncWebClient(token=sim.token, base_url=sim.api_url)
    view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}]}
    await client.views_publish(user_id=BOB, view=view)
    assert sim.home_views[BOB]["blocks"] == view["blocks"]
    for user, bad, error in ((BOB, {"type": "modal", "blocks": []}, "invalid_arguments"),
                             (BOB, {"type": "home", "blocks": [{"type": "section"}]}, "invalid_arguments"),
                             ("U0NOBODY", view, "user_not_found")):
        with pytest.raises(SlackApiError) as refused:
            await client.views_publish(user_id=user, view=bad)
        assert refused.value.response["error"] == error


async def test_files_upload_v2_lands_in_the_channel_with_its_bytes(sim: SlackSim) -> None:
    client = AsyncWebClient(token=sim.token, base_url=sim.api_url)
    dm = (await client.conversations_open(users=BOB))["channel"]["id"]
    done = await client.files_upload_v2(channel=dm, content="line one\n", filename="t.txt", title="T",
                                        initial_comment="here")
    assert done["file"]["name"] == "t.txt"
    assert [(u.channel, u.filename, u.title, u.comment, u.content) for u in sim.uploads] == [
        (dm, "t.txt", "T", "here", "line one\n")]
    url = await client.files_getUploadURLExternal(filename="x.txt", length=3)
    with pytest.raises(SlackApiError) as refused:  # completed before its bytes were uploaded
        await client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": "x"}], channel_id=dm)
    assert refused.value.response["error"] == "file_not_found"
