"""Transcripts for staff on the desk (Slack ``/ticket N transcript`` and
``/ticket N export [text|json|html]``): the staff policy first, then the
redacted transcript of :mod:`core.ops.transcript` (the CLI's export)."""

from __future__ import annotations

from core.errors import InvalidInput
from core.identity.policy import Actor, Permission, StaffPolicy
from core.ops.transcript import FORMATS, Format, load_transcript, render
from core.storage import Store

__all__ = ["StaffTranscripts"]


class StaffTranscripts:
    def __init__(self, store: Store, policy: StaffPolicy) -> None:
        self.store = store
        self.policy = policy

    async def export(self, actor: Actor, ticket_id: int, fmt: str = "text") -> str:
        """Raises NotAllowed (not staff), InvalidInput (an unknown format), NotFound (no such ticket)."""
        self.policy.require(actor, Permission.STAFF)
        if fmt not in FORMATS:
            raise InvalidInput(f"unknown format {fmt!r}", key="home.bad_format", formats=", ".join(FORMATS))
        chosen: Format = "json" if fmt == "json" else "html" if fmt == "html" else "text"
        return render(await load_transcript(self.store, ticket_id), chosen)
