"""One ticket's transcript for export: what the user, staff and the system
wrote on it, in order, as text, JSON or a readable HTML page. Bodies are
stored shielded already; each one passes the gate again here, so an export
never carries a secret whatever an older version let through."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from core.errors import NotFound
from core.models import Ticket, TicketEvent
from core.shield.gate import TextSource, guard
from core.storage import Store

__all__ = ["FORMATS", "Transcript", "load_transcript", "render"]

Format = Literal["text", "json", "html"]
FORMATS: tuple[Format, ...] = ("text", "json", "html")
_NO_BODY = {"claim": "claimed", "request_verification": "asked for a one-time code",
            "request_wallet": "asked for a wallet signature", "reopen": "reopened"}


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True, slots=True)
class Transcript:
    ticket: Ticket
    display_name: str
    events: tuple[TicketEvent, ...]

    def header(self) -> dict[str, Any]:
        t = self.ticket
        return {"id": t.id, "state": t.state.value, "priority": t.priority.value, "topic": t.category,
                "lang": t.lang, "user": t.user.key, "display_name": self.display_name, "assignee": t.assignee,
                "subject": t.subject, "verified_method": t.verified_method, "created_at": _when(t.created_at),
                "resolved_at": _when(t.resolved_at) if t.resolved_at else None, "csat": t.csat}

    def lines(self) -> list[dict[str, Any]]:
        return [{"at": _when(e.at), "kind": e.kind, "actor": e.actor, "internal": e.internal,
                 "text": e.body if e.body is not None else _NO_BODY.get(e.kind, "")} for e in self.events]


def _shielded(event: TicketEvent) -> TicketEvent:
    if event.body is None:
        return event
    return TicketEvent(event.ticket_id, event.kind, event.actor, guard(event.body, TextSource.STAFF_TEXT).text,
                       event.at, event.internal)


async def load_transcript(store: Store, ticket_id: int) -> Transcript:
    """Raises NotFound for an unknown ticket."""
    async with store.transaction() as tx:
        ticket = await tx.get_ticket(ticket_id, lock=False)
        if ticket is None:
            raise NotFound(f"no ticket #{ticket_id}", key="staff.no_ticket")
        user = await tx.get_user(ticket.user.key)
        events = await tx.events(ticket_id)
    name = guard(user.display_name if user else "", TextSource.DISPLAY_NAME).text
    return Transcript(ticket, name, tuple(_shielded(e) for e in events))


def _text(tr: Transcript) -> str:
    h = tr.header()
    out = [f"Ticket #{h['id']} · {h['state']} · {h['priority']} · topic {h['topic'] or '-'} · {h['lang']}",
           f"User: {h['user']} ({h['display_name'] or '-'}) · assignee {h['assignee'] or '-'}",
           f"Opened {h['created_at']}" + (f" · resolved {h['resolved_at']}" if h["resolved_at"] else ""),
           f"Subject: {' '.join(h['subject'].split())}", ""]
    for line in tr.lines():
        mark = " [internal]" if line["internal"] else ""
        body = " ".join(str(line["text"]).splitlines())  # one line each: a body cannot fake the next line
        out.append(f"{line['at']}  {line['kind']}{mark}  {line['actor']}: {body}")
    return "\n".join(out) + "\n"


def _html(tr: Transcript) -> str:
    h = tr.header()
    e = html.escape
    rows = "\n".join(
        f"<tr class=\"{'internal' if line['internal'] else line['kind']}\"><td>{e(line['at'])}</td>"
        f"<td>{e(line['kind'])}{' (internal)' if line['internal'] else ''}</td><td>{e(line['actor'])}</td>"
        f"<td>{e(str(line['text']))}</td></tr>" for line in tr.lines())
    return f"""<!doctype html>
<html lang="{e(h['lang'])}"><head><meta charset="utf-8"><title>Ticket #{h['id']}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<style>body{{font:14px system-ui,sans-serif;margin:2em}}td{{padding:4px 8px;vertical-align:top;white-space:pre-wrap}}
tr.internal{{background:#fff6d5}}tr.user_message{{background:#eef5ff}}tr.bot_reply{{color:#555}}th{{text-align:left}}</style></head>
<body><h1>Ticket #{h['id']}</h1>
<p>{e(h['state'])} · {e(h['priority'])} · topic {e(h['topic'] or '-')} · {e(h['lang'])}<br>
User {e(h['user'])} ({e(h['display_name'] or '-')}) · assignee {e(h['assignee'] or '-')} · opened {e(h['created_at'])}</p>
<p><b>Subject:</b> {e(h['subject'])}</p>
<table><tr><th>When</th><th>What</th><th>Who</th><th>Text</th></tr>
{rows}
</table></body></html>
"""


def render(tr: Transcript, fmt: Format) -> str:
    if fmt == "json":
        return json.dumps({"ticket": tr.header(), "events": tr.lines()}, ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return _html(tr)
    return _text(tr)
