"""The support report: what happened on the desk over a window, and how it looks.

:func:`build_report` reads the store (tickets, ticket events, the inbound-event
log, the outbox and, when the deployment records them, FAQ lookups) and returns
a frozen :class:`Report`. Three renderers turn it into a terminal summary
(:func:`render_text`), PNG charts (:func:`render_charts`, matplotlib's Agg
canvas, no pyplot state) and one self-contained HTML page (:func:`render_html`)
with the charts embedded as base64 PNG.

Definitions (so the figures can be checked by hand):

* Durations are seconds. Medians and p90 use linear interpolation between
  order statistics (numpy's default), over tickets *created* in the window.
* First response is ``first_response_at - created_at``. A ticket meets its SLA
  when that is at most the target for its priority; a ticket still waiting
  past its target counts as breached; one still inside its target is left out.
  Resolution works the same way with ``resolved_at`` and the resolution targets.
* FAQ deflection is ``answered / (answered + tickets opened)``: the share of
  demand the FAQ met without a human. The abstention rate is
  ``abstained / lookups``. Without a FAQ lookup log (or with no lookups in the
  window) both are reported as unavailable, never estimated.
* Backlog is every ticket not resolved or closed at ``now``, whatever its age.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from core.models import Ticket
from core.storage import Store
from core.contract import installed_specs
from core.storage.phrasing_rows import FaqEventCount

__all__ = [
    "BACKLOG_BUCKETS",
    "Backlog",
    "Durations",
    "FaqStats",
    "known_platforms",
    "Report",
    "build_report",
    "chart_pngs",
    "format_duration",
    "parse_since",
    "render_charts",
    "render_html",
    "render_text",
]

_LOGGER = logging.getLogger(__name__)



def known_platforms() -> tuple[str, ...]:
    """Every installed adapter's platform: a report lists them even on a day with no traffic."""
    return tuple(spec.name for spec in installed_specs())


PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low")
LIVE_STATES: tuple[str, ...] = ("open", "claimed", "waiting_on_user")
# (label, upper bound in seconds) — ages below the bound fall in the bucket
BACKLOG_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<1h", 3600.0), ("1-4h", 4 * 3600.0), ("4-24h", 86400.0), ("1-3d", 3 * 86400.0), (">3d", float("inf")),
)
_UNITS = {"m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Durations:
    """Median and p90 of a set of durations, with SLA counts."""

    n: int
    median: float | None
    p90: float | None
    sla_met: int = 0
    sla_breached: int = 0

    @property
    def sla_rate(self) -> float | None:
        judged = self.sla_met + self.sla_breached
        return self.sla_met / judged if judged else None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "sla_rate": self.sla_rate}


@dataclass(frozen=True, slots=True)
class FaqStats:
    """FAQ lookups in the window; ``available`` is False when nothing was recorded."""

    available: bool
    lookups: int = 0
    answered: int = 0
    abstained: int = 0
    deflection_rate: float | None = None
    abstention_rate: float | None = None
    by_lang: dict[str, dict[str, int]] = field(default_factory=dict)
    top_abstained: list[tuple[str, int]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True, slots=True)
class Backlog:
    """Tickets still open at ``now`` and how old they are."""

    count: int
    median_age: float | None
    p90_age: float | None
    oldest_age: float | None
    buckets: dict[str, int]


@dataclass(frozen=True, slots=True)
class Report:
    """Every figure of the report; :meth:`as_json` is the ``--json`` output."""

    since: float
    now: float
    tickets: int
    messages_in: dict[str, int]
    messages_out: dict[str, int]
    tickets_by_platform: dict[str, int]
    tickets_by_lang: dict[str, int]
    tickets_by_platform_lang: dict[str, dict[str, int]]
    tickets_by_state: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    reopened: int
    faq: FaqStats
    first_response: Durations
    first_response_by_priority: dict[str, Durations]
    resolution: Durations
    sla_first_response: dict[str, float]
    csat_mean: float | None
    csat_count: int
    csat_distribution: dict[int, int]
    backlog: Backlog
    by_tag: dict[str, int] = field(default_factory=dict)  # tickets opened in the window, per tag staff gave them

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["first_response"] = self.first_response.as_json()
        out["resolution"] = self.resolution.as_json()
        out["first_response_by_priority"] = {k: v.as_json() for k, v in self.first_response_by_priority.items()}
        out["csat_distribution"] = {str(k): v for k, v in self.csat_distribution.items()}
        out["faq"]["top_abstained"] = [list(x) for x in self.faq.top_abstained]
        out["since_iso"] = _iso(self.since)
        out["now_iso"] = _iso(self.now)
        return out


# --------------------------------------------------------------------------- building


def parse_since(spec: str, now: float) -> float:
    """``7d``, ``12h``, ``30m``, ``2w`` before ``now``, or an ISO date/time (UTC when naive).

    Raises:
        ValueError: with a one-line reason.
    """
    spec = spec.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([mhdw])", spec.lower())
    if m:
        return now - float(m.group(1)) * _UNITS[m.group(2)]
    try:
        when = datetime.fromisoformat(spec)
    except ValueError:
        raise ValueError(f"--since: expected e.g. 7d, 12h, 2w or 2025-01-31, got {spec!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


async def build_report(
    store: Store, *, since: float, now: float, sla_first_response: Mapping[str, float],
    sla_resolution: Mapping[str, float] | None = None,
) -> Report:
    """Compute the report for tickets and traffic in ``[since, now)``.

    Args:
        store: an open store.
        since: window start (epoch seconds).
        now: window end and the reference time for backlog ages.
        sla_first_response: first-response target in seconds per priority.
        sla_resolution: resolution target in seconds per priority; without it
            resolution SLA counts stay zero.
    """
    async with store.transaction() as tx:
        created = [t for t in await tx.tickets(since=since) if t.created_at < now]
        live = [t for t in await tx.tickets(states=list(LIVE_STATES)) if t.created_at < now]
        reopened = 0
        for ticket in created:
            reopened += any(e.kind == "reopen" for e in await tx.events(ticket.id))
        inbound_keys = await tx.inbound_event_keys(since, now)
        sent = await tx.sent_counts(since, now)
        counter = getattr(tx, "faq_event_counts", None)
        faq_rows = await counter(since, now) if counter is not None else None
        tags = await tx.tag_counts([t.id for t in created])

    platforms = set(known_platforms()) | {t.origin.platform for t in created} | {r.platform for r in sent}
    messages_in = Counter(k.split(":", 1)[0] for k in inbound_keys if k.split(":", 1)[0] in platforms)
    messages_out: Counter[str] = Counter()
    for row in sent:
        if row.action in ("send", "dm"):
            messages_out[row.platform] += row.n

    by_pl: dict[str, Counter[str]] = {}
    for t in created:
        by_pl.setdefault(t.origin.platform, Counter())[t.lang] += 1

    first = _first_response(created, sla_first_response, now)
    ratings = [t.csat for t in created if t.csat is not None]
    return Report(
        since=since,
        now=now,
        tickets=len(created),
        messages_in=_sorted(messages_in),
        messages_out=_sorted(messages_out),
        tickets_by_platform=_sorted(Counter(t.origin.platform for t in created)),
        tickets_by_lang=_sorted(Counter(t.lang for t in created)),
        tickets_by_platform_lang={p: _sorted(c) for p, c in sorted(by_pl.items())},
        tickets_by_state=_sorted(Counter(t.state.value for t in created)),
        by_category=_by_count(Counter(t.category or "uncategorized" for t in created)),
        by_priority={p: n for p in PRIORITIES if (n := sum(t.priority.value == p for t in created))},
        reopened=reopened,
        faq=_faq_stats(faq_rows, len(created)),
        first_response=first,
        first_response_by_priority={
            p: _first_response([t for t in created if t.priority.value == p], sla_first_response, now)
            for p in PRIORITIES if any(t.priority.value == p for t in created)
        },
        resolution=_resolution(created, sla_resolution, now),
        sla_first_response=dict(sla_first_response),
        csat_mean=float(np.mean(ratings)) if ratings else None,
        csat_count=len(ratings),
        csat_distribution={score: sum(r == score for r in ratings) for score in range(1, 6)},
        backlog=_backlog(live, now),
        by_tag=_by_count(Counter(tags)),
    )


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    return {k: int(counts[k]) for k in sorted(counts)}


def _by_count(counts: Counter[str]) -> dict[str, int]:
    return {k: n for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def _pct(values: Sequence[float], q: float) -> float | None:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else None


def _durations(values: Sequence[float], met: int = 0, breached: int = 0) -> Durations:
    return Durations(len(values), _pct(values, 50), _pct(values, 90), met, breached)


def _first_response(tickets: Iterable[Ticket], targets: Mapping[str, float], now: float) -> Durations:
    values, met, breached = [], 0, 0
    for t in tickets:
        target = targets.get(t.priority.value)
        if t.first_response_at is not None:
            took = t.first_response_at - t.created_at
            values.append(took)
            if target is not None:
                met, breached = (met + 1, breached) if took <= target else (met, breached + 1)
        elif target is not None and now - t.created_at > target:
            breached += 1
    return _durations(values, met, breached)


def _resolution(tickets: Iterable[Ticket], targets: Mapping[str, float] | None, now: float) -> Durations:
    values, met, breached = [], 0, 0
    for t in tickets:
        target = targets.get(t.priority.value) if targets else None
        if t.resolved_at is not None:
            took = t.resolved_at - t.created_at
            values.append(took)
            if target is not None:
                met, breached = (met + 1, breached) if took <= target else (met, breached + 1)
        elif target is not None and t.state.value in LIVE_STATES and now - t.created_at > target:
            breached += 1
    return _durations(values, met, breached)


def _faq_stats(rows: list[FaqEventCount] | None, tickets: int) -> FaqStats:
    if rows is None:
        return FaqStats(False, note="no FAQ lookup log in this database (faq_events table missing)")
    if not rows:
        return FaqStats(False, note="no FAQ lookups recorded in this window")
    answered = sum(r.n for r in rows if r.answered)
    abstained = sum(r.n for r in rows if not r.answered)
    by_lang: dict[str, dict[str, int]] = {}
    near: Counter[str] = Counter()
    for r in rows:
        slot = by_lang.setdefault(r.lang, {"answered": 0, "abstained": 0})
        slot["answered" if r.answered else "abstained"] += r.n
        if not r.answered:
            near[r.entry_id or "none"] += r.n
    lookups = answered + abstained
    return FaqStats(
        True, lookups, answered, abstained,
        deflection_rate=answered / (answered + tickets) if answered + tickets else None,
        abstention_rate=abstained / lookups if lookups else None,
        by_lang=dict(sorted(by_lang.items())),
        top_abstained=sorted(near.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
    )


def _backlog(live: Sequence[Ticket], now: float) -> Backlog:
    ages = [now - t.created_at for t in live]
    buckets = {label: 0 for label, _ in BACKLOG_BUCKETS}
    for age in ages:
        label = next(label for label, bound in BACKLOG_BUCKETS if age < bound)
        buckets[label] += 1
    return Backlog(len(ages), _pct(ages, 50), _pct(ages, 90), max(ages) if ages else None, buckets)


# --------------------------------------------------------------------------- formatting


def format_duration(seconds: float | None) -> str:
    """``45s``, ``12m``, ``2h 05m``, ``3d 4h``; ``-`` for None."""
    if seconds is None:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _csat(report: Report) -> str:
    return "-" if report.csat_mean is None else f"{report.csat_mean:.2f}"


def _sections(report: Report) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The summary as (section, [(metric id, label, value)]) — shared by text and HTML."""
    fr, rs, faq, bl = report.first_response, report.resolution, report.faq, report.backlog
    platforms = sorted(set(report.messages_in) | set(report.messages_out) | set(report.tickets_by_platform))
    volume = [(f"volume-{p}", p, f"in {report.messages_in.get(p, 0)} / out {report.messages_out.get(p, 0)} / "
                                 f"tickets {report.tickets_by_platform.get(p, 0)}") for p in platforms]
    volume += [(f"lang-{lang}", f"tickets in {lang}", str(n)) for lang, n in report.tickets_by_lang.items()]
    faq_rows = [("faq-deflection", "FAQ deflection", _rate(faq.deflection_rate) if faq.available else "unavailable"),
                ("faq-abstentions", "FAQ abstentions",
                 f"{faq.abstained} of {faq.lookups} ({_rate(faq.abstention_rate)})" if faq.available else "unavailable")]
    if not faq.available:
        faq_rows.append(("faq-note", "note", faq.note))
    return [
        ("Overview", [
            ("tickets-total", "tickets opened", str(report.tickets)),
            ("tickets-reopened", "reopened", str(report.reopened)),
            ("csat-mean", "CSAT mean", f"{_csat(report)} (n={report.csat_count})"),
            ("csat-distribution", "CSAT 1-5",
             " ".join(f"{k}:{v}" for k, v in report.csat_distribution.items())),
        ]),
        ("Volume", volume),
        ("FAQ", faq_rows),
        ("Response times", [
            ("frt-median", "first response median", format_duration(fr.median)),
            ("frt-p90", "first response p90", format_duration(fr.p90)),
            ("frt-sla", "first response within SLA", f"{_rate(fr.sla_rate)} ({fr.sla_met} met, {fr.sla_breached} breached)"),
            ("res-median", "resolution median", format_duration(rs.median)),
            ("res-p90", "resolution p90", format_duration(rs.p90)),
            ("res-sla", "resolution within SLA", f"{_rate(rs.sla_rate)} ({rs.sla_met} met, {rs.sla_breached} breached)"),
        ]),
        ("Topics", [(f"topic-{k}", k, str(v)) for k, v in report.by_category.items()]),
        ("Priority", [(f"priority-{k}", k, str(v)) for k, v in report.by_priority.items()]),
        *([("Tags", [(f"tag-{k}", k, str(v)) for k, v in report.by_tag.items()])] if report.by_tag else []),
        ("Backlog", [
            ("backlog-count", "open tickets", str(bl.count)),
            ("backlog-median", "median age", format_duration(bl.median_age)),
            ("backlog-p90", "p90 age", format_duration(bl.p90_age)),
            ("backlog-oldest", "oldest", format_duration(bl.oldest_age)),
        ] + [(f"backlog-{k}", f"aged {k}", str(v)) for k, v in bl.buckets.items()]),
    ]


def render_text(report: Report, *, width: int = 100) -> str:
    """The terminal summary (rich tables rendered to plain text)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(record=True, file=io.StringIO(), width=width, color_system=None)
    console.print(f"walletdesk report {_iso(report.since)} -> {_iso(report.now)}")
    for title, rows in _sections(report):
        table = Table(title=escape(title), title_justify="left", show_header=False)
        table.add_column("metric", min_width=30)
        table.add_column("value", justify="right", min_width=30)
        for _, label, value in rows:
            table.add_row(escape(label), escape(value))
        console.print(table)
    return console.export_text()


# --------------------------------------------------------------------------- charts


def chart_pngs(report: Report) -> dict[str, bytes]:
    """Every chart as PNG bytes, by name (``volume``, ``topics``, ...)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    def draw(title: str, plot: Any) -> bytes:
        fig = Figure(figsize=(6.4, 3.6), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        plot(ax)
        ax.set_title(title)
        (ax.xaxis if ax.get_xlabel() == "count" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return buf.getvalue()

    def bars(labels: Sequence[str], values: Sequence[float], ylabel: str = "") -> Any:
        def plot(ax: Any) -> None:
            ax.bar(list(labels) or ["none"], list(values) or [0], color="#3b6ea5")
            ax.set_ylabel(ylabel)
        return plot

    def volume(ax: Any) -> None:
        names = sorted(set(report.messages_in) | set(report.messages_out) | set(report.tickets_by_platform)) or ["none"]
        x = np.arange(len(names))
        for i, (label, data) in enumerate((("messages in", report.messages_in), ("messages out", report.messages_out),
                                           ("tickets", report.tickets_by_platform))):
            ax.bar(x + (i - 1) * 0.27, [data.get(n, 0) for n in names], 0.27, label=label)
        ax.set_xticks(x, names)
        ax.legend()

    def response(ax: Any) -> None:
        names = list(report.first_response_by_priority) or ["none"]
        x = np.arange(len(names))
        meds = [(report.first_response_by_priority[n].median or 0) / 60 if n != "none" else 0 for n in names]
        p90s = [(report.first_response_by_priority[n].p90 or 0) / 60 if n != "none" else 0 for n in names]
        ax.bar(x - 0.2, meds, 0.4, label="median")
        ax.bar(x + 0.2, p90s, 0.4, label="p90")
        ax.scatter(x, [report.sla_first_response.get(n, 0) / 60 for n in names], marker="_", s=900, color="red",
                   label="SLA target", zorder=3)
        ax.set_xticks(x, names)
        ax.set_ylabel("minutes")
        ax.legend()

    def topics(ax: Any) -> None:
        items = list(report.by_category.items())[:12][::-1] or [("none", 0)]
        ax.barh([k for k, _ in items], [v for _, v in items], color="#3b6ea5")
        ax.set_xlabel("count")

    charts = {
        "volume": draw("Volume by platform", volume),
        "topics": draw("Tickets by topic", topics),
        "priority": draw("Tickets by priority", bars(list(report.by_priority), list(report.by_priority.values()))),
        "response": draw("First response vs SLA", response),
        "csat": draw("CSAT distribution", bars([str(k) for k in report.csat_distribution],
                                               list(report.csat_distribution.values()), "ratings")),
        "backlog": draw("Backlog age", bars(list(report.backlog.buckets), list(report.backlog.buckets.values()),
                                            "open tickets")),
    }
    if report.faq.available:
        charts["faq"] = draw("FAQ outcomes", bars(["answered", "abstained", "tickets"],
                                                  [report.faq.answered, report.faq.abstained, report.tickets]))
    return charts


def render_charts(report: Report, out_dir: Path) -> list[Path]:
    """Write every chart as ``<name>.png`` into ``out_dir`` (created); returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, png in chart_pngs(report).items():
        path = out_dir / f"{name}.png"
        path.write_bytes(png)
        paths.append(path)
    return paths


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}table{border-collapse:collapse;min-width:420px}
td{border-bottom:1px solid #ddd;padding:4px 10px}td.v{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts figure{margin:0}.charts img{width:480px;border:1px solid #eee}"""


def render_html(report: Report, charts: Mapping[str, bytes] | None = None) -> str:
    """One self-contained page: the summary tables and the charts as data: URIs."""
    charts = chart_pngs(report) if charts is None else charts
    esc = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>walletdesk report {esc(_iso(report.since))} – {esc(_iso(report.now))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>walletdesk support report</h1><p id=\"window\">{esc(_iso(report.since))} → {esc(_iso(report.now))}</p>",
    ]
    for title, rows in _sections(report):
        parts.append(f"<h2>{esc(title)}</h2><table>")
        for metric, label, value in rows:
            parts.append(f'<tr><td>{esc(label)}</td><td class="v" id="{esc(metric)}">{esc(value)}</td></tr>')
        parts.append("</table>")
    parts.append('<h2>Charts</h2><div class="charts">')
    for name, png in charts.items():
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<figure><img id="chart-{esc(name)}" alt="{esc(name)} chart" '
                     f'src="data:image/png;base64,{data}"></figure>')
    parts.append("</div></body></html>")
    return "\n".join(parts)
