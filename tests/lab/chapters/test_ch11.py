"""Chapter 11's worked and wrong answers, and its tables held against the library."""
from __future__ import annotations

import subprocess
import sys

from t32sim.lab.chapters.ch11 import COMMANDS, KUBECTL, VERB_OF

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 4
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          readinessProbe:
            httpGet:
              path: /healthz
              port: 80
            periodSeconds: 5
          resources:
            requests:
              cpu: 250m
"""

RIGHT = {
    "11.1": DEPLOYMENT,
    "11.2": {100: 2, 305: 7, 600: 10},
    "11.3": {"a": "promote", "b": "scale", "c": "kill", "d": "undo", "e": "apply"},
    "11.q1": "b", "11.q2": "b", "11.q3": "b", "11.q4": "b",
}
WRONG = {
    "11.1": [DEPLOYMENT.replace("app: web\n  template", "app: nginx\n  template"),  # selector
             DEPLOYMENT.replace("replicas: 4", "replicas: 3"),
             DEPLOYMENT.replace("cpu: 250m", "cpu: 250"),
             DEPLOYMENT.replace("            periodSeconds: 5\n", ""),
             DEPLOYMENT.replace("readinessProbe", "readynessProbe"),
             "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {image: nginx:1.27}\n"],
    "11.2": [{100: 2, 305: 7, 600: 12}, {100: 1, 305: 7, 600: 10}, {100: 2, 305: 6, 600: 10},
             {100: 2, 305: 7}],
    "11.3": [{"a": "promote", "b": "scale", "c": "undo", "d": "kill", "e": "apply"},
             {"a": "apply", "b": "scale", "c": "kill", "d": "undo", "e": "promote"}],
    "11.q1": ["a", "c", "d"], "11.q2": ["a", "c", "d"], "11.q3": ["a", "c", "d"],
    "11.q4": ["a", "c", "d"],
}


def test_the_commands_of_11_3_are_the_chapter_table_s_commands():
    verbs: dict[str, str] = {}
    for row, command in KUBECTL.items():          # a verb's first row is its plain use
        verbs.setdefault(row.split("(")[0].removeprefix("c."), command)
    for letter, command in COMMANDS.items():
        template = verbs[VERB_OF[letter]].split(" (")[0]
        assert command.split()[:3] == template.replace("NAME", "web").split()[:3], letter


def test_every_cluster_verb_has_a_kubectl_row():
    import t32sim as t3

    verbs = {row.split("(")[0].removeprefix("c.") for row in KUBECTL}
    assert {"apply", "pods", "events", "scale", "kill", "set_load", "promote", "undo",
            "service", "snapshot"} == verbs
    assert all(callable(getattr(t3.Cluster, v, None)) or isinstance(
        getattr(t3.Cluster, v, None), property) for v in verbs)


def test_the_worked_deployment_is_valid_kubernetes():
    script = ("import sys, yaml, kubernetes_validate as kv; "
              "kv.validate(yaml.safe_load(sys.stdin.read()), '1.33', strict=True)")
    subprocess.run([sys.executable, "-c", script], input=DEPLOYMENT, text=True, check=True)
