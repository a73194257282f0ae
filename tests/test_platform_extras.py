"""Platform libraries are extras (`pip install 'walletdesk[telegram]'`), and a
configured platform whose library is missing is one line, before any start-up work."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.wiring.platform import LazyAdapterFactory, discover_adapters, missing_library
from tests.waiting import BUILD_DEADLINE

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {req.split(";")[0].split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower()
            for req in requirements}


def _platform_factories() -> dict[str, LazyAdapterFactory]:
    return {name: f for name, f in discover_adapters().items() if isinstance(f, LazyAdapterFactory) and f.library}


def test_every_platform_library_is_its_own_extra_and_not_a_base_dependency() -> None:
    platforms = _platform_factories()
    assert set(platforms) == {"telegram", "discord", "slack"}
    extras = PROJECT["optional-dependencies"]
    base = _names(PROJECT["dependencies"])
    for name, factory in platforms.items():
        assert factory.library.lower() in _names(extras[name]), name
        assert factory.library.lower() not in base, f"{factory.library} is installed without the {name} extra"
        assert factory.imports and factory.setting, name
    assert extras["all"] == [f"walletdesk[{','.join(sorted(platforms, key=list(extras).index))}]"]
    makefile = (ROOT / "Makefile").read_text()
    assert "-e '.[all,test]'" in makefile  # make setup installs every platform


def test_a_missing_project_module_is_not_mistaken_for_a_missing_extra() -> None:
    factory = _platform_factories()["slack"]
    broken = ModuleNotFoundError(name="core.gone")
    assert missing_library(factory, broken) is broken
    message = str(missing_library(factory, ModuleNotFoundError(name="slack_bolt.async_app")))
    assert message == ("SLACK_BOT_TOKEN is set, but slack-bolt is not installed (no module 'slack_bolt'); "
                       "install it with: pip install 'walletdesk[slack]'")


def test_ensure_installed_names_the_missing_module(monkeypatch: pytest.MonkeyPatch) -> None:
    factory = _platform_factories()["discord"]
    factory.ensure_installed()  # installed here: nothing raised
    monkeypatch.setitem(sys.modules, "discord", None)  # what find_spec sees for a module that is not there
    with pytest.raises(ConfigError, match=r"pip install 'walletdesk\[discord\]'"):
        factory.ensure_installed()


def test_walletdesk_run_without_the_library_is_one_line_and_opens_nothing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALLETDESK_", "TELEGRAM_", "SLACK_", "DISCORD_"))}
    data = tmp_path / "data"
    env.update(WALLETDESK_DATA_DIR=str(data), WALLETDESK_SECRET_KEY="x", TELEGRAM_BOT_TOKEN="123:abc")
    # the library hidden the way an install without the extra leaves it: no module to find
    code = ("import sys; sys.modules['telegram'] = None; sys.argv = ['walletdesk', 'run'];"
            "from core.wiring.cli import entry; entry()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=BUILD_DEADLINE)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == ["error: TELEGRAM_BOT_TOKEN is set, but python-telegram-bot is not installed (no module "
                     "'telegram'); install it with: pip install 'walletdesk[telegram]'"], done.stderr
    assert not (data / "walletdesk.db").exists()  # failed before the store was opened
