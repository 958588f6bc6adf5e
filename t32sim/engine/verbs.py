"""The verbs: one table from each command's name to its check.

A check turns a command's arguments into a journal entry and the action that carries it
out, and changes nothing: it raises ``CommandError`` naming the field at fault, or returns
``(journal_args, action)``: the arguments as the journal keeps them (normalised, e.g. an
applied source as its documents) and a function that applies the command. The Cluster
journals the entry, then calls the action. ``run`` is not a verb of the table: it moves the
clock, which only the Cluster does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from t32sim.engine import applying, chaos, load, requests
from t32sim.engine.commands import CommandError
from t32sim.engine.controllers import Controllers

Action = Callable[[], Any]
Check = Callable[..., "tuple[dict[str, Any], Action]"]


@dataclass(frozen=True)
class Verb:
    """``check(controllers, **args)``; ``by_service``: a Kubernetes Service's name in
    ``service`` stands for the one workload it selects (traffic commands)."""
    check: Check
    by_service: bool = False


VERBS: Mapping[str, Verb] = {
    "apply": Verb(applying.check_apply),
    "scale": Verb(applying.check_scale),
    "set_load": Verb(load.check_set_load, by_service=True),
    "request": Verb(requests.check_request, by_service=True),
    "send": Verb(requests.check_send, by_service=True),
    "select": Verb(requests.check_select, by_service=True),
    "promote": Verb(lambda c, **args: c.rollouts.check_promote(**args)),
    "undo": Verb(lambda c, **args: c.rollouts.check_undo(**args)),
    "kill": Verb(chaos.check_kill),
    "break_probe": Verb(chaos.check_break_probe),
    "inject": Verb(chaos.check_inject),
    "heal": Verb(chaos.check_heal),
    "configure_alerts": Verb(lambda c, **args: c.alerts.check_configure(**args)),
    "add_alert_rule": Verb(lambda c, **args: c.alerts.check_add_rule(**args)),
}


def check(controllers: Controllers, verb: str, args: Mapping[str, Any]
          ) -> tuple[dict[str, Any], Action]:
    """Check ``verb(**args)``: its journal arguments and its action, or a CommandError."""
    entry = VERBS.get(verb) if isinstance(verb, str) else None
    if entry is None:
        raise CommandError(f"verb: unknown command {verb!r} (expected one of "
                           f"{', '.join(VERBS)} or run)", field="verb")
    if entry.by_service:
        args = applying.through_service(controllers.ctx.store, dict(args))
    try:
        return entry.check(controllers, **args)
    except TypeError as error:
        raise CommandError(f"{verb}: {error}", field="args") from None
