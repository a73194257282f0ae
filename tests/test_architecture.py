"""House rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

from core.contract import AdapterSpec, installed_specs
from core.i18n import CATALOG

ROOT = Path(__file__).resolve().parents[1]
# Everything below is driven by the installed entry points: a new adapter is checked
# the moment it is installed, without an edit here.
SPECS: tuple[AdapterSpec, ...] = installed_specs()
PLATFORM_LIBS = {m.split(".")[0] for spec in SPECS for m in spec.imports}
# The console is the core's own terminal and desk of last resort (WALLETDESK_CONSOLE_OPERATOR
# is a core setting); every other adapter's platform is one the core must not name.
PLATFORMS = sorted({n.lower() for spec in SPECS if spec.name != "console" for n in (spec.name, spec.display_name) if n})


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
    own = {spec.name: {m.split(".")[0] for m in spec.imports} for spec in SPECS
           if spec.target.startswith(f"adapters.{spec.name}.")}
    assert {"console", "telegram", "discord", "slack"} <= own.keys()
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
    env = {k: v for k, v in os.environ.items() if not k.startswith(tuple(f"{p.upper()}_" for p in PLATFORMS))}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "['console'] []"


# the floors of the core, top to bottom; a module imports only its own floor or lower ones
FLOORS = [
    {"wiring", "use_cases"},
    {"conversation"},
    {"support"},
    {"faq_engine", "faq", "ops", "identity", "chain", "config"},  # config checks the embedder name against core.faq
    {"storage", "shield", "models", "errors", "i18n", "lang", "text", "contract"},
]
# The contract refers to the use cases it hands adapters, for type checkers only
# (under TYPE_CHECKING); at run time it imports nothing above the lowest floor.
_TYPE_ONLY_UPWARD = {"core.contract"}


def _floor(module: str) -> int | None:
    part = module.split(".")[1] if module.startswith("core.") else None
    return next((i for i, names in enumerate(FLOORS) if part in names), None)


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    return {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and isinstance(block.test, ast.Name)
            and block.test.id == "TYPE_CHECKING" for stmt in block.body for n in ast.walk(stmt)}


def _core_imports(path: Path, *, runtime_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text())
    type_only = _type_checking_blocks(tree) if runtime_only else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
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
        imports = _core_imports(path, runtime_only=module in _TYPE_ONLY_UPWARD)
        upward = {m for m in imports if (f := _floor(m)) is not None and f < own}
        assert not upward, f"{module} (floor {own}) imports from above: {sorted(upward)}"


def test_no_class_in_the_core_over_about_250_lines() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                assert lines <= 260, f"{path.relative_to(ROOT)}: class {node.name} has {lines} lines"


def test_adapters_pass_facts_and_never_decide_who_is_staff() -> None:
    """Who may act as staff, escalate or change the FAQ is decided by core.identity.policy.
    An adapter's settings module hands the lists over as facts (``roles`` -> core.contract.Roles);
    nothing else in an adapter reads them."""
    settings_read = (".slack_staff_users", ".slack_faq_admins", ".telegram_moderators")
    for path in (ROOT / "adapters").rglob("*.py"):
        if path.name == "settings.py":
            continue
        text = path.read_text()
        assert not any(name in text for name in settings_read), f"{path.relative_to(ROOT)} reads a staff list"


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _words(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every identifier and string constant of a module, docstrings and comments left out."""
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield line, node.value
        elif isinstance(node, ast.Name):
            yield line, node.id
        elif isinstance(node, ast.Attribute):
            yield line, node.attr
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield line, node.name
        elif isinstance(node, ast.arg):
            yield line, node.arg
        elif isinstance(node, ast.keyword) and node.arg:
            yield line, node.arg
        elif isinstance(node, ast.alias):
            yield line, node.asname or node.name


# What users write, not what the core does: the chatter the FAQ learns to abstain on
# ("is there a telegram bot that tracks whale moves") may name any app.
_USER_WORDS = {"core/faq/build.py"}


def platform_mentions(root: Path, platforms: list[str]) -> list[str]:
    """``file:line: word`` wherever code or a string under ``root`` names one of ``platforms``
    (as a word: ``slack_staff`` and ``SLACK:U1`` do, ``slacken`` does not)."""
    if not platforms:
        return []
    pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, platforms)) + r")(?![a-z0-9])", re.IGNORECASE)
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root.parent).as_posix() in _USER_WORDS:
            continue
        for line, word in _words(ast.parse(path.read_text())):
            if pattern.search(word):
                found.append(f"{path.relative_to(root.parent)}:{line}: {word[:80]!r}")
    return found


def test_no_core_file_names_a_platform() -> None:
    """The core knows platforms only through the contract: no identifier or string in
    core/ names an installed adapter's platform (comments and docstrings may)."""
    assert {"telegram", "discord", "slack"} <= set(PLATFORMS)
    mentions = platform_mentions(ROOT / "core", PLATFORMS)
    assert not mentions, "core names a platform:\n" + "\n".join(mentions)


def test_the_platform_check_sees_a_name_in_code_and_strings_but_not_in_docstrings(tmp_path: Path) -> None:
    pkg = tmp_path / "core"
    pkg.mkdir()
    (pkg / "a.py").write_text('"""Slack in a docstring is fine."""\n# and in a comment\nx = 1\n')
    assert platform_mentions(pkg, ["slack"]) == []
    (pkg / "b.py").write_text('y = "see Slack"\n')
    (pkg / "c.py").write_text("def f(slack_token: str) -> None:\n    pass\n")
    (pkg / "d.py").write_text("slacken = 1\n")
    assert [m.split(":")[0] for m in platform_mentions(pkg, ["slack"])] == ["core/b.py", "core/c.py"]


def test_adapter_strings_are_in_the_catalogue_under_their_own_names() -> None:
    from core.contract import strings

    contributed = dict(strings())
    assert {"telegram", "discord", "slack"} <= contributed.keys()
    for name, catalogue in contributed.items():
        for key in catalogue:
            assert key.startswith(f"{name}.") and CATALOG[key] == catalogue[key], key


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
