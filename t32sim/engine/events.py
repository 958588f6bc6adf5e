"""Events: every transition in the cluster is an Event that explains itself to a student."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterator

from t32sim.engine.columns import typed_frame
from t32sim.enums import StrEnum


class Level(StrEnum):
    """Kubernetes event types."""
    NORMAL = "Normal"
    WARNING = "Warning"


class Reason(StrEnum):
    """Why an event happened. Values are what students will see in ``kubectl get events``."""
    APPLIED = "Applied"
    UNCHANGED = "Unchanged"
    SCALED = "Scaled"
    NEW_REVISION = "NewRevision"
    SCALING_REPLICA_SET = "ScalingReplicaSet"
    SUCCESSFUL_CREATE = "SuccessfulCreate"
    SUCCESSFUL_DELETE = "SuccessfulDelete"
    SCHEDULED = "Scheduled"
    PULLING = "Pulling"
    PULLED = "Pulled"
    ERR_IMAGE_PULL = "ErrImagePull"
    IMAGE_PULL_BACKOFF = "ImagePullBackOff"
    STARTED = "Started"
    STARTUP_PROBE_SUCCEEDED = "StartupProbeSucceeded"
    STARTUP_PROBE_FAILED = "StartupProbeFailed"
    READY = "Ready"
    NOT_READY = "NotReady"
    UNHEALTHY = "Unhealthy"
    LIVENESS_PROBE_FAILED = "LivenessProbeFailed"
    CONTAINER_EXITED = "ContainerExited"
    BACK_OFF = "BackOff"
    KILLING = "Killing"
    DELETED = "Deleted"
    CHAOS_KILL = "ChaosKill"
    SERVICE_DOWN = "ServiceDown"
    SERVICE_UP = "ServiceUp"
    SERVICE_DEGRADED = "ServiceDegraded"
    SERVICE_SCALED_TO_ZERO = "ServiceScaledToZero"
    ALERT_HELD = "AlertHeld"
    ALERT_NOT_SENT = "AlertNotSent"
    ALERT_FIRING = "AlertFiring"
    ALERT_RESOLVED = "AlertResolved"
    ALERT_RULE_FAILED = "AlertRuleFailed"
    LOAD_SET = "LoadSet"
    ROLLING_UPDATE = "RollingUpdate"
    ROLLOUT_STARTED = "RolloutStarted"
    SET_WEIGHT = "SetWeight"
    ROLLOUT_PAUSED = "RolloutPaused"
    ROLLOUT_RESUMED = "RolloutResumed"
    ANALYSIS_PASSED = "AnalysisPassed"
    ANALYSIS_FAILED = "AnalysisFailed"
    ANALYSIS_INCONCLUSIVE = "AnalysisInconclusive"
    ROLLOUT_ABORTED = "RolloutAborted"
    ROLLOUT_COMPLETED = "RolloutCompleted"
    ACTIVE_SWITCHED = "ActiveSwitched"
    ROLLED_BACK_TO_STABLE = "RolledBackToStable"
    PROGRESS_DEADLINE_EXCEEDED = "ProgressDeadlineExceeded"
    PROMOTE_REQUESTED = "PromoteRequested"
    ROLLED_BACK = "RolledBack"
    SUCCESSFUL_RESCALE = "SuccessfulRescale"
    SCALE_DOWN_STABILIZED = "ScaleDownStabilized"
    FAILED_GET_RESOURCE_METRIC = "FailedGetResourceMetric"
    PROBE_BROKEN = "ProbeBroken"
    FAULT_INJECTED = "FaultInjected"
    HEALED = "Healed"
    NOT_SIMULATED = "NotSimulated"
    FAILED_GET_SCALE = "FailedGetScale"
    SERVICE_SELECTS = "ServiceSelects"
    NO_ENDPOINTS = "NoEndpoints"


#: One sentence per reason, for students. ``{...}`` fields come from the emitting code.
EXPLAIN: dict[Reason, str] = {
    Reason.APPLIED: "The desired state was stored; the controllers now work to make the cluster match it.",
    Reason.UNCHANGED: "The applied spec equals the stored one, so nothing needs to change.",
    Reason.SCALED: "The desired replica count changed; the ReplicaSet controller will add or remove pods to match.",
    Reason.NEW_REVISION: "The pod template changed, so a new revision (ReplicaSet) is created and old pods are replaced.",
    Reason.SCALING_REPLICA_SET: "The Deployment controller sets how many pods each revision should have.",
    Reason.SUCCESSFUL_CREATE: "The ReplicaSet had fewer pods than desired, so it created one.",
    Reason.SUCCESSFUL_DELETE: "The ReplicaSet had more pods than desired, so it removed the one ranked cheapest to lose ({why}).",
    Reason.SCHEDULED: "The scheduler placed the pod; the kubelet now prepares its container.",
    Reason.PULLING: "The kubelet downloads the container image before it can start the container.",
    Reason.PULLED: "The image is on the node, so the container can be created and started.",
    Reason.ERR_IMAGE_PULL: "The image could not be pulled (it does not exist in the registry), so the container cannot start.",
    Reason.IMAGE_PULL_BACKOFF: "The kubelet waits {delay:g} s before trying to pull again, doubling the wait each time up to 300 s.",
    Reason.STARTED: "The container process is running; probes decide when it may receive traffic.",
    Reason.STARTUP_PROBE_SUCCEEDED: "The startup probe passed, so the readiness and liveness probes now take over.",
    Reason.STARTUP_PROBE_FAILED: "The startup probe failed {failures} times in a row, so the kubelet kills the container and restarts it.",
    Reason.READY: "{cause}, so the pod joins the load balancer.",
    Reason.NOT_READY: "Readiness failed {failures} times in a row: the pod leaves the load balancer but is not restarted.",
    Reason.UNHEALTHY: "Readiness failed {failures} times in a row before the pod was ever ready: it gets no traffic, and readiness alone never restarts it.",
    Reason.LIVENESS_PROBE_FAILED: "Liveness failed {failures} times in a row, so the kubelet kills the container and restarts it; until it is ready again it gets no traffic.",
    Reason.CONTAINER_EXITED: "The container's process ended, so the pod gets no traffic; with restartPolicy Always the kubelet will start it again.",
    Reason.BACK_OFF: "The container keeps failing, so the kubelet waits {delay:g} s before the next restart (CrashLoopBackOff doubles this up to 300 s).",
    Reason.KILLING: "The pod is being deleted: it leaves the load balancer at once, its container gets SIGTERM and has up to {grace:g} s (terminationGracePeriodSeconds) to exit before it is killed.",
    Reason.DELETED: "The pod's container has stopped, so the pod is gone and the ReplicaSet counts it no more; the grace period is only an upper bound: a container that exits on SIGTERM is gone sooner, one that ignores it is killed when the grace period ends.",
    Reason.CHAOS_KILL: "Chaos deleted a pod on purpose; the ReplicaSet notices it is short and creates a replacement.",
    Reason.SERVICE_DOWN: "{why} for at least {confirm:g} s (the confirmation window), so the alert manager reports an outage.",
    Reason.SERVICE_DEGRADED: "Fewer pods are Ready than the rollout's budget allows (desired - maxUnavailable: Kubernetes' Available=False) for at least {confirm:g} s (the confirmation window); users are still served, by fewer pods.",
    Reason.SERVICE_UP: "{why} for at least {confirm:g} s (the confirmation window), so the alert manager reports the service up.",
    Reason.SERVICE_SCALED_TO_ZERO: "The service was scaled to zero replicas on purpose, so it is off, not down.",
    Reason.ALERT_HELD: "An alert of this kind went out less than {cooldown:g} s ago; the cooldown stops a flapping service from flooding your inbox.",
    Reason.ALERT_NOT_SENT: "The notifier could not deliver the alert; the cluster carries on and the event log still has it.",
    Reason.ALERT_FIRING: "The rule's condition held at every evaluation for {for_seconds:g} s (its 'for' window), so the alert fires: a symptom users feel, not a cause.",
    Reason.ALERT_RESOLVED: "The rule's condition no longer holds at an evaluation, so its alert is resolved.",
    Reason.ALERT_RULE_FAILED: "The rule's condition raised an exception; it counts as not holding, and the cluster carries on.",
    Reason.LOAD_SET: "Offered load is spread over the serving pods (Ready, and in a backend that gets traffic): each pod's CPU is its share of the {rps:g} requests per second divided by its capacity, now {cpu:.0f} % on average.",
    Reason.ROLLING_UPDATE: "A rolling update never runs more than {most} pods nor lets fewer than {least} be available: it adds new pods within the surge and removes old ones as new ones become available.",
    Reason.ROLLOUT_STARTED: "A new pod template starts a rollout: the strategy decides how the new revision takes over from the one serving now.",
    Reason.SET_WEIGHT: "Once the canary's pods are available the load balancer sends {weight} % of requests to them and the rest to the stable revision.",
    Reason.ROLLOUT_PAUSED: "The rollout waits {how} before its next step, so you can watch the new version under real traffic.",
    Reason.ROLLOUT_RESUMED: "The pause is over (its time ran out or someone promoted), so the rollout moves to its next step.",
    Reason.ANALYSIS_PASSED: "The canary answered {rate:.1%} of its requests with errors, within the allowed {max:.1%}, so the rollout may go on.",
    Reason.ANALYSIS_FAILED: "The canary broke the analysis rule (too many errors, or pods that do not become Ready); as in Argo Rollouts, once the failed runs exceed failureLimit ({limit}) the rollout is aborted.",
    Reason.ANALYSIS_INCONCLUSIVE: "No request reached the canary, so the analysis has nothing to measure; offer load or send requests so it can judge.",
    Reason.ROLLOUT_ABORTED: "An abort sends all traffic back to the stable revision at once and removes the canary's pods after {delay:g} s; the service stays Degraded until you apply a fix or undo.",
    Reason.ROLLOUT_COMPLETED: "The new revision takes all traffic and becomes stable; the old one keeps its pods {delay:g} s longer as a quick way back.",
    Reason.ACTIVE_SWITCHED: "Blue/green moves all traffic at once and only when every new pod is available, so users never meet a half-started version; the old pods stay {delay:g} s as a quick way back.",
    Reason.ROLLED_BACK_TO_STABLE: "The desired template is the stable one again, so the {strategy} rollout skips its steps and removes the unfinished new revision.",
    Reason.PROGRESS_DEADLINE_EXCEEDED: "No new pod became available for {deadline:g} s (progressDeadlineSeconds), so the rollout is Degraded while the old revision keeps serving.",
    Reason.PROMOTE_REQUESTED: "Someone promoted the rollout by hand: the current pause or step is skipped, and a blue/green preview is switched to as soon as it is ready.",
    Reason.ROLLED_BACK: "Undo copies revision {revision}'s pod template back into the spec, and the service's own strategy rolls it out like any new version.",
    Reason.SUCCESSFUL_RESCALE: "The HorizontalPodAutoscaler aims for ceil(pods × CPU / target) replicas within its min, max and rate limits, and acts only when CPU is more than {tolerance:.0%} away from the target.",
    Reason.SCALE_DOWN_STABILIZED: "To avoid flapping, the autoscaler scales down only to the highest replica count it recommended during the last {window:g} s (the stabilisation window).",
    Reason.FAILED_GET_RESOURCE_METRIC: "The autoscaler needs CPU samples of Ready pods; pods still starting, or Ready for less than {window:g} s, are left out, so it cannot decide yet.",
    Reason.PROBE_BROKEN: "Chaos made the {kind} probe fail on purpose: failing readiness takes pods out of the load balancer, failing liveness gets them restarted.",
    Reason.FAULT_INJECTED: "Chaos makes the pods answer worse on purpose (more errors, more latency); watch who notices: the canary analysis, the alerts, the users.",
    Reason.HEALED: "The injected faults are gone; probes pass at their next run and the pods recover without anyone restarting them.",
    Reason.NOT_SIMULATED: "t32sim accepts this as Kubernetes does but does not simulate it; everything else in the manifest works as written.",
    Reason.FAILED_GET_SCALE: "A HorizontalPodAutoscaler may be applied before its target: it starts scaling {target} as soon as that workload exists.",
    Reason.SERVICE_SELECTS: "A Service is the load balancer in front of every Ready pod whose labels match its selector; it has no pods of its own.",
    Reason.NO_ENDPOINTS: "No pod carries every label of the Service's selector ({selector}), so requests through it find no endpoint: compare it with spec.template.metadata.labels.",
}


@dataclass(frozen=True)
class Event:
    seq: int
    time: float
    level: Level
    service: str
    pod: str
    reason: Reason
    message: str
    explain: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["level"] = self.level.value
        d["reason"] = self.reason.value
        return d


COLUMNS = ["seq", "time", "level", "service", "pod", "reason", "message", "explain"]


class EventLog:
    """An append-only list of events, numbered from 0."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        #: the same events column by column (level and reason as their values), for frame()
        self._columns: dict[str, list] = {name: [] for name in COLUMNS}
        self._appends = [self._columns[name].append for name in COLUMNS]

    def emit(self, time: float, reason: Reason, service: str, message: str, *,
             pod: str = "", level: Level = Level.NORMAL, **facts: Any) -> Event:
        """Record an event; ``facts`` fill the reason's explanation template."""
        event = Event(len(self._events), time, level, service, pod, reason, message,
                      EXPLAIN[reason].format(**facts))
        self._events.append(event)
        for append, value in zip(self._appends, (event.seq, time, level.value, service, pod,
                                                 reason.value, message, event.explain)):
            append(value)
        return event

    def since(self, seq: int) -> list[Event]:
        """Events numbered ``seq`` and later."""
        return self._events[max(seq, 0):]

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __getitem__(self, index):
        return self._events[index]

    def frame(self):
        """The events as a pandas DataFrame with typed columns, built column by column."""
        return typed_frame(self._columns, COLUMNS, {"seq": "int64", "time": "float64"})

