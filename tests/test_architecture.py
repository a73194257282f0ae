"""House rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import string
from importlib.metadata import entry_points
from pathlib import Path

from core.i18n import CATALOG

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_LIBS = {"telegram", "discord", "slack_bolt", "slack_sdk"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0] if node.module.split(".")[0] != "adapters" else node.module)
    return names


def test_core_imports_no_platform_library_and_no_adapter() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        bad = {n for n in _imports(path) if n in PLATFORM_LIBS or n.startswith("adapters")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_adapters_import_only_core_and_their_own_platform() -> None:
    own = {"telegram": {"telegram"}, "discord": {"discord"}, "slack": {"slack_bolt", "slack_sdk"}, "console": set()}
    for name, allowed in own.items():
        for path in (ROOT / "adapters" / name).rglob("*.py"):
            imported = _imports(path)
            others = (PLATFORM_LIBS - allowed) & imported
            foreign = {n for n in imported if n.startswith("adapters.") and not n.startswith(f"adapters.{name}")}
            assert not others and not foreign, f"{path.relative_to(ROOT)} imports {others | foreign}"


def test_adapters_are_declared_as_entry_points() -> None:
    names = {ep.name for ep in entry_points(group="walletdesk.adapters")}
    assert {"console", "telegram", "discord", "slack"} <= names


def test_every_message_has_english_and_chinese_with_the_same_placeholders() -> None:
    fmt = string.Formatter()
    for key, versions in CATALOG.items():
        assert set(versions) == {"en", "zh"}, key
        en = {f for _, f, _, _ in fmt.parse(versions["en"]) if f}
        zh = {f for _, f, _, _ in fmt.parse(versions["zh"]) if f}
        assert en == zh, key
        assert versions["zh"] != versions["en"] or not any(c.isalpha() for c in versions["en"]), key


def test_choosing_adapters_loads_no_platform_library() -> None:
    """A console run asks every entry point whether it is configured; that must not
    import discord.py, PTB or slack-bolt (fresh interpreter: this one has them all)."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from core.config import load_settings\n"
        "from core.wiring.platform import discover_adapters\n"
        "settings = load_settings()\n"
        "wanted = [n for n, f in discover_adapters().items() if f.configured(settings)]\n"
        f"print(wanted, sorted(m for m in {sorted(PLATFORM_LIBS)!r} if m in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_", "SLACK_"))}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "['console'] []"


# the floors of the core, top to bottom; a module imports only its own floor or lower ones
FLOORS = [
    {"wiring", "use_cases"},
    {"conversation"},
    {"support"},
    {"faq_engine", "faq", "ops", "identity", "chain", "config"},  # config checks the embedder name against core.faq
    {"storage", "shield", "models", "errors", "i18n", "lang", "text"},
]


def _floor(module: str) -> int | None:
    part = module.split(".")[1] if module.startswith("core.") else None
    return next((i for i, names in enumerate(FLOORS) if part in names), None)


def _core_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("core.") and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("core."))
    return found


def test_core_floors_import_only_downwards() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = _floor(module)
        if own is None:
            continue
        upward = {m for m in _core_imports(path) if (f := _floor(m)) is not None and f < own}
        assert not upward, f"{module} (floor {own}) imports from above: {sorted(upward)}"


def test_no_class_in_the_core_over_about_250_lines() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                assert lines <= 260, f"{path.relative_to(ROOT)}: class {node.name} has {lines} lines"


def test_adapters_pass_facts_and_never_decide_who_is_staff() -> None:
    """Who may act as staff, escalate or change the FAQ is decided by core.identity.policy."""
    settings_read = (".slack_staff_users", ".slack_faq_admins", ".telegram_moderators")
    for path in (ROOT / "adapters").rglob("*.py"):
        text = path.read_text()
        assert not any(name in text for name in settings_read), f"{path.relative_to(ROOT)} reads a staff list"


def test_store_queries_return_typed_values_not_rows() -> None:
    """Every public query of the store (plain and sealed) returns a value with named fields
    (a dataclass, a core.models type, a number, a list of those), never an untyped row dict."""
    from core.storage.base import SqlTx
    from core.storage.sealed_rows import SealedTx

    untyped = []
    for cls in (SqlTx, SealedTx):
        for name in dir(cls):
            method = getattr(cls, name)
            if name.startswith("_") or not callable(method):
                continue
            returns = str(getattr(method, "__annotations__", {}).get("return", ""))
            if "Row" in returns.replace("Rows", "") or "dict[str, Any]" in returns or "dict[str, object]" in returns:
                untyped.append(f"{cls.__name__}.{name} -> {returns}")
    assert not untyped, f"store queries returning rows: {untyped}"
