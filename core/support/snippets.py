"""Snippets: the desk's canned replies as data staff edit (``/snippet ...`` on Slack,
``/desk snippet ...`` on the console) and insert into a ticket (the ``snippet``
staff action, alias ``canned``), in the ticket's language.

Each snippet has an English text and an optional Chinese one (a Chinese ticket
without it gets the English text). Texts may hold three placeholders, filled
when the snippet is sent: ``{user}`` (the user's display name), ``{ticket_id}``
and ``{agent}`` (the sending staff member's name as their platform shows it,
:attr:`Actor.display_name`, else "the support team"). Any other placeholder is
refused with one line. Texts pass the shield gate as staff text; one that holds
a secret is refused.
Listing and sending need the staff permission; adding, editing and removing
need :attr:`Permission.EDIT_SNIPPETS` (see :class:`core.identity.policy.StaffPolicy`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass

from core.config import Settings
from core.errors import InvalidInput
from core.i18n import t
from core.identity.policy import Actor, Permission, StaffPolicy
from core.shield.gate import TextSource, guard
from core.storage import SqlTx, Store
from core.storage.desk_rows import SnippetRecord

__all__ = ["PLACEHOLDERS", "Snippet", "SnippetBook", "check_template", "fill", "load_snippet", "usage", "valid_name"]

PLACEHOLDERS = ("user", "ticket_id", "agent")
MAX_CHARS = 3000
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_PREVIEW = 60


@dataclass(frozen=True, slots=True)
class Snippet:
    name: str
    en: str
    zh: str | None

    def body(self, lang: str) -> str:
        """The text for ``lang``: Chinese when there is one, else English."""
        return self.zh if lang == "zh" and self.zh else self.en

    @property
    def langs(self) -> str:
        return "en+zh" if self.zh else "en"


def usage(lang: str) -> str:
    return t("snippet.usage", lang, placeholders=", ".join("{" + p + "}" for p in PLACEHOLDERS))


def valid_name(name: str) -> bool:
    return bool(_NAME_RE.match(name))


def check_template(text: str) -> None:
    """Raise InvalidInput (one line) unless every ``{...}`` in ``text`` is a known placeholder."""
    try:
        fields = [(name, spec, conv) for _lit, name, spec, conv in string.Formatter().parse(text) if name is not None]
    except ValueError:  # a lone brace
        raise InvalidInput("unbalanced brace in the snippet", key="snippet.bad_placeholder",
                           placeholder="{") from None
    for name, spec, conv in fields:
        if name not in PLACEHOLDERS or spec or conv:
            shown = "{" + name + ("!" + conv if conv else "") + (":" + spec if spec else "") + "}"
            raise InvalidInput(f"unknown placeholder {shown}", key="snippet.bad_placeholder", placeholder=shown[:40])


def fill(template: str, *, user: str, ticket_id: int, agent: str) -> str:
    """``template`` with its placeholders filled; an empty ``user`` leaves no stray comma or space."""
    text = template.format(user=user, ticket_id=ticket_id, agent=agent)
    if not user:
        text = re.sub(r" +([,，!！])", r"\1", text).replace("  ", " ")
        text = re.sub(r"^[,，]\s*", "", text)
    return text.strip()


def _row(row: SnippetRecord) -> Snippet:
    return Snippet(row.name, row.body_en, row.body_zh or None)


async def load_snippet(tx: SqlTx, name: str) -> Snippet:
    """The snippet called ``name``; InvalidInput listing the names there are when none is."""
    name = name.strip().lower()
    row = await tx.get_snippet(name) if valid_name(name) else None
    if row is None:
        names = ", ".join(r.name for r in await tx.snippets()) or "-"
        raise InvalidInput(f"no snippet {name[:40]!r}; available: {names}", key="snippet.unknown",
                           name=name[:40], available=names)
    return _row(row)


class SnippetBook:
    """``command(actor, text, lang)``: one ``/snippet`` command, answered with one line."""

    def __init__(self, settings: Settings, store: Store, policy: StaffPolicy, clock: Callable[[], float]) -> None:
        self.limit = min(settings.max_message_chars, MAX_CHARS)
        self.store = store
        self.policy = policy
        self.clock = clock

    async def command(self, actor: Actor, text: str, lang: str) -> str:
        """``list``, ``show <name>``, ``add <name> <text>``, ``edit <name> [en|zh] <text>``,
        ``remove <name> [zh]``. Refusals (not allowed, bad input) come back as the line."""
        try:
            return await self._command(actor, text.strip(), lang)
        except InvalidInput as exc:  # NotAllowed is one too
            return t(exc.key, lang, **exc.params) if exc.key else usage(lang)

    async def _command(self, actor: Actor, text: str, lang: str) -> str:
        verb, _, rest = text.partition(" ")
        verb, rest = verb.lower(), rest.strip()
        if verb in ("", "list"):
            self.policy.require(actor, Permission.STAFF)
            return await self._list(lang)
        name, _, body = rest.partition(" ")
        name, body = name.lower(), body.strip()
        if verb not in ("show", "add", "edit", "remove") or not name:
            return usage(lang)
        if verb == "show":
            self.policy.require(actor, Permission.STAFF)
            async with self.store.transaction() as tx:
                found = await load_snippet(tx, name)
            return t("snippet.show", lang, name=found.name, en=found.en, zh=found.zh or t("snippet.no_zh", lang))
        self.policy.require(actor, Permission.EDIT_SNIPPETS)
        if not valid_name(name):
            raise InvalidInput(f"bad snippet name {name[:40]!r}", key="snippet.bad_name")
        if verb == "remove":
            return await self._remove(actor, name, body.lower(), lang)
        target = "en"
        if verb == "edit":
            first, _, after = body.partition(" ")
            if first.lower() in ("en", "zh"):
                target, body = first.lower(), after.strip()
        clean = self._clean(body)
        now = self.clock()
        async with self.store.transaction() as tx:
            if verb == "add":
                if not await tx.add_snippet(name, clean, None, actor.key, now):
                    raise InvalidInput(f"snippet {name!r} exists", key="snippet.exists", name=name)
                return t("snippet.added", lang, name=name, langs="en")
            if not await tx.set_snippet_body(name, target, clean, actor.key, now):
                await load_snippet(tx, name)  # raises: no such snippet
            found = await load_snippet(tx, name)
        return t("snippet.updated", lang, name=name, langs=found.langs)

    def _clean(self, body: str) -> str:
        if not body:
            raise InvalidInput("empty snippet", key="snippet.empty")
        if len(body) > self.limit:
            raise InvalidInput(f"snippet too long ({len(body)} > {self.limit})", key="snippet.too_long",
                               limit=self.limit)
        guarded = guard(body, TextSource.STAFF_TEXT)
        if guarded.leak:
            raise InvalidInput(f"the snippet holds a secret ({', '.join(guarded.kinds)})", key="snippet.secret")
        check_template(guarded.text)
        return guarded.text

    async def _remove(self, actor: Actor, name: str, lang: str, out_lang: str) -> str:
        now = self.clock()
        async with self.store.transaction() as tx:
            await load_snippet(tx, name)
            if lang == "zh":
                await tx.set_snippet_body(name, "zh", None, actor.key, now)
                return t("snippet.zh_removed", out_lang, name=name)
            if lang:
                return usage(out_lang)
            await tx.delete_snippet(name)
        return t("snippet.removed", out_lang, name=name)

    async def _list(self, lang: str) -> str:
        async with self.store.transaction() as tx:
            found = [_row(r) for r in await tx.snippets()]
        if not found:
            return t("snippet.none", lang)
        items = "; ".join(
            t("snippet.list_item", lang, name=s.name, langs=s.langs,
              preview=s.body(lang)[:_PREVIEW] + ("…" if len(s.body(lang)) > _PREVIEW else "")) for s in found)
        return t("snippet.list", lang, items=items)
