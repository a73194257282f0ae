"""Who is real staff, and how a look-alike name is told apart from a real one."""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.i18n import t
from core.shield.normalize import normalise

__all__ = ["StaffRoster", "skeleton"]

# Leetspeak and ASCII look-alikes (not Unicode confusables: those come from
# the Unicode table, through core.shield.normalize).
_ASCII_LOOKALIKES = str.maketrans({
    "0": "o", "1": "l", "|": "l", "!": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "$": "s", "@": "a",
    "i": "l",
})
# Words an impostor puts beside a staff member's name ("Bo Support", "客服 Bo").
_ROLE_WORDS = frozenset(
    "support supp0rt admin admins administrator team official staff mod mods moderator helpdesk help desk service"
    " care agent customerservice 客服 官方 管理员 管理員 客服中心 人工客服".split()
)
_WORD_RE = re.compile(r"[^\W_]+")


def _fold(name: str) -> str:
    """Normalise first (NFKC, format characters, Unicode confusables, small
    capitals), then casefold: casefolding first turns a mathematical-bold ``𝐢``
    into nothing a look-alike table knows."""
    return normalise(name).text.casefold()


def skeleton(name: str) -> str:
    """A comparison key in the spirit of Unicode TR39: fold width, case, accents,
    look-alike letters and decoration, so ``Support_Alice✅`` ~ ``supp0rt alice``."""
    text = _fold(name).translate(_ASCII_LOOKALIKES).replace("rn", "m").replace("vv", "w")
    return "".join(c for c in text if c.isalnum())


def _role_dressed(name: str, staff_sk: str) -> bool:
    """``name`` is the staff name plus role words only (``Bo Support``, ``Official-Bo``)."""
    words = _WORD_RE.findall(_fold(name))
    skeletons = [skeleton(w) for w in words]
    for i in range(len(words)):
        for j in range(i + 1, len(words) + 1):
            if "".join(skeletons[i:j]) == staff_sk:
                rest = words[:i] + words[j:]
                return bool(rest) and all(w in _ROLE_WORDS or skeleton(w) in _ROLE_SKELETONS for w in rest)
    return False


class StaffRoster:
    """Who is real staff. Entries are ``platform:id=Display Name`` or a bare name.

    A match on platform id is proof; a bare-name match is only a match of names,
    so a look-alike name from an account that is not on the roster is flagged.
    """

    def __init__(self, entries: Iterable[str]) -> None:
        self.by_id: dict[str, str] = {}
        self.names: dict[str, str] = {}
        for entry in entries:
            key, sep, name = entry.partition("=")
            if sep and ":" in key:
                self.by_id[key.strip()] = name.strip()
                self.names[skeleton(name)] = name.strip()
            else:
                self.names[skeleton(entry)] = entry.strip()
        self.names.pop("", None)

    def is_staff(self, user_key: str) -> bool:
        return user_key in self.by_id

    def check(self, name: str, user_key: str | None = None) -> str:
        """``real``, ``impostor`` (looks like staff, is not), ``name_only`` (a staff
        name given without an account to check) or ``unknown``."""
        if user_key is not None and user_key in self.by_id:
            return "real"
        sk = skeleton(name.lstrip("@"))
        if not sk:
            return "unknown"
        if sk in self.names:
            exact = self.names[sk]
            # a bare-name roster entry can only vouch for the exact name
            if user_key is None and name.lstrip("@").strip() == exact:
                # names can be copied: only an account id proves anything
                return "real" if exact not in self.by_id.values() else "name_only"
            return "impostor"
        for staff_sk in self.names:
            if len(staff_sk) >= 4 and (staff_sk in sk or _close(sk, staff_sk)):
                return "impostor"
            if _role_dressed(name.lstrip("@"), staff_sk):
                return "impostor"  # a short name with "support" beside it
        return "unknown"

    def describe(self, name: str, lang: str, user_key: str | None = None) -> str:
        """The answer to ``/verify <name>``, in ``lang``."""
        name = name.strip()
        if not name and not user_key:
            return t("staffcheck.usage", lang)
        return t(f"staffcheck.{self.check(name, user_key)}", lang, name=name[:80] or user_key)


_ROLE_SKELETONS = frozenset(skeleton(w) for w in _ROLE_WORDS)


def _close(a: str, b: str) -> bool:
    """Edit distance at most 1 (one added, dropped or swapped character)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) <= 1 or (len(diff) == 2 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
