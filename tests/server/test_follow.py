"""StateFollower: the live server reads again only what the store says changed, and sends
exactly the updates the whole-snapshot diff sent."""
from __future__ import annotations

import json

import pytest

from t32sim.engine import Cluster, Command, Pod
from t32sim.server.broadcast import Hub
from t32sim.server.delta import diff
from t32sim.server.follow import StateFollower
from t32sim.server.journal import CommandJournal
from t32sim.server.live import LiveCluster, offered_by_template, routed_by_template
from t32sim.server.pacer import Pacer
from t32sim.server.samples import TAIL, Samples

SEED = 11
SPEED = 2.0            # a 0.5 s tick of the fake clock is one simulated second


def probe(path: str) -> dict:
    return {"httpGet": {"path": path}, "initialDelaySeconds": 1, "periodSeconds": 2}


def service(name: str, image: str = "local://demo@v1", replicas: int = 3, **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"image": image, "replicas": replicas, "readinessProbe": probe("/healthz"),
                     "livenessProbe": probe("/livez"), **spec}}


WEB = dict(minReadySeconds=3, progressDeadlineSeconds=20,
           rollout={"strategy": "RollingUpdate", "maxSurge": 1, "maxUnavailable": 0})
SHOP = dict(rollout={"strategy": "Canary",
                     "steps": [{"setWeight": 25}, {"pause": {"duration": 4}},
                               {"setWeight": 50}, {"pause": {}}]})
BLUE = dict(rollout={"strategy": "BlueGreen", "autoPromotionEnabled": False})
HPA = dict(autoscale={"targetCPU": 50, "min": 2, "max": 6})
MANIFESTS = """\
apiVersion: v1
kind: Service
metadata: {name: front}
spec: {selector: {app: web}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 8
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
"""


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class FullDiff:
    """The publish this replaced: the whole snapshot each tick, diffed against the last."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.samples = Samples()
        self.state = self.full()

    def full(self) -> dict:
        snapshot = self.cluster.snapshot()
        self.samples.record(snapshot, offered_by_template(self.cluster),
                            routed_by_template(self.cluster))
        return {**snapshot, "samples": self.samples.tail(TAIL)}

    def tick(self) -> dict:
        new = self.full()
        delta = diff(self.state, new)
        self.state = new
        return delta


class Twins:
    """A live server and a plain cluster with the same seed, given the same commands."""

    def __init__(self):
        self.clock = FakeClock()
        self.live = LiveCluster(Cluster(SEED), CommandJournal(None),
                                Pacer(self.clock, 0.0, SPEED, False), Hub(), self.clock)
        self.ref = FullDiff(Cluster(SEED))
        self.ticks = self.updates = 0

    def command(self, verb: str, **args):
        self.live.command(verb, args, actor="t", source="test")
        self.ref.cluster.execute(Command(self.ref.cluster.now, "t", verb, args))

    def apply(self, doc):
        self.command("apply", spec=doc)

    def tick(self, count: int = 1, seconds: float = 0.5) -> None:
        for _ in range(count):
            self.clock.now += seconds
            self.live.advance()
            self.publish()

    def publish(self) -> None:
        """Publish on both sides (without moving time, as GET /events does) and compare."""
        live, ref = self.live, self.ref
        if live.cluster.now > ref.cluster.now:
            ref.cluster.run(until=live.cluster.now, actor="pacer")
        seq = live.hub.seq
        live.publish()
        expected = ref.tick()
        self.ticks += 1
        at = f"t={live.cluster.now}"
        if live.hub.seq == seq:
            assert expected == {}, at
        else:
            sent = json.loads(live.hub.history[-1].data)
            # the same patches, in the same order: the same bytes on the wire
            assert json.dumps(sent["delta"]) == json.dumps(expected), at
            self.updates += bool(expected)
        assert live.hub.state == ref.state, at
        assert list(live.hub.state) == list(ref.state), at


def test_following_changes_sends_what_the_whole_snapshot_diff_sent():
    twins = Twins()
    twins.apply(service("web", **WEB))
    twins.apply(service("shop", replicas=4, **SHOP))
    twins.apply(service("blue", replicas=2, **BLUE))
    twins.apply(service("hpa", replicas=2, **HPA))
    twins.apply(service("idle", replicas=0))
    twins.tick(15)
    twins.command("set_load", service="hpa", cpu=90)        # the HPA scales up at its syncs
    twins.command("set_load", service="shop", rps=120)      # no autoscaler: only CPU moves
    twins.command("kill", service="web", count=2)
    twins.tick(20)
    twins.command("scale", service="web", replicas=5)
    twins.apply(service("web", image="local://demo@v2", replicas=5, **WEB))  # rolling
    twins.apply(service("shop", image="local://demo@v2", replicas=4, **SHOP))  # canary
    twins.apply(service("blue", image="local://demo@v2", replicas=2, **BLUE))
    twins.tick(20)
    twins.command("promote", service="shop")
    twins.command("promote", service="blue")
    twins.tick(25)
    twins.command("undo", service="web")
    twins.tick(5)
    twins.command("break_probe", target="web", kind="readiness")
    twins.command("inject", service="shop", error_rate=0.5, latency=0.2)
    twins.tick(15)
    twins.command("heal")
    twins.apply(service("bad", image="local://nope@v9", replicas=2,
                        progressDeadlineSeconds=6))                 # Degraded by time alone
    twins.tick(2)
    twins.command("set_load", service="idle", rps=50)       # no pod serves: CPU stays 0
    twins.tick(25)
    twins.apply(MANIFESTS)                                          # selectors, autoscalers
    twins.command("set_load", service="web", cpu=95)
    twins.tick(35)
    # paused: commands change the spec now, their syncs run when time flows again
    twins.live.pause()
    twins.publish()
    twins.command("scale", service="blue", replicas=0)
    twins.publish()                                                 # as GET /events does
    twins.apply(service("blue", image="local://demo@v3", replicas=0, **BLUE))
    twins.command("kill", service="shop", count=1)
    twins.apply(service("idle", image="local://demo@v2", replicas=0))   # a pod-less revision
    twins.tick(3)                                                   # ticks, no time
    twins.live.resume()
    twins.tick(10)
    twins.command("scale", service="blue", replicas=2)
    twins.live.run_for(40)                                          # a jump
    twins.tick(30)
    assert twins.ticks > 200 and twins.updates > 150


def test_a_tick_where_only_time_moves_reads_no_service_and_no_pod(monkeypatch):
    clock = FakeClock()
    live = LiveCluster(Cluster(SEED), CommandJournal(None), Pacer(clock, 0.0, SPEED, False),
                       Hub(), clock)

    def tick(count=1):
        for _ in range(count):
            clock.now += 0.5
            live.step()

    live.command("apply", {"spec": service("web", replicas=4, **WEB)}, actor="t", source="s")
    live.command("apply", {"spec": service("shop", replicas=3)}, actor="t", source="s")
    tick(30)
    assert {s["status"]["phase"] for s in live.hub.state["services"].values()} == {"Healthy"}
    reads = []
    record, to_dict = live.cluster.service_record, Pod.to_dict
    monkeypatch.setattr(live.cluster, "service_record",
                        lambda name: reads.append(name) or record(name))
    monkeypatch.setattr(Pod, "to_dict", lambda pod: reads.append(pod.name) or to_dict(pod))
    before, seq = live.hub.state, live.hub.seq
    tick(5)
    after = live.hub.state
    assert reads == []
    assert live.hub.seq == seq + 5 and after["time"] == before["time"] + 5
    assert all(after["services"][name] is before["services"][name] for name in ("web", "shop"))
    assert all(new is old for new, old in zip(after["pods"], before["pods"], strict=True))
    # one service changes: only it is read again, and only its pods
    live.command("kill", {"service": "shop", "count": 1}, actor="t", source="s")
    tick()
    assert "web" not in reads and "shop" in reads
    assert {name.rsplit("-", 2)[0] for name in reads} == {"shop"}
    assert live.hub.state["services"]["web"] is before["services"]["web"]


@pytest.mark.parametrize("seconds", [0.5, 7.5])
def test_a_new_subscriber_gets_the_whole_current_state(seconds):
    twins = Twins()
    twins.apply(service("web", replicas=3, **WEB))
    twins.tick(6, seconds)
    twins.command("kill", service="web", count=1)
    twins.tick(2, seconds)
    snapshot = json.loads(twins.live.hub.snapshot_message().data)
    assert snapshot["state"] == json.loads(json.dumps(twins.ref.full()))


def test_a_pod_name_used_again_at_once_is_diffed_as_before():
    cluster = Cluster(SEED)
    cluster.apply(service("web", replicas=2))
    cluster.run(until=10)
    follower = StateFollower(cluster)
    old = {**follower.rebuild(), "pods": list(follower.rebuild()["pods"])}
    pod = cluster.store.pods_of("web")[0]
    store = cluster.store
    store.remove_pod(pod)                               # gone, and a new pod of that name
    again = type(pod)(pod.name, pod.service, pod.revision, pod.version, pod.template_hash,
                      cluster.now)
    store.add_pod(again)
    new, known = follower.update()
    assert known == {}                                  # the whole list is diffed
    assert [p["name"] for p in new["pods"]] == [p.name for p in store.pods.values()]
    assert diff(old, new)["patch"]["pods"]["order"][-1] == pod.name


def follow(cluster: Cluster) -> tuple[StateFollower, list]:
    """A follower and a check: its state is the snapshot, its patches the whole diff's."""
    follower = StateFollower(cluster)
    last = [follower.rebuild(), cluster.snapshot()]

    def check() -> dict:
        new, known = follower.update()
        full = cluster.snapshot()
        assert new == full and list(new) == list(full)
        delta = diff(last[0], new, known)
        assert json.dumps(delta) == json.dumps(diff(last[1], full))
        last[:] = [new, full]
        return delta

    return follower, check


def web_and_shop():
    """Two services of two Ready pods each, followed from 10 s on."""
    cluster = Cluster(SEED)
    cluster.apply(service("web", replicas=2))
    cluster.apply(service("shop", replicas=2))
    cluster.run(until=10)
    return (cluster, *follow(cluster))


def test_a_service_gone_from_the_store_is_deleted_with_its_pods():
    cluster, follower, check = web_and_shop()
    store = cluster.store
    for pod in store.pods_of("web"):
        store.remove_pod(pod)
    del store.services["web"]
    delta = check()
    assert delta["patch"]["services"] == {"kind": "map", "del": ["web"]}
    assert len(delta["patch"]["pods"]["del"]) == 2
    cluster.apply(service("web", replicas=1))
    cluster.run(until=12)
    assert list(check()["patch"]["services"]["set"]) == ["web"]


def test_a_pod_the_store_did_not_tell_about_makes_every_pod_read_again():
    cluster, follower, check = web_and_shop()
    store = cluster.store
    told = store.changed
    store.changed = lambda name: None                   # a watch that missed one change
    store.add_pod(type(store.pods_of("web")[0])("web-stray", "web", 1, "v1", "x", cluster.now))
    store.changed = told
    cluster.kill("shop", count=1)                       # something it is told about
    assert check()["patch"]["pods"]["append"][0]["name"] == "web-stray"
    check()
