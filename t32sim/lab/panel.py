"""A control panel for one cluster: play with it, watch it heal, scale and ship.

    from t32sim.lab import ControlPanel
    panel = ControlPanel(c)        # or ControlPanel() for a fresh cluster
    panel                          # last line of a cell: shows the panel

Widgets: an example chooser with Apply (it shows the example that is running, or nothing
when what runs is not one of them, so Apply never starts something else by surprise), a replicas slider, a load slider (CPU %), a Send
button for routed requests, a kill button, run-for buttons, promote / undo, a plot chooser,
and one Output holding the live plot and the pods table, refreshed after every action. Each action is also a method
(``panel.scale(5)``, ``panel.run_for(30)``) and every widget is an attribute, so a test can
set slider values and click buttons with no browser. A command the cluster refuses
shows its message in the panel instead of raising.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import ipywidgets as widgets

from t32sim.engine.cluster import DEFAULT_SEED, Cluster
from t32sim.engine.commands import CommandError
from t32sim.lab.display import figure_bundle, find_examples, pods_table, table_bundle
from t32sim.observe import plots
from t32sim.spec import ServiceSpec, SpecError, load_manifests

__all__ = ["ControlPanel", "RUN_STEPS", "VIEWS"]

#: the run-for buttons: label -> simulated seconds
RUN_STEPS = {"+5 s": 5.0, "+30 s": 30.0, "+2 min": 120.0, "+10 min": 600.0}
#: the plot chooser: label -> plot function
VIEWS: dict[str, Callable] = {
    "desired vs ready": plots.desired_vs_ready,
    "pod timeline": plots.pod_timeline,
    "CPU vs replicas": plots.cpu_vs_replicas,
    "traffic share": plots.traffic_share,
    "restarts": plots.restarts_and_backoff,
}
MAX_SLIDER_REPLICAS = 20
MAX_SLIDER_CPU = 200


class ControlPanel:
    """ipywidgets controls bound to one cluster and one service."""

    def __init__(self, cluster: Cluster | None = None, *, service: str | None = None,
                 examples: str | Path | dict[str, Path] | None = None, view: str = "desired vs ready",
                 seed: int = DEFAULT_SEED, plot_dpi: int = 80):
        self.cluster = cluster if cluster is not None else Cluster(seed=seed)
        self.examples = dict(examples) if isinstance(examples, dict) else find_examples(examples)
        names = self.cluster.services()
        self.service: str | None = service if service is not None else (names[-1] if names else None)
        self.plot_dpi = plot_dpi
        self.figure = None
        self.table = None
        self.message = ""
        self._syncing = False
        self._shown_spec: ServiceSpec | None = None
        self._specs: dict[str, ServiceSpec] | None = None
        self._build(view)
        self.refresh()

    # -- actions (each one refreshes the panel) -----------------------------------------

    def apply(self, example: str | None = None) -> None:
        """Apply the chosen example (or ``example``, a name from the chooser)."""
        name = example if example is not None else self.example.value
        if name not in self.examples:
            return self._refused(f"example: expected one of {sorted(self.examples)}, got {name!r}")
        self._do(lambda: self._applied(self.cluster.apply(self.examples[name])))

    def scale(self, replicas: int) -> None:
        self._do(lambda: self.cluster.scale(self._need_service(), replicas=int(replicas)))

    def set_load(self, cpu: float) -> None:
        if not hasattr(self.cluster, "set_load"):
            return self._refused("load: this cluster has no load model")
        self._do(lambda: self.cluster.set_load(self._need_service(), cpu=cpu))

    def kill(self, count: int | None = None) -> None:
        count = int(count if count is not None else self.kill_count.value)
        self._do(lambda: self.cluster.kill(self._need_service(), count=count))

    def run_for(self, seconds: float) -> None:
        self._do(lambda: self.cluster.run_for(seconds))

    def send(self, count: int | None = None) -> None:
        """Route ``count`` requests through the load balancer (for the traffic plot)."""
        count = int(count if count is not None else self.send_count.value)
        if not hasattr(self.cluster, "send"):
            return self._refused("send: this cluster has no load balancer")
        self._do(lambda: self.cluster.send(self._need_service(), count=count))

    def promote(self) -> None:
        if not hasattr(self.cluster, "promote"):
            return self._refused("promote: this cluster has no rollout controller")
        self._do(lambda: self.cluster.promote(self._need_service()))

    def undo(self) -> None:
        if not hasattr(self.cluster, "undo"):
            return self._refused("undo: this cluster has no rollout controller")
        self._do(lambda: self.cluster.undo(self._need_service()))

    def refresh(self) -> None:
        """Redraw the status line, the plot and the pods table; sync sliders to the cluster."""
        cluster, service = self.cluster, self.service
        outputs = []
        self.figure = self.table = None
        if service is not None and service in cluster.services():
            status = cluster.service(service).status
            self.status.value = (f"<b>{service}</b> at t = {cluster.now:g} s: "
                                 f"desired {status.desired}, ready {status.ready}, "
                                 f"available {status.available}, revision {status.revision}, "
                                 f"<i>{status.phase.value}</i>{_load_text(cluster, service)}")
            self._sync_sliders()
            self._sync_example()
            try:
                self.figure = VIEWS[self.view.value](cluster, service)
                outputs.append(figure_bundle(self.figure, self.plot_dpi))
            except ValueError as error:          # e.g. no load model for the CPU plot
                outputs.append(_text(str(error)))
            self.table = pods_table(cluster, service)
            outputs.append(table_bundle(self.table))
            self.recent.value = self._recent_events(service)
        else:
            self.status.value = f"t = {cluster.now:g} s: no service yet; choose an example and Apply"
            self.recent.value = ""
        self.notice.value = (f"<span style='color:#a50f15'>{_escape(self.message)}</span>"
                             if self.message else "")
        self.output.outputs = tuple(outputs)

    # -- display -------------------------------------------------------------------------

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle = dict(bundle)
        bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        return f"ControlPanel(service={self.service!r}, t={self.cluster.now:g} s)"

    # -- internals -----------------------------------------------------------------------

    def _build(self, view: str) -> None:
        layout = widgets.Layout
        options = list(self.examples)
        self.example = widgets.Dropdown(options=options, value=options[0] if options else None,
                                        description="example", layout=layout(width="230px"))
        self.apply_button = widgets.Button(description="Apply", button_style="primary",
                                           tooltip="apply the chosen Service YAML")
        self.replicas = widgets.IntSlider(value=0, min=0, max=MAX_SLIDER_REPLICAS,
                                          description="replicas", continuous_update=False)
        self.load = widgets.IntSlider(value=0, min=0, max=MAX_SLIDER_CPU, step=5,
                                      description="load CPU %", continuous_update=False,
                                      disabled=not hasattr(self.cluster, "set_load"))
        self.kill_count = widgets.BoundedIntText(value=1, min=1, max=1000, description="pods",
                                                 layout=layout(width="130px"))
        self.kill_button = widgets.Button(description="Kill", button_style="danger",
                                          tooltip="chaos: delete random pods")
        self.send_count = widgets.BoundedIntText(value=100, min=1, max=100_000,
                                                 description="requests",
                                                 layout=layout(width="170px"))
        self.send_button = widgets.Button(description="Send", tooltip="route requests through "
                                          "the load balancer", disabled=not hasattr(self.cluster, "send"))
        self.run_buttons = {label: widgets.Button(description=label, layout=layout(width="auto"),
                                                  tooltip=f"run {seconds:g} simulated seconds")
                            for label, seconds in RUN_STEPS.items()}
        self.promote_button = widgets.Button(description="Promote",
                                             disabled=not hasattr(self.cluster, "promote"))
        self.undo_button = widgets.Button(description="Undo",
                                          disabled=not hasattr(self.cluster, "undo"))
        self.view = widgets.Dropdown(options=list(VIEWS), value=view, description="plot")
        self.status = widgets.HTML()
        self.notice = widgets.HTML()
        self.recent = widgets.HTML()
        self.output = widgets.Output()

        self.apply_button.on_click(lambda _b: self.apply())
        self.kill_button.on_click(lambda _b: self.kill())
        self.send_button.on_click(lambda _b: self.send())
        for label, button in self.run_buttons.items():
            button.on_click(lambda _b, s=RUN_STEPS[label]: self.run_for(s))
        self.promote_button.on_click(lambda _b: self.promote())
        self.undo_button.on_click(lambda _b: self.undo())
        self.replicas.observe(self._on_replicas, names="value")
        self.load.observe(self._on_load, names="value")
        self.view.observe(lambda _c: self.refresh(), names="value")

        box = widgets.HBox
        self.widget = widgets.VBox([
            box([self.example, self.apply_button, self.view]),
            box([self.replicas, self.load, self.send_count, self.send_button]),
            box([self.kill_count, self.kill_button, widgets.Label("run:"),
                 *self.run_buttons.values(), self.promote_button, self.undo_button]),
            self.status, self.notice, self.output, self.recent,
        ])

    def _on_replicas(self, change) -> None:
        if not self._syncing:
            self.scale(change["new"])

    def _on_load(self, change) -> None:
        if not self._syncing:
            self.set_load(change["new"])

    def _sync_sliders(self) -> None:
        """Show the cluster's numbers on the sliders without sending commands."""
        spec = self.cluster.service(self.service).spec
        self._syncing = True
        try:
            self.replicas.max = max(MAX_SLIDER_REPLICAS, spec.replicas)
            self.replicas.value = spec.replicas      # the autoscaler may have moved it
        finally:
            self._syncing = False

    def _sync_example(self) -> None:
        """Show the example that is running (None when it is none of them), each time what
        runs changes; a choice the user made since stays until then."""
        running = self.cluster.service(self.service).spec
        if running is not self._shown_spec:
            self._shown_spec = running
            self.example.value = running_example(running, self._example_specs())

    def _example_specs(self) -> dict[str, ServiceSpec]:
        if self._specs is None:
            self._specs = {}
            for name, path in self.examples.items():
                try:
                    workloads = [entry.object for entry in load_manifests(path).entries
                                 if isinstance(entry.object, ServiceSpec)]
                except (SpecError, OSError):
                    continue
                if len(workloads) == 1:
                    self._specs[name] = workloads[0]
        return self._specs

    def _applied(self, applied) -> None:
        """Follow the workload just applied (a manifest file may hold other objects too)."""
        specs = [applied] if isinstance(applied, ServiceSpec) else [
            obj for obj in applied if isinstance(obj, ServiceSpec)]
        if specs:
            self.service = specs[0].name

    def _need_service(self) -> str:
        if self.service is None:
            raise CommandError("service: none yet; choose an example and press Apply",
                               field="service")
        return self.service

    def _do(self, action: Callable[[], Any]) -> None:
        self.message = ""
        try:
            action()
        except (CommandError, SpecError, ValueError) as error:
            self.message = str(error)
        self.refresh()

    def _refused(self, message: str) -> None:
        self.message = message
        self.refresh()

    def _recent_events(self, service: str, count: int = 6) -> str:
        rows = [e for e in self.cluster.event_log.since(len(self.cluster.event_log) - 200)
                if e.service == service][-count:]
        items = "".join(
            f"<li><code>t={e.time:g}</code> <b>{_escape(e.reason.value)}</b> "
            f"{_escape(e.message)} <i style='color:#555'>{_escape(e.explain)}</i></li>"
            for e in rows)
        return f"<ul style='margin:0;font-size:90%'>{items}</ul>" if items else ""


def running_example(spec: ServiceSpec, examples: dict[str, ServiceSpec]) -> str | None:
    """The example whose spec is the running one (replicas may differ: the autoscaler or a
    scale command changes them), or None."""
    wanted = _without_replicas(spec)
    return next((name for name, example in examples.items()
                 if _without_replicas(example) == wanted), None)


def _without_replicas(spec: ServiceSpec) -> dict[str, Any]:
    """The spec without what the cluster changes by itself: replicas (scale, the HPA) and
    autoscale (an HPA object in the same file fills it in)."""
    doc = spec.to_dict()
    return {**doc, "spec": {k: v for k, v in doc["spec"].items()
                            if k not in ("replicas", "autoscale")}}


def _load_text(cluster: Cluster, service: str) -> str:
    """", load 270 rps, CPU 54 %" when the service has offered load."""
    traffic = getattr(cluster, "traffic", None)
    if traffic is None or not traffic.offered_rps(service):
        return ""
    return f", load {traffic.offered_rps(service):g} rps, CPU {traffic.cpu(service):.0f} %"


def _text(message: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": message + "\n"}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
