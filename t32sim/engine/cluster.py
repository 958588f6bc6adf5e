"""The Cluster: one simulated Kubernetes-like cluster and its public API.

Every command goes the same way: it is checked by its verb in ``verbs.VERBS`` (nothing
changes if it is wrong), journaled with its simulated time and actor, then applied to the
store, whose watchers (the controllers) take it from there. ``check`` and ``commit`` are
the two halves, for a caller (the live server) that writes the entry ahead first. ``replay(journal, seed)`` runs the
same commands at the same times and rebuilds a byte-identical cluster.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import simpy

from t32sim.engine import applying, verbs
from t32sim.engine.alerts import AlertManager, Notifier
from t32sim.engine.autoscaler import Autoscaler
from t32sim.engine.commands import Checked, Command, CommandError, coalesce, service_state, time_arg
from t32sim.engine.context import Context
from t32sim.engine.controllers import Controllers
from t32sim.engine.deployment import DeploymentController
from t32sim.engine.events import EventLog
from t32sim.engine.history import History, status_row
from t32sim.engine.kubelet import Kubelet
from t32sim.engine.metrics import cluster_registry
from t32sim.engine.exposition import exposition
from t32sim.engine.rollout import RolloutController
from t32sim.engine.status import ServiceStatus
from t32sim.engine.statuses import Statuses
from t32sim.engine.store import Pod, ServiceState, Store
from t32sim.engine.load import Traffic
from t32sim.engine.requests import LoadBalancer, Response
from t32sim.rng import seeded
from t32sim.spec import ServiceSpec

DEFAULT_SEED = 0          # the seed of a Cluster, `t32sim run` and `t32sim serve` by default


@dataclasses.dataclass(frozen=True)
class ServiceView:
    """A read-only look at one service: its spec, status and revisions."""
    name: str
    spec: ServiceSpec
    status: ServiceStatus
    revisions: list[dict[str, Any]]


class Cluster:
    """A deterministic simulated cluster. Same seed + same commands = same history."""

    def __init__(self, seed: int = DEFAULT_SEED, *, sample_interval: float = 1.0,
                 notifier: Notifier | None = None, balancer: str = "round-robin",
                 deletion_ranking: Callable[[Pod, float], Any] | None = None):
        """``balancer``: "round-robin" (exact shares, the default) or "random" (a seeded
        random pod per request, as kube-proxy and the ingress-nginx canary choose).
        ``deletion_ranking``: ``fn(pod, now) -> sort key``; a ReplicaSet with too many pods
        deletes those with the smallest keys first (None: Kubernetes' ranking,
        ``deployment.kubernetes_ranking``). It is not journaled: replay with the same one."""
        if deletion_ranking is not None and not callable(deletion_ranking):
            raise CommandError("deletion_ranking: expected a function (pod, now) -> sort key, "
                               f"got {deletion_ranking!r}", field="deletion_ranking")
        #: the ReplicaSets' deletion ranking (None: Kubernetes' own)
        self.deletion_ranking = deletion_ranking
        self.seed = seed
        self.env = simpy.Environment(initial_time=0.0)
        self.rng = seeded(seed)
        self.store = Store()
        #: every event, in order (``events`` is its DataFrame)
        self.event_log = EventLog()
        #: what the controllers get instead of the Cluster
        self.context = Context(self.env, self.store, self.event_log, self.rng)
        self.sample_interval = sample_interval
        self._journal: list[Command] = []
        self.kubelet = Kubelet(self.context)
        self.deployments = DeploymentController(self.context, self.kubelet,
                                                lambda state: self.rollouts.plan(state),
                                                lambda: self.deletion_ranking)
        #: offered load, CPU per pod, requests per revision; and the load balancer
        self.traffic = Traffic(self.context, seed)
        #: rollout strategies: ReplicaSet sizes per strategy, canary / blue-green state
        self.rollouts = RolloutController(self.context, self.traffic, self.deployments.enqueue)
        self.lb = LoadBalancer(self.store, self.rng, lambda service: self._command(
            "user", "select", service=service, count=1), balancer)
        #: the HorizontalPodAutoscaler (syncs every 15 s)
        self.autoscaler = Autoscaler(self.context, self.traffic)
        #: each service's status (kept while Healthy and unchanged)
        self.statuses = Statuses(self.context, self.rollouts.info)
        #: each service's status sampled every ``sample_interval`` s (``history`` is its frame)
        self.sampler = History(self.env, lambda: self.store.services,
                               status_row(self.statuses, self.lb, self.traffic),
                               self.sample_interval)
        #: UP/DOWN alerts as events, and to ``notifier`` / ``alerts.subscribe(fn)``
        self.alerts = AlertManager(self.context, self.traffic, self.lb, self._command,
                                   notifier=notifier)
        #: what a command's check and the metrics get: the controllers, not the Cluster
        self.controllers = Controllers(self.context, self.kubelet, self.deployments,
                                       self.traffic, self.rollouts, self.lb, self.statuses,
                                       self.alerts)
        #: this cluster's own Prometheus registry (see ``metrics_text``)
        self.registry = cluster_registry(self.controllers)

    # -- time ----------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """Simulated seconds since the cluster was created."""
        return self.env.now

    def run(self, until: float, *, actor: str = "user", progress: bool = False) -> None:
        """Advance simulated time to ``until``, handling everything due at or before it.

        ``progress=True`` shows a tqdm bar in simulated seconds (same result, in slices).
        """
        until = time_arg("until", until)
        if until < self.now:
            raise CommandError(f"until: cannot go back in time from {self.now:g} s to {until:g} s",
                               field="until")
        last = self._journal[-1] if self._journal else None
        if last is not None and last.verb == "run":
            self._journal[-1] = dataclasses.replace(last, args={"until": until})
        else:
            self._journal.append(Command(self.now, actor, "run", {"until": until}))
        if until > self.now and progress:
            self._run_with_progress(until)
        elif until > self.now:
            self.env.run(until=until)
        while self.env.peek() <= until:
            self.env.step()
        self.alerts.report_failures()      # deliveries that failed on a notifier's thread

    def run_for(self, seconds: float, *, actor: str = "user", progress: bool = False) -> None:
        """Advance simulated time by ``seconds``."""
        seconds = time_arg("seconds", seconds)
        if seconds < 0:
            raise CommandError(f"seconds: expected a number >= 0, got {seconds!r}", field="seconds")
        self.run(self.now + seconds, actor=actor, progress=progress)

    def _run_with_progress(self, until: float, slices: int = 100) -> None:
        """``env.run(until)`` in ``slices`` steps with a tqdm bar; events run in the same order."""
        from tqdm.auto import tqdm

        start = self.now
        with tqdm(total=until - start, unit="sim s", desc="simulating",
                  bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} sim s [{elapsed}]") as bar:
            for index in range(1, slices + 1):
                target = start + (until - start) * index / slices if index < slices else until
                if target > self.now:
                    self.env.run(until=target)
                bar.update(self.now - start - bar.n)

    # -- commands ------------------------------------------------------------------------

    def apply(self, source: str | Path | Mapping[str, Any] | ServiceSpec, *,
              actor: str = "user") -> ServiceSpec | tuple:
        """Store desired state: a path, YAML text, a dict or a ServiceSpec; t32sim's own
        Service format or real manifests (Deployment, Rollout, Service, HPA; several
        documents; other kinds are skipped with a NotSimulated event). Returns the
        ServiceSpec of the one workload applied, else a tuple of every object applied."""
        return self._command(actor, "apply", spec=source)

    def scale(self, service: str, replicas: int | None = None, delta: int | None = None, *,
              actor: str = "user") -> int:
        """Set the desired replicas, absolutely or by ``delta``; returns the new count."""
        args = {"service": service}
        if replicas is not None:
            args["replicas"] = replicas
        if delta is not None:
            args["delta"] = delta
        return self._command(actor, "scale", **args)

    def kill(self, service: str, count: int = 1, *, actor: str = "user") -> list[str]:
        """Chaos: delete ``count`` random live pods of ``service``; returns their names."""
        return self._command(actor, "kill", service=service, count=count)

    def set_load(self, service: str, cpu: float | None = None, rps: float | None = None, *,
                 actor: str = "user") -> float:
        """Offer load: ``cpu`` = average CPU % at the current Ready pods (turned into requests
        per second, so scaling out lowers it), or ``rps`` directly. Returns the rps."""
        return self._command(actor, "set_load", service=service,
                             **({"cpu": cpu} if cpu is not None else {}),
                             **({"rps": rps} if rps is not None else {}))

    def request(self, service: str, path: str = "/", *, actor: str = "user") -> Response:
        """One request through the load balancer: ``Response(pod, version, status, latency)``
        (503 with pod None when no pod is Ready). Journaled: it draws from ``rng``."""
        return self._command(actor, "request", service=service, path=path, count=1)

    def send(self, service: str, count: int, path: str = "/", *, actor: str = "user") -> dict:
        """``count`` requests at once (the fast path): the same pods as ``count`` requests,
        one error draw each, the pods' mean latency. Returns counts by version and pod."""
        return self._command(actor, "send", service=service, count=count, path=path)

    @property
    def requests(self):
        """Routed requests as a DataFrame: time, service, path, pod, version, status,
        latency, count."""
        return self.lb.frame()

    def promote(self, service: str, full: bool = False, *, actor: str = "user") -> str:
        """Let a paused Canary go on (``full``: skip all its steps) or switch a BlueGreen."""
        return self._command(actor, "promote", service=service,
                             **({"full": full} if full is not False else {}))

    def undo(self, service: str, to_revision: int | None = None, *, actor: str = "user") -> int:
        """Roll the previous (or the given) revision's template out again, under the service's
        strategy. Returns the revision rolled back to."""
        return self._command(actor, "undo", service=service,
                             **({"to_revision": to_revision} if to_revision is not None else {}))

    def break_probe(self, target: str, kind: str = "readiness", *, actor: str = "user") -> str:
        """Chaos: the ``kind`` probe ("readiness" or "liveness") of a service's pods, or of
        one pod, fails until ``heal``."""
        return self._command(actor, "break_probe", target=target, kind=kind)

    def inject(self, service: str, version: str | None = None, *, error_rate: float | None = None,
               latency: float | None = None, actor: str = "user"):
        """Chaos: requests to ``service`` (or one ``version`` of it) fail with ``error_rate``
        more and take ``latency`` seconds longer, until ``heal``."""
        args = {k: v for k, v in (("version", version), ("error_rate", error_rate),
                                  ("latency", latency)) if v is not None}
        return self._command(actor, "inject", service=service, **args)

    def heal(self, target: str | None = None, *, actor: str = "user") -> int:
        """Remove chaos faults of a service or pod (all of them without ``target``)."""
        return self._command(actor, "heal", **({"target": target} if target is not None else {}))

    def execute(self, command: Command | Mapping[str, Any], *, actor: str | None = None) -> Any:
        """Carry out a journaled command (a Command or its dict) at the current time."""
        command = Command.from_any(command)
        if command.verb == "run":
            unknown = sorted(set(command.args) - {"until"})
            if unknown or "until" not in command.args:
                raise CommandError("run: expected the single argument 'until', "
                                   f"got {sorted(command.args)}",
                                   field=unknown[0] if unknown else "until")
            return self.run(command.args["until"], actor=actor or command.actor)
        return self._command(actor or command.actor, command.verb, **command.args)

    def check(self, verb: str, args: Mapping[str, Any] | None = None, *,
              actor: str = "user") -> Checked:
        """Check ``verb(**args)`` without changing anything: the journal entry it becomes
        (the last entry with the counts added, when it coalesces) and where. A wrong
        command raises CommandError naming the field. ``commit`` carries it out."""
        journal_args, action = verbs.check(self.controllers, verb, args or {})
        command = Command(self.now, actor, verb, journal_args)
        merged = coalesce(self._journal[-1], command) if self._journal else None
        if merged is not None:       # identical traffic commands: one entry, a count
            return Checked(merged, len(self._journal) - 1, True, action)
        return Checked(command, len(self._journal), False, action)

    def commit(self, checked: Checked) -> Any:
        """Journal a checked command, then carry it out; returns what the verb returns.
        Nothing may happen between ``check`` and ``commit`` (no command, no ``run``)."""
        expected = len(self._journal) - (1 if checked.replaces else 0)
        if checked.position != expected or checked.entry.time != self.now:
            raise CommandError(f"{checked.entry.verb}: the cluster moved on since this command "
                               "was checked; check it again", field="command")
        if checked.replaces:
            self._journal[-1] = checked.entry
        else:
            self._journal.append(checked.entry)
        return checked.action()

    def _command(self, actor: str, verb: str, **args: Any) -> Any:
        """Check a command, journal it, then apply it. A failed check changes nothing."""
        return self.commit(self.check(verb, args, actor=actor))

    def selected(self, service: str) -> tuple[str, ...]:
        """The workloads whose pods a Kubernetes Service (by name) sends requests to."""
        return self.store.selected.get(service, ())

    # -- reading -------------------------------------------------------------------------

    @property
    def journal(self) -> list[Command]:
        """Every command so far, in order (a copy). Consecutive runs are merged into one
        entry, and so are consecutive identical ``select``/``request`` commands (same
        actor, time and arguments): one entry whose ``count`` says how many there were."""
        return list(self._journal)

    def journal_since(self, position: int) -> list[Command]:
        """The journal's entries from index ``position`` on (a new list of frozen entries),
        without copying the whole journal: for readers that keep their place.

        Entries before the last never change, but the **last entry may still be
        rewritten** by coalescing: a ``run`` grows its ``until`` and an identical
        ``select``/``request`` adds to its ``count``. So a reader that has seen ``n``
        entries should read on from ``journal_since(n - 1)``.
        """
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise CommandError(f"position: expected an integer >= 0, got {position!r}",
                               field="position")
        return self._journal[position:]

    def services(self) -> list[str]:
        return list(self.store.services)

    def service(self, name: str) -> ServiceView:
        state = self._state(name)
        return ServiceView(name, state.spec, self._status(name), self._revisions(state))

    def pods(self, service: str | None = None) -> list[Pod]:
        """Copies of the pods (of one service, or all), in creation order."""
        if service is not None:
            self._state(service)
            pods = self.store.pods_of(service)
        else:
            pods = list(self.store.pods.values())
        return [dataclasses.replace(p) for p in pods]

    @property
    def events(self):
        """All events as a pandas DataFrame."""
        return self.event_log.frame()

    @property
    def history(self):
        """Each service's status sampled every ``sample_interval`` seconds (a DataFrame)."""
        return self.sampler.frame()

    def snapshot(self) -> dict[str, Any]:
        """The whole state as plain JSON-serialisable data (the server's ``/state``)."""
        return {
            "time": self.now,
            "seed": self.seed,
            "services": {name: self.service_record(name) for name in self.store.services},
            "pods": [p.to_dict() for p in self.store.pods.values()],
            "event_count": len(self.event_log),
            **applying.manifest_objects(self.store),
        }

    def service_record(self, name: str) -> dict[str, Any]:
        """What ``snapshot()`` puts under ``services[name]``."""
        state = self.store.services[name]
        hpa = self.autoscaler.status(name)
        return {"spec": state.spec.to_dict(), "status": self._status(name).to_dict(),
                "revisions": self._revisions(state),
                "load": {"rps": self.traffic.offered_rps(name), "cpu": self.traffic.cpu(name)},
                "serving": self.traffic.serving(name),
                "canary_steps": self.rollouts.info(name).steps,
                "autoscaler": hpa.to_dict() if hpa else None}

    def metrics_text(self) -> str:
        """This cluster's metrics in the Prometheus text format (read at call time)."""
        return exposition(self.registry)

    # -- internals -----------------------------------------------------------------------

    def _state(self, service: Any) -> ServiceState:
        return service_state(self.store, service)

    def _status(self, name: str) -> ServiceStatus:
        return self.statuses(name)

    def _revisions(self, state: ServiceState) -> list[dict[str, Any]]:
        pods = self.store.pods_of(state.spec.name)
        return [{"revision": rs.revision, "template_hash": rs.template_hash,
                 "image": rs.spec.image, "version": rs.version, "replicas": rs.replicas,
                 "pods": sum(p.template_hash == rs.template_hash and not p.terminating
                             for p in pods)}
                for rs in sorted(state.replicasets.values(), key=lambda r: r.revision)]


def replay(journal: Iterable[Command | Mapping[str, Any]], seed: int = 0, *,
           conditions: Mapping[str, Any] | None = None, **options) -> Cluster:
    """A new cluster with ``seed`` that has carried out ``journal``: the same cluster again.

    ``conditions``: the functions of the alert rules the journal adds, by rule name (the
    journal holds only their names).
    """
    cluster = Cluster(seed, **options)
    cluster.alerts.conditions.update(conditions or {})
    for entry in journal:
        command = Command.from_any(entry)
        if command.verb != "run" and command.time > cluster.now:
            cluster.run(command.time, actor=command.actor)
        cluster.execute(command)
    return cluster
