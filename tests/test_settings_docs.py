"""README's settings table and the settings model (core/config.py) name the same
environment variables: a setting cannot exist undocumented, and the table cannot
document a variable nothing reads."""

from __future__ import annotations

import re
from pathlib import Path

from core.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def env_names() -> set[str]:
    return {(field.alias or name).upper() for name, field in Settings.model_fields.items()}


def table_names(text: str) -> set[str]:
    """The backticked names in the first cell of each row of the table under
    ``## Configuration``."""
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows, "README has no settings table under ## Configuration"
    names: set[str] = set()
    for row in rows[2:]:  # header and separator
        first = row.split("|")[1]
        names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first))
    return names


def test_every_setting_is_in_the_readme_table() -> None:
    missing = env_names() - table_names(README.read_text(encoding="utf-8"))
    assert not missing, f"settings missing from README's table: {', '.join(sorted(missing))}"


def test_every_variable_in_the_readme_table_is_a_setting() -> None:
    unknown = table_names(README.read_text(encoding="utf-8")) - env_names()
    assert not unknown, f"README's table names variables that are no setting: {', '.join(sorted(unknown))}"


def test_the_check_sees_a_missing_and_an_unknown_row() -> None:
    text = README.read_text(encoding="utf-8")
    dropped = text.replace("| `WALLETDESK_RETENTION_DAYS` |", "| `WALLETDESK_RETENTION_DAYZ` |")
    names = table_names(dropped)
    assert "WALLETDESK_RETENTION_DAYS" not in names and "WALLETDESK_RETENTION_DAYZ" in names
