"""The report against a dataset with known numbers (tests/fixtures/report_data.py),
on both backends, and its HTML page rendered by headless Chromium."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from core.ops.report import Report, build_report, chart_pngs, format_duration, parse_since, render_charts, render_html, render_text
from core.storage import Store
from core.storage.sqlite import SQLiteStore
from tests.conftest import OpsCli
from tests.fixtures.report_data import NOW, SINCE, SLA_FIRST, SLA_RESOLUTION, load_report_data

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


async def _report(store: Store) -> Report:
    await load_report_data(store)
    return await build_report(store, since=SINCE, now=NOW, sla_first_response=SLA_FIRST, sla_resolution=SLA_RESOLUTION)


async def test_figures_match_the_dataset(store: Store) -> None:
    r = await _report(store)
    assert r.tickets == 6
    assert r.messages_in == {"discord": 3, "slack": 1, "telegram": 5}
    assert r.messages_out == {"discord": 1, "telegram": 3}
    assert r.tickets_by_platform == {"discord": 2, "slack": 1, "telegram": 3}
    assert r.tickets_by_lang == {"en": 4, "zh": 2}
    assert r.tickets_by_platform_lang == {"discord": {"en": 2}, "slack": {"en": 1}, "telegram": {"en": 1, "zh": 2}}
    assert r.by_category == {"gas-fees": 2, "uncategorized": 2, "transfer-not-arrived": 1, "unauthorized-transaction": 1}
    assert list(r.by_category)[:2] == ["gas-fees", "uncategorized"]
    assert r.by_priority == {"urgent": 1, "high": 1, "normal": 4}
    assert r.reopened == 1
    # first response: 600, 1800, 5400, 7200 s
    fr = r.first_response
    assert (fr.n, fr.median, fr.p90) == (4, 3600.0, pytest.approx(6660.0))
    assert (fr.sla_met, fr.sla_breached, fr.sla_rate) == (3, 2, 0.6)
    assert r.first_response_by_priority["high"].sla_breached == 1
    assert r.first_response_by_priority["normal"].n == 2
    # resolution: 7200, 18000, 93600 s
    rs = r.resolution
    assert (rs.n, rs.median, rs.p90) == (3, 18000.0, pytest.approx(78480.0))
    assert (rs.sla_met, rs.sla_breached) == (2, 1)
    # CSAT 5, 4, 2
    assert r.csat_count == 3
    assert r.csat_mean == pytest.approx(11 / 3)
    assert r.csat_distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    # backlog ages: 2h, 3h, 6h, 10d
    bl = r.backlog
    assert (bl.count, bl.median_age, bl.oldest_age) == (4, 16200.0, 864000.0)
    assert bl.p90_age == pytest.approx(611280.0)
    assert bl.buckets == {"<1h": 0, "1-4h": 2, "4-24h": 1, "1-3d": 0, ">3d": 1}
    # FAQ: 6 answered, 2 abstained, 6 tickets
    faq = r.faq
    assert faq.available and (faq.lookups, faq.answered, faq.abstained) == (8, 6, 2)
    assert faq.deflection_rate == 0.5 and faq.abstention_rate == 0.25
    assert faq.by_lang == {"en": {"answered": 4, "abstained": 1}, "zh": {"answered": 2, "abstained": 1}}
    assert faq.top_abstained == [("gas-fees", 1), ("refund-dispute", 1)]


async def test_empty_store_and_missing_faq_log_are_unavailable_not_invented(sqlite_store: SQLiteStore) -> None:
    r = await build_report(sqlite_store, since=SINCE, now=NOW, sla_first_response=SLA_FIRST)
    assert r.tickets == 0 and r.first_response.median is None and r.csat_mean is None
    assert not r.faq.available and r.faq.deflection_rate is None
    assert "unavailable" in render_text(r)
    assert r.as_json()["faq"]["available"] is False


def test_since_and_durations() -> None:
    assert parse_since("7d", NOW) == NOW - 7 * 86400
    assert parse_since("12h", NOW) == NOW - 12 * 3600
    assert parse_since("2025-01-01", NOW) == 1735689600.0
    with pytest.raises(ValueError, match="--since"):
        parse_since("last week", NOW)
    assert [format_duration(s) for s in (None, 42, 3600, 6660, 611280)] == ["-", "42s", "1h 00m", "1h 51m", "7d 1h"]


async def test_text_json_and_pngs(sqlite_store: SQLiteStore, tmp_path: Path) -> None:
    r = await _report(sqlite_store)
    text = render_text(r)
    for expected in ("tickets opened", "1h 00m", "1h 51m", "60.0% (3 met, 2 breached)", "3.67 (n=3)", "50.0%"):
        assert expected in text
    data = r.as_json()
    assert data["first_response"]["sla_rate"] == 0.6 and data["csat_distribution"]["5"] == 1
    paths = render_charts(r, tmp_path / "png")
    assert {p.name for p in paths} >= {"volume.png", "topics.png", "priority.png", "response.png", "csat.png",
                                       "backlog.png", "faq.png"}
    for path in paths:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def _chromium(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=90, check=True,
    )


@pytest.mark.skipif(CHROMIUM is None and os.environ.get("WALLETDESK_REQUIRE_CHROMIUM") != "1",
                    reason="chromium is not installed (apt-get install -y chromium)")
async def test_html_in_headless_chromium(sqlite_store: SQLiteStore, tmp_path: Path) -> None:
    assert CHROMIUM is not None, "WALLETDESK_REQUIRE_CHROMIUM=1 but chromium is missing"
    r = await _report(sqlite_store)
    page = render_html(r)
    assert "http://" not in page and "https://" not in page  # self-contained
    # a probe (test-only) that records, after load, the decoded size of every image
    probe = ("<script>window.addEventListener('load',()=>{document.body.setAttribute('data-decoded',"
             "[...document.images].map(i=>i.id+'='+i.naturalWidth+'x'+i.naturalHeight).join(' '))});</script>")
    path = tmp_path / "report.html"
    path.write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    dom = _chromium("--dump-dom", path.as_uri(), tmp_path=tmp_path).stdout

    def cell(metric: str) -> str:
        m = re.search(rf'id="{re.escape(metric)}">([^<]*)<', dom)
        assert m, f"{metric} missing from the rendered DOM"
        return m.group(1)

    assert cell("tickets-total") == "6"
    assert cell("tickets-reopened") == "1"
    assert cell("csat-mean") == "3.67 (n=3)"
    assert cell("csat-distribution") == "1:0 2:1 3:0 4:1 5:1"
    assert cell("faq-deflection") == "50.0%"
    assert cell("faq-abstentions") == "2 of 8 (25.0%)"
    assert cell("frt-median") == "1h 00m" and cell("frt-p90") == "1h 51m"
    assert cell("frt-sla") == "60.0% (3 met, 2 breached)"
    assert cell("res-median") == "5h 00m" and cell("res-p90") == "21h 48m"
    assert cell("volume-telegram") == "in 5 / out 3 / tickets 3"
    assert cell("lang-zh") == "2"
    assert cell("topic-gas-fees") == "2" and cell("topic-uncategorized") == "2"
    assert cell("priority-normal") == "4"
    assert cell("backlog-count") == "4" and cell("backlog-median") == "4h 30m" and cell("backlog-oldest") == "10d 0h"

    decoded = dict(item.split("=") for item in re.search(r'data-decoded="([^"]*)"', dom).group(1).split())
    assert set(decoded) == {f"chart-{name}" for name in chart_pngs(r)}
    assert all(size == "640x360" for size in decoded.values()), decoded
    # and the embedded bytes decode outside the browser too
    from matplotlib.image import imread

    for src in re.findall(r'src="data:image/png;base64,([^"]+)"', dom):
        assert imread(io.BytesIO(base64.b64decode(src)), format="png").shape[:2] == (360, 640)

    shot = tmp_path / "shot.png"
    _chromium(f"--screenshot={shot}", "--window-size=1200,2000", path.as_uri(), tmp_path=tmp_path)
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_cli_report_writes_html_png_and_json(ops_cli: OpsCli, tmp_path: Path) -> None:
    import json

    ops_cli.seed(load_report_data)
    since = "2026-09-13T00:00"  # the fixture's window (its NOW is 2026-09-21); the CLI ends the window at the real now
    out = ops_cli.invoke(["report", "--since", since, "--html", str(tmp_path / "r.html"), "--png", str(tmp_path / "png")])
    assert out.exit_code == 0, out.output
    assert "tickets opened" in out.stdout and "3.67 (n=3)" in out.stdout
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64,") == 7
    assert len(list((tmp_path / "png").glob("*.png"))) == 7
    data = json.loads(ops_cli.invoke(["report", "--since", since, "--json"]).stdout)
    assert data["tickets"] == 6 and data["csat_count"] == 3
    assert isinstance(ops_cli.invoke(["report", "--since", "soon"]).exception, ValueError)
