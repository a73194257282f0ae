"""Application commands: ``/faq``, ``/ticket``, ``/verify`` and the message
context-menu command "Escalate to staff" (moderators only).

Every answer is ephemeral, in the language of the invoker's Discord locale, and
leaves within Discord's 3-second window: work that takes longer than
:data:`DEFER_AFTER` is deferred first and the answer edited in afterwards.
Command descriptions come from the i18n catalogue, with Chinese localisations
supplied through :class:`CatalogTranslator`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from adapters.discord.translate import display_name, lang_of, mentioned_user_id, target_inbound
from core.errors import InvalidInput, WalletdeskError
from core.i18n import CATALOG, t
from core.identity.policy import Actor
from core.models import ChatRef, InboundMessage, UserRef
from core.text import split_text

if TYPE_CHECKING:
    from core.use_cases import UseCases

__all__ = ["CatalogTranslator", "DEFER_AFTER", "SupportCommands"]

_LOGGER = logging.getLogger(__name__)

DEFER_AFTER = 2.0  # seconds; Discord drops an interaction not acknowledged within 3
TEXT_LIMIT = 2000
_NO_MENTIONS = discord.AllowedMentions.none()


def _text(key: str) -> app_commands.locale_str:
    """A command string from the catalogue (English default, ``key`` for translation)."""
    return app_commands.locale_str(t(key, "en"), key=key)


class CatalogTranslator(app_commands.Translator):
    """Localises command names and descriptions from the i18n catalogue (zh-CN, zh-TW)."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        key = string.extras.get("key")
        if key in CATALOG and lang_of(locale) == "zh":
            return t(key, "zh")
        return None


class SupportCommands:
    """Builds the command tree and answers its interactions through the core.

    Args:
        core: the support core.
        client: the logged-in discord.py client.
    """

    def __init__(self, core: "UseCases", client: discord.Client) -> None:
        self.core = core
        self.client = client
        self.in_flight: set[asyncio.Future[str]] = set()  # awaited by the adapter's stop()

    @property
    def bot_id(self) -> int:
        return self.client.user.id if self.client.user else 0

    def build_tree(self) -> app_commands.CommandTree[discord.Client]:
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        tree.on_error = self._on_error  # type: ignore[method-assign]

        @tree.command(name="faq", description=_text("discord.cmd.faq"))
        @app_commands.describe(question=_text("discord.cmd.faq.question"))
        async def faq(interaction: discord.Interaction, question: str) -> None:
            lang = lang_of(interaction.locale)
            await self._answer(interaction, lang, self.faq(question, lang))

        @tree.command(name="ticket", description=_text("discord.cmd.ticket"))
        async def ticket(interaction: discord.Interaction) -> None:
            lang = lang_of(interaction.locale)
            await self._answer(interaction, lang, self.ticket(interaction, lang))

        @tree.command(name="verify", description=_text("discord.cmd.verify"))
        @app_commands.describe(name=_text("discord.cmd.verify.name"))
        async def verify(interaction: discord.Interaction, name: str) -> None:
            lang = lang_of(interaction.locale)
            await self._answer(interaction, lang, self.verify(interaction, name, lang))

        @tree.context_menu(name=_text("discord.cmd.escalate"))
        @app_commands.default_permissions(manage_messages=True)
        @app_commands.guild_only()
        async def escalate(interaction: discord.Interaction, message: discord.Message) -> None:
            lang = lang_of(interaction.locale)
            await self._answer(interaction, lang, self.escalate(interaction, message, lang))

        @tree.context_menu(name=_text("discord.cmd.block"))
        @app_commands.default_permissions(manage_messages=True)
        @app_commands.guild_only()
        async def block(interaction: discord.Interaction, message: discord.Message) -> None:
            lang = lang_of(interaction.locale)
            await self._answer(interaction, lang, self.block(interaction, message, lang))

        return tree

    # the work behind each command (returns the ephemeral answer) ---------------------

    async def faq(self, question: str, lang: str) -> str:
        """The FAQ answer in ``lang``, or where to find a human when the engine abstains."""
        return self.core.answers.public_answer(question, lang)

    async def ticket(self, interaction: discord.Interaction, lang: str) -> str:
        """Asks the core for the ticket status; the answer arrives by private message."""
        if interaction.guild_id is None and interaction.channel_id is not None:
            channel_id = interaction.channel_id
        else:
            channel_id = (await self.client.create_dm(interaction.user)).id
        await self.core.dialogue.handle_message(InboundMessage(
            event_key=f"discord:int:{interaction.id}",
            user=UserRef("discord", str(interaction.user.id)),
            chat=ChatRef("discord", str(channel_id), is_private=True),
            text="/ticket",
            display_name=display_name(interaction.user),
            locale=interaction.locale.value,
            addressed=True,
        ))
        return t("discord.ticket_dm", lang)

    async def verify(self, interaction: discord.Interaction, name: str, lang: str) -> str:
        """Staff check by name, or by account when ``name`` is a user mention."""
        user_id = mentioned_user_id(name)
        if user_id is None:
            return self.core.roster.describe(name, lang)
        user: discord.abc.User | None = interaction.guild.get_member(user_id) if interaction.guild else None
        user = user or self.client.get_user(user_id)
        if user is None:
            try:
                user = await self.client.fetch_user(user_id)
            except discord.NotFound:
                user = None
        return self.core.roster.describe(display_name(user) if user else "", lang, user_key=f"discord:{user_id}")

    async def escalate(self, interaction: discord.Interaction, message: discord.Message, lang: str) -> str:
        """A moderator passes ``message`` to staff; checked again here because server
        admins can change who sees the command."""
        if message.author.bot:
            return t("discord.escalate_bot", lang)
        moderator = Actor(UserRef("discord", str(interaction.user.id)), platform_moderator=bool(
            interaction.guild_id is not None and interaction.permissions.manage_messages))
        try:
            outcome = await self.core.escalation.escalate(moderator=moderator,
                                                          target=target_inbound(message, bot_id=self.bot_id),
                                                          event_key=f"discord:int:{interaction.id}")
        except InvalidInput as exc:  # not a moderator (NotAllowed), or the author is blocked
            return t(exc.key or "escalate.not_moderator", lang)
        if outcome.ticket_id is None:
            return t("discord.escalated_again", lang)
        return t("discord.escalated", lang, ticket_id=outcome.ticket_id)

    async def block(self, interaction: discord.Interaction, message: discord.Message, lang: str) -> str:
        """A moderator blocks the author of ``message`` (core/support/abuse.py decides who may)."""
        if message.author.bot:
            return t("discord.escalate_bot", lang)
        moderator = Actor(UserRef("discord", str(interaction.user.id)), platform_moderator=bool(
            interaction.guild_id is not None and interaction.permissions.manage_messages))
        try:
            key = await self.core.blocking.block(moderator, f"discord:{message.author.id}", "",
                                                 event_key=f"discord:int:{interaction.id}")
        except InvalidInput as exc:
            return t(exc.key or "abuse.not_moderator", lang, **exc.params)
        return t("abuse.blocked_done", lang, user=display_name(message.author) or key)

    # plumbing -----------------------------------------------------------------------

    async def _answer(self, interaction: discord.Interaction, lang: str, work: Awaitable[str]) -> None:
        """Run ``work`` and answer ephemerally; defer first when it is slow."""
        task = asyncio.ensure_future(work)
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)
        done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
        deferred = False
        try:
            if not done:
                await interaction.response.defer(ephemeral=True, thinking=True)
                deferred = True
        except discord.HTTPException as exc:
            _LOGGER.warning("discord: could not defer interaction %s: %s", interaction.id, exc.status)
        try:
            text = await task
        except WalletdeskError as exc:
            _LOGGER.warning("discord: interaction %s rejected: %s", interaction.id, type(exc).__name__)
            text = t(exc.key, lang) if exc.key in CATALOG and not exc.params else t("error.generic", lang)
        except Exception:  # a bad interaction must never take the gateway down
            _LOGGER.exception("discord: interaction %s failed", interaction.id)
            text = t("error.generic", lang)
        chunks = split_text(discord.utils.escape_mentions(text), TEXT_LIMIT)
        try:
            if deferred:
                await interaction.edit_original_response(content=chunks[0], allowed_mentions=_NO_MENTIONS)
            else:
                await interaction.response.send_message(chunks[0], ephemeral=True, allowed_mentions=_NO_MENTIONS)
            for chunk in chunks[1:]:
                await interaction.followup.send(chunk, ephemeral=True, allowed_mentions=_NO_MENTIONS)
        except discord.HTTPException as exc:
            _LOGGER.warning("discord: could not answer interaction %s: %s (code %s)", interaction.id, exc.status,
                            exc.code)

    async def _on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        _LOGGER.error("discord: app command failed: %s", type(error).__name__, exc_info=error)
