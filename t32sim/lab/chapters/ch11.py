"""Chapter 11 · to a real cluster: exercises and quiz.

The checks ask the library itself: a manifest a student writes is read by
``t32sim.spec.load_manifests`` (the importer ``c.apply`` uses), a prediction of the
autoscaler is compared with a fresh simulation of the HPA walkthrough, and the kubectl
table is the one the chapter prints.
"""
from __future__ import annotations

from typing import Any, Mapping

from t32sim.lab.chapters._compare import compare_predictions
from t32sim.lab.exercise import choice, exercise, right, wrong

#: every t32sim verb and the command that does the same on a real cluster
KUBECTL: dict[str, str] = {
    "c.apply(path)": "kubectl apply -f FILE",
    "c.apply(path) with a new image": "kubectl set image deployment/NAME CONTAINER=IMAGE "
                                      "(Rollout: kubectl argo rollouts set image NAME "
                                      "CONTAINER=IMAGE)",
    "c.pods(name)": "kubectl get pods -l app=NAME (the labels its selector matches)",
    "c.events": "kubectl get events --sort-by=.lastTimestamp",
    "c.scale(name, replicas=5)": "kubectl scale deployment/NAME --replicas=5 (Rollout: "
                                 "kubectl scale rollout/NAME --replicas=5)",
    "c.kill(name, count=1)": "kubectl delete pod POD",
    "c.set_load(name, cpu=80)": "a load generator: kubectl run -it load --image=busybox -- "
                                "sh -c 'while true; do wget -q -O- http://NAME; done'",
    "c.promote(name)": "kubectl argo rollouts promote NAME",
    "c.promote(name, full=True)": "kubectl argo rollouts promote NAME --full",
    "c.undo(name)": "kubectl rollout undo deployment/NAME (Rollout: kubectl argo rollouts "
                    "undo NAME)",
    "c.service(name).status": "kubectl rollout status deployment/NAME (Rollout: kubectl "
                              "argo rollouts get rollout NAME)",
    "c.snapshot() (its autoscaler)": "kubectl get hpa NAME (kubectl describe hpa NAME for "
                                     "its SuccessfulRescale events)",
}

#: 11.3: which t32sim call each real command stands for (letter -> command)
COMMANDS = {
    "a": "kubectl argo rollouts promote web",
    "b": "kubectl scale deployment/web --replicas=5",
    "c": "kubectl delete pod web-7d9c5b6f4-x2k8p",
    "d": "kubectl rollout undo deployment/web",
    "e": "kubectl apply -f web.yaml",
}
VERB_OF = {"a": "promote", "b": "scale", "c": "kill", "d": "undo", "e": "apply"}


@exercise("11.1", "Write a Deployment manifest (YAML text) named web: 4 replicas of "
                  "nginx:1.27 labelled app: web, a readiness probe GET /healthz on port "
                  "80 every 5 s, and a CPU request of 250m.", accepts=str)
def write_a_deployment(answer: str) -> Any:
    from t32sim.spec import SpecError, load_manifests

    try:
        manifests = load_manifests(answer)
    except SpecError as error:
        first = error.errors[0]
        return wrong(f"the importer refuses it: {first[0] or 'document'}: {first[1]}")
    workloads = manifests.workloads
    if len(workloads) != 1 or not any(e.manifest for e in manifests.entries):
        return wrong("write one apps/v1 Deployment with a pod template (spec.template).")
    spec = workloads[0]
    probe = spec.readiness_probe
    problems = [what for what, ok in [
        ("the name", spec.name == "web"), ("the replicas", spec.replicas == 4),
        ("the image", spec.image == "nginx:1.27"), ("the labels", dict(spec.labels).get("app")
                                                    == "web"),
        ("the readiness probe", probe is not None and probe.path == "/healthz"
         and probe.port == 80 and probe.period_seconds == 5),
        ("the CPU request", spec.cpu_request_milli == 250)] if not ok]
    if problems:
        return wrong(f"it is a valid Deployment, but check {', '.join(problems)}.")
    return right("a Deployment the API server and t32sim both accept: the selector matches "
                 "the template's labels, and the probe and the request are where a "
                 "container keeps them.")


#: 11.2: offered load (CPU % of the 200m request, as the HPA measures it) -> replicas
LOADS = (100, 305, 600)


def replicas_after_load(cpu: float, seconds: float = 240, seed: int = 11) -> int:
    """The HPA walkthrough (examples/php-apache.yaml): ``set_load(cpu)`` at t=30 s, the
    desired replicas ``seconds`` later."""
    import t32sim as t3
    from t32sim.lab.display import find_examples

    c = t3.Cluster(seed=seed)
    c.apply(find_examples()["php-apache"])
    c.run(until=30)
    c.set_load("php-apache", cpu=cpu)
    c.run_for(seconds)
    return c.service("php-apache").status.desired


@exercise("11.2", "The HPA walkthrough keeps CPU at 50 % of a 200m request, 1..10 pods. "
                  "Predict the replicas 4 minutes after set_load(cpu=N) for N = 100, 305 and "
                  "600 (a dict N -> replicas).", accepts=dict)
def predict_the_hpa(answer: Mapping[Any, Any]) -> Any:
    return compare_predictions(
        answer, {load: replicas_after_load(load) for load in LOADS},
        hint="the HPA wants ceil(pods × CPU / target) replicas, within min and max; "
             "the load stays the same while pods are added.",
        praise="ceil(1 × 100/50) = 2, ceil(1 × 305/50) = 7 as in the docs' walkthrough, "
               "and 600 % would want 12 but maxReplicas stops it at 10.")


@exercise("11.3", "Which t32sim call does each real command a-e stand for? (a dict letter "
                  "-> one of 'apply', 'scale', 'kill', 'promote', 'undo')", accepts=dict)
def match_the_commands(answer: Mapping[str, Any]) -> Any:
    return compare_predictions(
        answer, VERB_OF, hint="read the verb after kubectl: apply, scale, delete, rollout "
                              "undo, and the Argo plugin's own verbs.",
        praise="each t32sim verb has its kubectl twin; the chapter's table has them all.")


choice("11.q1", "A real HorizontalPodAutoscaler targets CPU utilisation, but the pods "
                "have no resources.requests.cpu. What happens?",
       {"a": "it scales on the share of the node's CPU",
        "b": "it cannot compute a utilisation (missing request for cpu) and does not scale",
        "c": "it assumes 100m per pod",
        "d": "it scales straight to maxReplicas"}, "b",
       because="utilisation is usage divided by the request: without a request there is "
               "nothing to divide by. t32sim takes 1000m so its own format keeps working; "
               "its export writes the request out.",
       feedback={"a": "utilisation is not measured against the node.",
                 "c": "Kubernetes invents no request.",
                 "d": "the HPA needs a number before it scales anywhere."})
choice("11.q2", "A Service selects app: web, but the Deployment's pods are labelled "
                "app: nginx. What happens to requests sent to the Service?",
       {"a": "kubectl apply refuses the Service",
        "b": "the Service has no endpoints, so requests through it fail",
        "c": "the Service sends them to every pod in the namespace",
        "d": "Kubernetes relabels the pods"}, "b",
       because="a Service only finds pods by label; t32sim warns NoEndpoints and names the "
               "labels it looked for.",
       feedback={"a": "the Service is valid on its own: selecting nothing is not an error.",
                 "c": "an empty match selects nothing, not everything.",
                 "d": "nothing ever changes a pod's labels for a Service."})
choice("11.q3", "Which command lets a paused Argo Rollouts canary (pause: {}) go on?",
       {"a": "kubectl rollout resume deployment/web",
        "b": "kubectl argo rollouts promote web",
        "c": "kubectl scale rollout/web --replicas=5",
        "d": "kubectl apply -f web.yaml again"}, "b",
       because="promote is the Argo plugin's verb for c.promote: it skips the pause.",
       feedback={"a": "that resumes a paused Deployment, not an Argo Rollout.",
                 "c": "scaling changes the replicas, not the step.",
                 "d": "the same manifest again changes nothing."})
choice("11.q4", "Why does t32sim export put the annotation t32sim/image on the pod "
                "template?",
       {"a": "Kubernetes needs it to pull the image",
        "b": "so that applying the export to t32sim again simulates the same demo image",
        "c": "it pins the image's digest",
        "d": "it tells the scheduler which node to use"}, "b",
       because="the real cluster ignores the annotation; t32sim reads it back, so an "
               "exported local://demo@crash still crashes in the simulation.",
       feedback={"a": "the image field alone is what the kubelet pulls.",
                 "c": "a digest is written image@sha256:..., not in an annotation.",
                 "d": "scheduling uses nodeSelector and affinity, not annotations."})
