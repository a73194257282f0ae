"""Who is real staff, and how a look-alike name is told apart from a real one."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from core.i18n import t

__all__ = ["StaffRoster", "skeleton"]

_CONFUSABLES = str.maketrans({
    "0": "o", "1": "l", "|": "l", "!": "l", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "$": "s", "@": "a",
    "i": "l", "ı": "l", "í": "l", "ì": "l", "ɩ": "l",
    # Cyrillic and Greek look-alikes
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "к": "k", "м": "m", "т": "t", "н": "h",
    "в": "b", "і": "l", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "α": "a", "ο": "o", "ρ": "p", "ν": "v", "κ": "k",
    "τ": "t", "ε": "e", "ι": "l", "υ": "u",
})


def skeleton(name: str) -> str:
    """A comparison key in the spirit of Unicode TR39: fold width, case, accents,
    look-alike letters and decoration, so ``Support_Alice✅`` ~ ``supp0rt alice``."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.translate(_CONFUSABLES).replace("rn", "m").replace("vv", "w")
    return "".join(c for c in text if c.isalnum())


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
        return "unknown"

    def describe(self, name: str, lang: str, user_key: str | None = None) -> str:
        """The answer to ``/verify <name>``, in ``lang``."""
        name = name.strip()
        if not name and not user_key:
            return t("staffcheck.usage", lang)
        return t(f"staffcheck.{self.check(name, user_key)}", lang, name=name[:80] or user_key)


def _close(a: str, b: str) -> bool:
    """Edit distance at most 1 (one added, dropped or swapped character)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) <= 1 or (len(diff) == 2 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))
