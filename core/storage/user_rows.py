"""Store queries of accounts and persons (``users``): one row per platform account, linked
accounts sharing a ``person_id``. A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

import json

from core.models import UserRef
from core.storage.connection import Connection, Row

__all__ = ["UserRows"]


class UserRows:
    """Accounts, their names and links. Needs ``_c``."""

    __slots__ = ()
    _c: Connection

    async def upsert_user(self, user: UserRef, display_name: str, lang: str | None, now: float) -> None:
        """Create or refresh an account; an empty name or a None ``lang`` keeps what is stored."""
        await self._c.execute(
            "INSERT INTO users(user_key, platform, user_id, display_name, lang, person_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_key) DO UPDATE SET"
            " display_name = CASE WHEN excluded.display_name = '' THEN users.display_name ELSE excluded.display_name END,"
            " lang = CASE WHEN ? = 1 THEN excluded.lang ELSE users.lang END",
            (user.key, user.platform, user.user_id, display_name, lang or "en", user.key, now, int(bool(lang))),
        )

    async def get_user(self, user_key: str) -> Row | None:
        return await self._c.fetchone("SELECT * FROM users WHERE user_key = ?", (user_key,))

    async def find_users_by_name(self, name: str) -> list[Row]:
        return await self._c.fetchall("SELECT * FROM users WHERE lower(display_name) = lower(?)", (name,))

    async def link_users(self, a: str, b: str, *, confirmed_at: float | None = None) -> None:
        """Put ``b`` (and everyone linked to it) into ``a``'s person; ``confirmed_at``: both
        accounts agreed to it (one redeemed the other's code, the other confirmed)."""
        row_a = await self.get_user(a)
        row_b = await self.get_user(b)
        if row_a is None or row_b is None:
            return
        await self._c.execute("UPDATE users SET person_id = ? WHERE person_id = ?", (row_a["person_id"], row_b["person_id"]))
        if confirmed_at is not None:
            await self._c.execute("UPDATE users SET link_confirmed_at = ? WHERE user_key IN (?, ?)", (confirmed_at, a, b))

    async def person_accounts(self, user_key: str) -> list[Row]:
        """Every account of ``user_key``'s person (itself included): ``user_key, platform, user_id,
        display_name, link_confirmed_at``, in key order."""
        return await self._c.fetchall(
            "SELECT u.user_key, u.platform, u.user_id, u.display_name, u.link_confirmed_at FROM users u"
            " JOIN users me ON me.person_id = u.person_id WHERE me.user_key = ? ORDER BY u.user_key",
            (user_key,),
        )

    async def confirmed_user_keys(self, user_key: str) -> list[str]:
        """The accounts a privacy request for ``user_key`` covers: itself, and the accounts of its
        person whose link was confirmed when its own was; only itself when its link never was."""
        rows = await self.person_accounts(user_key)
        mine = next((r for r in rows if r["user_key"] == user_key), None)
        if mine is None or mine["link_confirmed_at"] is None:
            return [user_key]
        return [r["user_key"] for r in rows if r["link_confirmed_at"] is not None]

    async def linked_user_keys(self, user_key: str) -> list[str]:
        """The accounts that share ``user_key``'s tickets: the same as a privacy request covers,
        so a link made before confirmation was required (perhaps with a guessed code) shares nothing."""
        return await self.confirmed_user_keys(user_key)

    async def delete_user(self, user_key: str) -> None:
        await self._c.execute("DELETE FROM conversations WHERE user_key = ?", (user_key,))
        await self._c.execute("DELETE FROM otp_codes WHERE user_key = ?", (user_key,))
        # link requests this account made wait under the other account's key and name this one
        # in their data (written by json.dumps, so the fragment is exact)
        fragment = json.dumps({"to": user_key})[1:-1]
        pattern = "%" + fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        await self._c.execute("DELETE FROM otp_codes WHERE purpose = 'link_confirm' AND data LIKE ? ESCAPE '\\'",
                              (pattern,))
        await self._c.execute("DELETE FROM users WHERE user_key = ?", (user_key,))
