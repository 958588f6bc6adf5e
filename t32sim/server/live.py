"""The live cluster: one engine, paced by the wall clock, journaled, broadcast.

Everything here runs on the server's single asyncio loop: the pacer task calls
``step()`` every tick (advance the engine to the pacer's target time, persist the
journal, publish one coalesced update), and HTTP handlers call ``command()``
between ticks. No locks and no other thread touches the cluster.

``command()`` is the only way a change gets in: it catches the engine up to
*now*, commits the command to the SQLite journal, executes it through the
engine's generic ``execute`` (the same path replay takes), then stores the
engine's own record of it. A refused command leaves no row and no change.

With ``T32SIM_SMTP_*`` set, the cluster's UP/DOWN alerts are mailed by an
``EmailNotifier``, subscribed only *after* the journal replay so a restart does
not mail old outages again. Its thread only queues delivery failures for the
engine (``alerts.delivery_failed``), which turns them into events.
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, Callable

from t32sim.engine import Cluster, CommandError, replay
from t32sim.notify import EmailNotifier
from t32sim.server.broadcast import Hub
from t32sim.server import metrics
from t32sim.server.follow import StateFollower
from t32sim.server.journal import CommandJournal
from t32sim.server.pacer import Pacer
from t32sim.server.samples import TAIL, Samples
from t32sim.server.settings import DEFAULT_SEED, DEFAULT_SPEED, ServerSettings
from t32sim.spec import ServiceSpec, SpecError, load_manifests
from t32sim.web import COMMAND_LINE

log = logging.getLogger("t32sim.server")

__all__ = ["LiveCluster", "PACER_ACTOR", "SLOW_STEP_SECONDS"]

PACER_ACTOR = "pacer"
SLOW_STEP_SECONDS = 0.5      # an engine step longer than this re-anchors the pacer
#: the events of an apply its answer tells: what changed, and what will not work yet
APPLY_MESSAGES = ("Applied", "Unchanged", "NoEndpoints", "FailedGetScale")


class LiveCluster:
    """A ``Cluster`` with a pacer, a durable journal and an SSE hub."""

    def __init__(self, cluster: Cluster, journal: CommandJournal, pacer: Pacer, hub: Hub,
                 clock: Callable[[], float]):
        self.cluster = cluster
        self.journal = journal
        self.pacer = pacer
        self.hub = hub
        self.clock = clock
        self.resumed_commands = 0
        self.requires_key = False
        #: the charts' samples, one per service per simulated second
        self.samples = Samples()
        metrics.register(self)
        #: mails the cluster's UP/DOWN alerts when T32SIM_SMTP_* is set (else None)
        self.mailer: EmailNotifier | None = None
        self._event_cursor = len(cluster.event_log)
        #: the state SSE clients see, read again where the store says it changed
        self.follower = StateFollower(cluster)
        self._tail: dict[str, list[dict]] | None = None
        hub.reset(self.hub_state(), self._recent_events(), self.server_info())

    # ---- opening ------------------------------------------------------------------
    @classmethod
    def open(cls, settings: ServerSettings, *, clock: Callable[[], float] = time.monotonic,
             hub: Hub | None = None) -> "LiveCluster":
        """Replay the journal in ``settings.db`` if it has one, else start fresh."""
        journal = CommandJournal(settings.db)
        try:
            cluster, resumed = _restore(journal, settings)
        except BaseException:
            journal.close()
            raise
        paused = settings.paused or (resumed > 0 and bool(journal.get_meta("paused", False)))
        speed = settings.speed if settings.speed is not None else (
            journal.get_meta("speed", DEFAULT_SPEED) if resumed else DEFAULT_SPEED)
        pacer = Pacer(clock, cluster.now, speed, paused)
        journal.set_meta("paused", paused)
        journal.set_meta("speed", pacer.speed)
        hub = hub or Hub(queue_size=settings.sse_queue, history=settings.sse_history,
                         drop_after=settings.sse_drop_after,
                         recent_events=settings.sse_recent_events)
        live = cls(cluster, journal, pacer, hub, clock)
        live.resumed_commands = resumed
        live.requires_key = settings.api_key is not None
        live.hub.server = live.server_info()
        try:
            live.mailer = _subscribe_mailer(cluster)    # after the replay: old news is not mailed
            if not resumed:
                live._apply_files(settings.apply)
        except BaseException:
            live._close_mailer()
            journal.close()
            raise
        return live

    def _apply_files(self, paths: tuple[str, ...]) -> None:
        """Apply the ``--apply`` files at simulated time 0 (time stands still meanwhile).

        A bad file raises ``SpecError`` naming the file or the field."""
        paused, self.pacer.paused = self.pacer.paused, True
        try:
            for path in paths:
                doc = load_manifests(Path(path)).journal_document()
                self.command("apply", {"spec": doc}, actor="cli", source=COMMAND_LINE)
        finally:
            self.pacer.paused = paused
            self.pacer.rebase(self.cluster.now)
        self.hub.reset(self.hub_state(), self._recent_events(), self.server_info())
        self._event_cursor = len(self.cluster.event_log)

    # ---- time ---------------------------------------------------------------------
    def advance(self) -> None:
        """Run the engine up to the pacer's target time and persist how far it got."""
        target = self.pacer.target()
        if target > self.cluster.now:
            started = self.clock()
            self.cluster.run(until=target, actor=PACER_ACTOR)
            if self.clock() - started > SLOW_STEP_SECONDS:
                self.pacer.rebase(self.cluster.now)     # the engine fell behind: slow down
        self.persist()

    def step(self) -> None:
        """One pacer tick: advance, then publish one coalesced update."""
        self.advance()
        self.publish()

    def publish(self) -> None:
        """Offer the hub what changed since the last tick: only the services the store
        named since then (and those whose status moves with time) are read again."""
        events = self.cluster.event_log.since(self._event_cursor)
        self._event_cursor += len(events)
        snapshot, known = self.follower.update()
        self.hub.publish(self._with_samples(snapshot), [e.to_dict() for e in events],
                         self.server_info(), known)

    def _recent_events(self) -> list[dict]:
        log = self.cluster.event_log
        return [e.to_dict() for e in log.since(len(log) - self.hub.recent_events.maxlen)]

    def hub_state(self) -> dict[str, Any]:
        """What SSE clients see: the snapshot (every service and pod read again) plus the
        newest chart samples."""
        self._tail = None
        return self._with_samples(self.follower.rebuild())

    def _with_samples(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """The state plus the newest chart samples (recorded here when a new simulated
        second began; the same list object while none was)."""
        if self.samples.record(snapshot, offered_by_template(self.cluster),
                               routed_by_template(self.cluster)) or self._tail is None:
            self._tail = self.samples.tail(TAIL)
        return {**snapshot, "samples": self._tail}

    def run_for(self, seconds: float, actor: str = "user") -> float:
        """Jump ``seconds`` of simulated time at once (works while paused)."""
        self.advance()
        self.cluster.run(until=self.cluster.now + seconds, actor=actor)
        self.pacer.rebase(self.cluster.now)
        self.persist()
        return self.cluster.now

    def set_speed(self, speed: float) -> None:
        """Change the pace; kept in the journal file, so a restart keeps it too."""
        self.advance()
        self.pacer.set_speed(speed, self.cluster.now)
        self.journal.set_meta("speed", self.pacer.speed)

    def pause(self) -> None:
        self.advance()
        self.pacer.pause(self.cluster.now)
        self.journal.set_meta("paused", True)

    def resume(self) -> None:
        self.pacer.resume(self.cluster.now)
        self.journal.set_meta("paused", False)

    def server_info(self) -> dict[str, Any]:
        return {"speed": self.pacer.speed, "paused": self.pacer.paused,
                "api_key": self.requires_key}

    # ---- commands -----------------------------------------------------------------
    def command(self, verb: str, args: dict[str, Any], *, actor: str, source: str) -> Any:
        """Check, journal, then execute ``verb(**args)`` at the current simulated time.

        The engine checks the command first (a wrong one raises and writes nothing). The
        row committed before the engine applies it is exactly the entry the engine will
        journal: at a new position, or, when it coalesces with the last entry (identical
        ``select``/``request`` at the same instant), that last row with the count added
        (an UPDATE, not a new row); so a crash in between replays exactly what was about
        to happen.
        """
        self.advance()                       # also syncs: the rows mirror the engine's journal
        checked = self.cluster.check(verb, args, actor=actor)
        self.journal.write_ahead(checked.position, checked.entry.to_dict(), source)
        since = max(0, checked.position - 1)
        try:
            result = self.cluster.commit(checked)
        except BaseException:
            self.persist(start=since)        # the rows mirror what the engine kept
            raise
        self.persist(start=since, source=source)
        return result

    def apply(self, doc: dict, *, actor: str, source: str) -> tuple[Any, str]:
        """Apply a spec (or manifests); returns what the engine applied and its Applied /
        Unchanged messages, which say when a pod template did not change and so no new
        revision starts, and its warnings: a Service that selects no pods, an HPA whose
        target does not exist yet."""
        since = len(self.cluster.event_log)
        applied = self.command("apply", {"spec": doc}, actor=actor, source=source)
        return applied, "; ".join(self._messages_since(since, APPLY_MESSAGES))

    def set_load(self, args: dict[str, Any], *, actor: str, source: str) -> str:
        """Set the offered load; returns the engine's LoadSet message (which says when no
        autoscaler will react to it)."""
        since = len(self.cluster.event_log)
        self.command("set_load", args, actor=actor, source=source)
        return "; ".join(self._messages_since(since, ("LoadSet",)))

    def undo(self, args: dict[str, Any], *, actor: str, source: str) -> tuple[int, int, str]:
        """Roll back as ``kubectl rollout undo`` does; returns the revision whose pod
        template comes back, the revision number it rolls out as, and what happens.

        Kubernetes copies the old template into the spec and the Deployment controller
        gives its ReplicaSet the next revision number, so undoing 2 -> 1 serves revision 3;
        the answer says so instead of leaving "back to revision 1" beside a card showing 3."""
        before = {r["revision"]: r["template_hash"]
                  for r in self.cluster.service(args["service"]).revisions}
        since = len(self.cluster.event_log)
        restored = self.command("undo", args, actor=actor, source=source)
        becomes = rollback_revision(before, restored)
        told = "; ".join(self._messages_since(since, ("RolledBack",)))
        if becomes != restored:
            told += (f": its template becomes revision {becomes}, as kubectl rollout undo "
                     "makes the old template the newest revision")
        return restored, becomes, told

    def _messages_since(self, position: int, reasons: tuple[str, ...]) -> list[str]:
        return [e.message for e in self.cluster.event_log.since(position)
                if str(e.reason) in reasons]

    def known_service(self, service: str) -> ServiceSpec:
        """The applied spec of ``service``; ``CommandError`` (404) if there is none."""
        return self.cluster.service(service).spec

    # ---- the journal --------------------------------------------------------------
    def persist(self, start: int | None = None, source: str | None = None) -> None:
        """Write the engine's journal from entry ``start`` on (default: from the last
        synced entry, which a growing ``run`` may have rewritten) to SQLite."""
        if start is None:
            start = self.journal.resume_point()
        self.journal.sync(self.cluster.journal_since(start), start, source)

    def journal_length(self) -> int:
        """How many entries the engine's journal has, without copying it."""
        start = self.journal.resume_point()
        return start + len(self.cluster.journal_since(start))

    # ---- the pacer task -----------------------------------------------------------
    async def pace(self, tick: float) -> None:
        """Call ``step()`` every ``tick`` seconds of the loop's clock, until cancelled."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due += tick
            delay = due - loop.time()
            if delay < 0:            # fell behind: no burst of catch-up ticks
                due, delay = loop.time(), 0
            await asyncio.sleep(delay)
            try:
                self.step()
            except Exception:        # keep the demo alive; the error is in the log
                log.exception("pacer step failed at t=%s", self.cluster.now)

    def close(self) -> None:
        """Persist the journal, end the SSE streams, send the mails still queued."""
        try:
            self.persist()
        finally:
            try:
                self.hub.close_all()
                self.journal.close()
            finally:
                self._close_mailer()

    def _close_mailer(self) -> None:
        if self.mailer is not None:
            self.mailer.close()


def rollback_revision(revisions: dict[int, str], restored: int) -> int:
    """The number revision ``restored`` rolls out as, from the revisions (number -> template
    hash) before the undo: the Deployment controller's rule, a re-used ReplicaSet that is not
    the newest gets the next number."""
    others = max((n for n, h in revisions.items() if h != revisions[restored]), default=0)
    return restored if restored > others else others + 1


def offered_by_template(cluster: Cluster) -> dict[str, dict[str, float]]:
    """The offered load each revision serves now (rps), by service and pod-template hash."""
    return {name: cluster.traffic.served_rps(name) for name in cluster.services()}


def routed_by_template(cluster: Cluster) -> dict[str, dict[str, int]]:
    """Requests routed explicitly so far (``send``, ``request``), by service and template."""
    return {name: cluster.traffic.routed_totals(name) for name in cluster.services()}


def _subscribe_mailer(cluster: Cluster) -> EmailNotifier | None:
    """An ``EmailNotifier`` from ``T32SIM_SMTP_*`` subscribed to the cluster's alerts, or
    None when no SMTP host or recipient is set. A mail that cannot be delivered becomes
    an ``AlertNotSent`` event. Bad settings raise ValueError naming the variable."""
    mailer = EmailNotifier.from_env(on_error=cluster.alerts.delivery_failed)
    if mailer is not None:
        cluster.alerts.subscribe(mailer.send)
    return mailer


def _restore(journal: CommandJournal, settings: ServerSettings) -> tuple[Cluster, int]:
    """A cluster rebuilt from the journal (and how many rows it had), or a fresh one."""
    stored_seed = journal.get_meta("seed")
    rows = journal.commands()
    if stored_seed is not None and settings.seed is not None and settings.seed != stored_seed \
            and rows:
        raise ValueError(f"seed: the journal in {settings.db} was recorded with seed "
                         f"{stored_seed}, not {settings.seed}; use another --db or drop --seed")
    seed = stored_seed if (stored_seed is not None and rows) else settings.seed
    seed = DEFAULT_SEED if seed is None else seed
    journal.set_meta("seed", seed)
    if not rows:
        return Cluster(seed), 0
    try:
        cluster = replay(rows, seed)
    except (CommandError, SpecError):
        # Only the last row can be refused: it was written ahead and the engine said no
        # (or the server died in between). It changed nothing, so drop it.
        rows = rows[:-1]
        cluster = replay(rows, seed)
    journal.replace([c.to_dict() for c in cluster.journal])
    return cluster, len(rows)
