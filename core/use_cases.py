"""The core's use cases, built once per process from settings and a store.

This only holds them together; each lives in its own module. Adapters call:
``dialogue.handle_message`` (a user's message, its images checked in the
background by ``images``, for which each adapter registers a fetcher in
``images.fetchers``; a private chat's checked files go on to ``files.from_user``),
``escalation.escalate`` (a moderator's escalation), ``staff.act`` (a staff
action), ``files.from_staff`` (files staff share in a ticket's thread) and
``blocking`` (block a user by name); the outbox worker calls ``timers``. Every
text those take passes the shield gate first, every file the image or text shield.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from core.chain import ChainLookup
from core.config import Settings
from core.contract import Started
from core.conversation.dialogue import Dialogue
from core.conversation.files import FileRelay
from core.conversation.images import ImageCheck
from core.conversation.services import Services
from core.faq.answers import FaqAnswers
from core.faq_engine import FaqEngine
from core.identity.codes import CodeSender, Identity
from core.identity.policy import StaffPolicy
from core.identity.roster import StaffRoster
from core.models import Ticket
from core.ops.metrics import Metrics
from core.shield.images import ImageShield
from core.storage import Store
from core.support.abuse import Blocking
from core.support.desk import TicketDesk
from core.support.escalation import Escalation
from core.support.assignment import Assigner
from core.support.hours import SupportHours
from core.support.queue import TicketQueue
from core.support.snippets import SnippetBook
from core.support.staff import StaffActions
from core.support.digest import DailyDigest
from core.support.overview import QueueOverview
from core.support.timers import Timers
from core.support.transcripts import StaffTranscripts

__all__ = ["UseCases"]


class UseCases:
    """Args:
        settings: validated settings.
        store: an open store.
        faq: the FAQ engine.
        code_sender: where one-time codes go (webhook, or console in development).
        clock: seconds since the epoch (tests move time forward).
        metrics: where to count what happened (a private registry when omitted).
        image_shield: the OCR worker for images (one started on the first image when omitted).
    """

    def __init__(
        self, settings: Settings, store: Store, faq: FaqEngine, *, code_sender: CodeSender,
        clock: Callable[[], float] = time.time, server_secret: bytes | None = None, metrics: Metrics | None = None,
        image_shield: ImageShield | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.metrics = metrics or Metrics()
        self._wakers: list[Callable[[], None]] = []
        # deep-link templates per platform ("https://host/bot?start=ticket_{ticket_id}"), from adapters' start (adopt)
        self.link_templates: dict[str, str] = {}
        self.identity = Identity(server_secret or settings.server_secret(), clock=clock)
        self.roster = StaffRoster(settings.staff_names)
        self.policy = StaffPolicy(settings)
        self.hours = SupportHours(settings)
        self.answers = FaqAnswers(faq, self.metrics, clock, self.hours.render)
        self.assignment = Assigner(settings, store, self.policy, self.hours, clock)
        self.desk = TicketDesk(settings, self.identity, self.answers, self.hours, clock, self.assignment)
        self.chain = ChainLookup.from_settings(settings)
        self.dialogue = Dialogue(Services(settings, self.desk, self.identity, self.answers, self.roster, self.chain),
                                 store, self.metrics, clock, self._wake)
        self.images = ImageCheck(self.dialogue.image_leaked, shield=image_shield)
        self.dialogue.images = self.images
        self.files = FileRelay(settings, store, self.desk, self.policy, self.images, clock, self._wake)
        self.images.relay = self.files.from_user
        self.staff = StaffActions(settings, store, self.desk, self.identity, self.policy, code_sender, self.metrics,
                                  clock, self._wake, self.chain)
        self.escalation = Escalation(store, self.desk, self.policy, clock, self._wake, self.link_templates,
                                     self.metrics)
        self.timers = Timers(settings, store, self.desk, clock, self._wake)
        self.queue = TicketQueue(settings, store, self.policy, clock)
        self.blocking = Blocking(store, self.desk, self.policy, clock, self._wake)
        self.transcripts = StaffTranscripts(store, self.policy)
        self.overview = QueueOverview(self.queue)
        self.digest = DailyDigest(settings, store, self.desk, clock, self._wake)
        self.snippets = SnippetBook(settings, store, self.policy, clock)

    async def aclose(self) -> None:
        """Release what the use cases hold open (the chain endpoints' connections,
        the image checks in flight and the OCR worker process)."""
        await self.images.aclose()
        await self.chain.aclose()

    def adopt(self, platform: str, started: Started | None) -> None:
        """Take what an adapter's ``start()`` returned (core.contract.Started): its deep
        link into a private chat, its image fetcher. Facts it does not give are kept."""
        if started is None:
            return
        if started.link_template:
            self.link_templates[platform] = started.link_template
        if started.fetch_image is not None:
            self.images.fetchers[platform] = started.fetch_image

    def on_enqueue(self, waker: Callable[[], None]) -> None:
        """Register an outbox worker's wake-up so deliveries leave at once."""
        self._wakers.append(waker)

    def _wake(self) -> None:
        for waker in self._wakers:
            waker()

    async def ticket_for_desk_ref(self, desk_ref: str) -> Ticket | None:
        """The ticket whose desk root message is ``desk_ref`` (a Slack thread ts)."""
        async with self.store.transaction() as tx:
            found = await tx.ticket_by_desk_ref(desk_ref)
        return found
