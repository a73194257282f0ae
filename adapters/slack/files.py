"""Downloading the files people share in Slack (``url_private``), for the shield.

Slack serves a file's bytes only to a request carrying a token of the
workspace (``Authorization: Bearer xoxb-...``), so the token is sent, and only
to Slack's own file host (or the configured ``SLACK_API_BASE_URL``'s host, a
simulator in tests): a URL elsewhere in an event is refused rather than handed
the bot token. Redirects are not followed (one would carry the token on).
"""

from __future__ import annotations

import logging

import aiohttp
import yarl

from core.errors import DeliveryError
from core.models import InboundImage

__all__ = ["SLACK_FILE_HOSTS", "SlackFiles"]

_LOGGER = logging.getLogger(__name__)

SLACK_FILE_HOSTS = frozenset({"files.slack.com"})
_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)


class SlackFiles:
    """Args:
        token: the bot token (files:read scope).
        api_base_url: ``SLACK_API_BASE_URL`` when set: its host may serve files too.
    """

    def __init__(self, token: str, api_base_url: str | None = None) -> None:
        self._token = token
        self.hosts = set(SLACK_FILE_HOSTS)
        if api_base_url:
            host = yarl.URL(api_base_url).host
            if host:
                self.hosts.add(host)
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, image: InboundImage, limit: int) -> bytes:
        """The file's bytes (at most ``limit + 1``: a larger file is cut there, and refused by the caller)."""
        url = yarl.URL(image.ref)
        if url.scheme not in ("https", "http") or url.host not in self.hosts:
            raise DeliveryError(f"slack: not a Slack file URL (host {url.host!r})")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=_TIMEOUT)
        headers = {"Authorization": f"Bearer {self._token}"}
        async with self._session.get(url, headers=headers, allow_redirects=False) as resp:
            if resp.status != 200:
                raise DeliveryError(f"slack: file download answered {resp.status}")
            if resp.content_type.startswith("text/html"):  # Slack's sign-in page: the token was not accepted
                raise DeliveryError("slack: file download answered a web page, not the file")
            data = bytearray()
            async for chunk in resp.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > limit:
                    break
            return bytes(data)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
