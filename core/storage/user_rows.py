"""Store queries of accounts and persons (``users``): one row per platform account, linked
accounts sharing a ``person_id``. A mixin of :class:`core.storage.base.SqlTx`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.models import UserRef
from core.storage.connection import Connection, Row

__all__ = ["PersonAccount", "UserRecord", "UserRows", "user_record"]


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One platform account. ``display_name`` is ``''`` when none was ever seen;
    ``person_id`` is shared by linked accounts; ``link_confirmed_at``: when both
    accounts agreed to the link (None: never confirmed)."""

    user_key: str
    platform: str
    user_id: str
    display_name: str
    lang: str
    person_id: str
    created_at: float
    link_confirmed_at: float | None = None


@dataclass(frozen=True, slots=True)
class PersonAccount:
    """One account of a person, as the desk and privacy requests list them."""

    user_key: str
    platform: str
    user_id: str
    display_name: str
    link_confirmed_at: float | None


def user_record(row: Row) -> UserRecord:
    return UserRecord(str(row["user_key"]), str(row["platform"]), str(row["user_id"]), row["display_name"] or "",
                      str(row["lang"]), str(row["person_id"]), float(row["created_at"]), row.get("link_confirmed_at"))


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

    async def get_user(self, user_key: str) -> UserRecord | None:
        row = await self._c.fetchone("SELECT * FROM users WHERE user_key = ?", (user_key,))
        return user_record(row) if row else None

    async def find_users_by_name(self, name: str) -> list[UserRecord]:
        rows = await self._c.fetchall("SELECT * FROM users WHERE lower(display_name) = lower(?)", (name,))
        return [user_record(r) for r in rows]

    async def link_users(self, a: str, b: str, *, confirmed_at: float | None = None) -> None:
        """Put ``b`` (and everyone linked to it) into ``a``'s person; ``confirmed_at``: both
        accounts agreed to it (one redeemed the other's code, the other confirmed)."""
        row_a = await self.get_user(a)
        row_b = await self.get_user(b)
        if row_a is None or row_b is None:
            return
        await self._c.execute("UPDATE users SET person_id = ? WHERE person_id = ?", (row_a.person_id, row_b.person_id))
        if confirmed_at is not None:
            await self._c.execute("UPDATE users SET link_confirmed_at = ? WHERE user_key IN (?, ?)", (confirmed_at, a, b))

    async def person_accounts(self, user_key: str) -> list[PersonAccount]:
        """Every account of ``user_key``'s person (itself included), in key order."""
        rows = await self._c.fetchall(
            "SELECT u.user_key, u.platform, u.user_id, u.display_name, u.link_confirmed_at FROM users u"
            " JOIN users me ON me.person_id = u.person_id WHERE me.user_key = ? ORDER BY u.user_key",
            (user_key,),
        )
        return [PersonAccount(str(r["user_key"]), str(r["platform"]), str(r["user_id"]), r["display_name"] or "",
                              r["link_confirmed_at"]) for r in rows]

    async def confirmed_user_keys(self, user_key: str) -> list[str]:
        """The accounts a privacy request for ``user_key`` covers: itself, and the accounts of its
        person whose link was confirmed when its own was; only itself when its link never was."""
        rows = await self.person_accounts(user_key)
        mine = next((r for r in rows if r.user_key == user_key), None)
        if mine is None or mine.link_confirmed_at is None:
            return [user_key]
        return [r.user_key for r in rows if r.link_confirmed_at is not None]

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
