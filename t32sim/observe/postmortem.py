"""A short post-mortem built from a cluster's own records.

The journal says who did what and when (``actor``: "ci", "chaos", "oncall" ...); the alerts
say when the system noticed; the Warning events say what it saw. ``postmortem(cluster,
since=, responders=)`` puts them on one timeline and, per service that something changed
after ``since``, answers the four questions of a blameless post-mortem: what changed, when
was it detected (and by which alert), when did a responder act, when was it resolved::

    report = postmortem(c, since=60, responders=("oncall",))
    report.findings          # one Finding per service: changes, detected, mitigated, resolved
    report.timeline          # DataFrame: time, who, service, what
    print(report.markdown())
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pandas as pd

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster
    from t32sim.engine.commands import Command

__all__ = ["Finding", "PostMortem", "postmortem", "describe", "CHANGE_VERBS", "RAISED",
           "CLEARED"]

#: the journal verbs that change a service (run, send and rule edits are left out)
CHANGE_VERBS = ("apply", "scale", "kill", "set_load", "break_probe", "inject", "heal", "undo",
                "promote")
#: alert kinds that open an incident, and those that close one
RAISED = ("DOWN", "DEGRADED", "FIRING")
CLEARED = ("UP", "RESOLVED", "SCALED")
TIMELINE_COLUMNS = ["time", "who", "service", "what"]


def _target(command: "Command") -> str | None:
    args = command.args
    if command.verb == "apply":
        return args.get("spec", {}).get("metadata", {}).get("name")
    return args.get("service", args.get("target"))


def describe(command: "Command") -> str:
    """One line for a journaled command: ``apply shop (local://demo@flaky)``."""
    args, verb = command.args, command.verb
    target = _target(command)
    if verb == "apply":
        image = args.get("spec", {}).get("spec", {}).get("image", "")
        return f"apply {target}" + (f" ({image})" if image else "")
    if verb == "scale":
        return (f"scale {target} to {args['replicas']}" if "replicas" in args
                else f"scale {target} by {args.get('delta', 0):+d}")
    if verb == "kill":
        count = args.get("count", 1)
        return f"kill {count} pod{'s' if count != 1 else ''} of {target}"
    if verb == "set_load":
        load = f"{args['rps']:g} rps" if "rps" in args else f"{args.get('cpu', 0):g} % CPU"
        return f"set the load of {target} to {load}"
    if verb == "break_probe":
        return f"break the {args.get('kind', 'readiness')} probe of {target}"
    if verb == "inject":
        parts = [f"{args['error_rate']:.0%} errors" if "error_rate" in args else "",
                 f"+{args['latency']:g} s latency" if "latency" in args else ""]
        return f"inject {' and '.join(p for p in parts if p)} into {target}"
    if verb == "undo":
        to = args.get("to_revision")
        return f"undo {target}" + (f" to revision {to}" if to is not None else "")
    if verb == "heal":
        return f"heal {target}" if target else "heal everything"
    return f"{verb} {target}" if target else verb


@dataclass(frozen=True)
class Finding:
    """One service's incident: its changes, and when it was detected, mitigated, resolved."""
    service: str
    changes: tuple[tuple[float, str, str], ...]     # (time, who, what) by non-responders
    detected: float | None = None
    detected_by: str = ""
    mitigated: float | None = None
    mitigation: str = ""
    resolved: float | None = None

    @property
    def began(self) -> float:
        return self.changes[0][0]

    @property
    def time_to_detect(self) -> float | None:
        return None if self.detected is None else self.detected - self.began

    @property
    def time_to_mitigate(self) -> float | None:
        return None if self.mitigated is None else self.mitigated - self.began

    def sentence(self) -> str:
        """The finding in one line, numbers included."""
        changes = "; ".join(f"t = {t:g} {who}: {what}" for t, who, what in self.changes)
        detected = (f"detected at t = {self.detected:g} by {self.detected_by} "
                    f"({self.time_to_detect:g} s after the first change)"
                    if self.detected is not None else "no alert fired")
        mitigated = (f"mitigated at t = {self.mitigated:g} ({self.mitigation})"
                     if self.mitigated is not None else "no responder acted")
        resolved = (f"resolved at t = {self.resolved:g}" if self.resolved is not None
                    else "no alert says resolved")
        return f"{self.service}: {changes}. {detected}; {mitigated}; {resolved}."


@dataclass(frozen=True)
class PostMortem:
    """The findings per service and the merged timeline."""
    since: float
    until: float
    findings: tuple[Finding, ...]
    timeline: pd.DataFrame

    def finding(self, service: str) -> Finding:
        for found in self.findings:
            if found.service == service:
                return found
        raise KeyError(f"service: no finding for {service!r}; found "
                       f"{[f.service for f in self.findings]}")

    def table(self) -> pd.DataFrame:
        """The findings as a frame: service, began, detected, by, mitigated, resolved."""
        return pd.DataFrame(
            [(f.service, f.began, f.detected, f.detected_by, f.time_to_detect, f.mitigated,
              f.mitigation, f.resolved) for f in self.findings],
            columns=["service", "began", "detected", "detected by", "time to detect",
                     "mitigated", "mitigation", "resolved"])

    def markdown(self) -> str:
        """The post-mortem as Markdown: summary per service, then the timeline."""
        lines = [f"## Post-mortem: t = {self.since:g} s to t = {self.until:g} s", "",
                 "### What happened", ""]
        lines += [f"* {f.sentence()}" for f in self.findings]
        undetected = [f.service for f in self.findings if f.detected is None]
        if undetected:
            lines += ["", "### Not caught by any alert", "",
                      f"* {', '.join(undetected)}: an alert on what users see (error rate, "
                      "latency) would have paged someone."]
        lines += ["", "### Timeline", "", "| t (s) | who | service | what |", "|---|---|---|---|"]
        lines += [f"| {row.time:g} | {row.who} | {row.service} | {row.what} |"
                  for row in self.timeline.itertuples()]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.markdown()


def _alerts(cluster: "Cluster") -> list[dict[str, Any]]:
    return [a.to_dict() for a in cluster.alerts.alerts]


def postmortem(cluster: "Cluster", *, since: float = 0.0,
               responders: Iterable[str] = ("oncall",),
               services: Iterable[str] | None = None) -> PostMortem:
    """The post-mortem of everything after ``since``: ``responders`` are the actors whose
    commands are mitigations; every other actor's changes are what happened."""
    responders = tuple(responders)
    commands = [c for c in cluster.journal if c.time >= since and c.verb in CHANGE_VERBS]
    alerts = [a for a in _alerts(cluster) if a["time"] >= since]
    rows = [(c.time, c.actor, _target(c) or "", describe(c)) for c in commands]
    rows += [(a["time"], "alerts", a["service"], a["subject"]) for a in alerts]
    events = cluster.events
    warnings = events[(events["time"] >= since) & (events["level"] == "Warning")
                      & ~events["reason"].isin(["ServiceDown", "ServiceDegraded",
                                                "AlertFiring"])]
    rows += [(float(e.time), "events", str(e.service), f"{e.reason}: {e.message}")
             for e in warnings.itertuples()]
    timeline = pd.DataFrame(rows, columns=TIMELINE_COLUMNS)
    timeline = timeline.sort_values("time", kind="stable").reset_index(drop=True)
    wanted = list(services) if services is not None else None
    findings = []
    for service in dict.fromkeys(_target(c) for c in commands if c.actor not in responders):
        if service is None or (wanted is not None and service not in wanted):
            continue
        findings.append(_finding(service, commands, alerts, responders))
    return PostMortem(since, cluster.now, tuple(findings), timeline)


def _finding(service: str, commands: list, alerts: list[Mapping[str, Any]],
             responders: tuple[str, ...]) -> Finding:
    mine = [c for c in commands if _target(c) == service]
    changes = tuple((c.time, c.actor, describe(c)) for c in mine if c.actor not in responders)
    began = changes[0][0]
    raised = next((a for a in alerts if a["service"] == service and a["kind"] in RAISED
                   and a["time"] >= began), None)
    acted = next((c for c in mine if c.actor in responders and c.time >= began), None)
    cleared = None
    if raised is not None:
        cleared = next((a for a in alerts if a["service"] == service
                        and a["kind"] in CLEARED and a["time"] > raised["time"]), None)
    return Finding(service, changes,
                   detected=raised["time"] if raised else None,
                   detected_by=(f"{raised['kind']} ({raised['rule']})" if raised else ""),
                   mitigated=acted.time if acted else None,
                   mitigation=f"{acted.actor}: {describe(acted)}" if acted else "",
                   resolved=cleared["time"] if cleared else None)
