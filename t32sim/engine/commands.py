"""Commands: what a user asked the cluster to do, journaled so it can be replayed exactly."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


class CommandError(ValueError):
    """A command that cannot be carried out; nothing was changed.

    ``field`` names the argument at fault; ``not_found`` is True for an unknown service.
    """

    def __init__(self, message: str, *, field: str | None = None, not_found: bool = False):
        super().__init__(message)
        self.field = field
        self.not_found = not_found


@dataclass(frozen=True)
class Command:
    """One journaled command: at simulated ``time``, ``actor`` asked for ``verb(**args)``."""
    time: float
    actor: str
    verb: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, "actor": self.actor, "verb": self.verb, "args": dict(self.args)}

    @classmethod
    def from_any(cls, command: "Command | Mapping[str, Any]") -> "Command":
        """A Command from itself or from its dict form; bad shapes raise CommandError."""
        if isinstance(command, Command):
            return command
        if not isinstance(command, Mapping):
            raise CommandError(f"expected a command mapping, got {type(command).__name__}",
                               field="command")
        try:
            time = float(command.get("time", 0.0))
        except (TypeError, ValueError):
            raise CommandError(f"command time: expected a number, got {command.get('time')!r}",
                               field="time") from None
        verb, args = command.get("verb"), command.get("args", {})
        if not isinstance(verb, str):
            raise CommandError(f"command verb: expected a string, got {verb!r}", field="verb")
        if not isinstance(args, Mapping):
            raise CommandError(f"command args: expected a mapping, got {args!r}", field="args")
        return cls(time, str(command.get("actor", "user")), verb, dict(args))


@dataclass(frozen=True)
class Checked:
    """A command that passed its check (``Cluster.check``): the journal ``entry`` it becomes
    at ``position`` (``replaces``: the last entry, coalesced) and the ``action`` that
    carries it out (``Cluster.commit``). What a live server writes ahead is ``entry``."""
    entry: Command
    position: int
    replaces: bool
    action: Callable[[], Any] = field(repr=False, compare=False)


#: Verbs whose consecutive calls are journaled as one entry with the counts added up:
#: ``select``/``request`` with ``count=a`` then ``count=b`` do exactly what one call with
#: ``count=a+b`` does (the same picks and the same draws from ``cluster.rng``, in order).
#: ``send`` is not one of them: a batch draws per pod, so two batches are not one.
COALESCING_VERBS = frozenset({"select", "request"})
#: a coalesced entry's count stays within what the command accepts when it is replayed
#: (``t32sim.engine.requests.MAX_BATCH``)
MAX_COALESCED_COUNT = 10_000_000


def coalesce(last: Command | None, new: Command) -> Command | None:
    """The one journal entry that stands for ``last`` followed by ``new``, or None when they
    must stay two entries.

    They coalesce when the verb is a traffic command (``COALESCING_VERBS``) and verb, actor,
    simulated time and every argument but ``count`` are the same; the result is ``last``
    with the two counts added (at most ``MAX_COALESCED_COUNT``).
    """
    if (last is None or new.verb not in COALESCING_VERBS or last.verb != new.verb
            or last.actor != new.actor or last.time != new.time):
        return None
    before, after = last.args.get("count"), new.args.get("count")
    if not (_is_count(before) and _is_count(after)) or before + after > MAX_COALESCED_COUNT:
        return None
    if len(last.args) != len(new.args) or any(
            key != "count" and new.args.get(key, _MISSING) != value
            for key, value in last.args.items()):
        return None
    return Command(last.time, last.actor, last.verb, {**last.args, "count": before + after})


_MISSING = object()


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def service_state(store: Any, service: Any) -> Any:
    """The stored state of ``service`` or a CommandError (404) naming the known ones."""
    if not isinstance(service, str) or service not in store.services:
        known = ", ".join(store.services) or "none yet"
        raise CommandError(f"service: no service named {service!r} (known: {known})",
                           field="service", not_found=True)
    return store.services[service]


def time_arg(name: str, value: Any) -> float:
    """``value`` as a finite number of simulated seconds or a CommandError naming ``name``
    (NaN would journal a run that never ends, infinity would run forever)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise CommandError(f"{name}: expected a finite number of seconds, got {value!r}",
                           field=name)
    return float(value)


def int_arg(name: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int in ``low..high`` or a CommandError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise CommandError(f"{name}: expected an integer {low}..{high}, got {value!r}", field=name)
    try:
        number = int(value)
    except ValueError:
        raise CommandError(f"{name}: expected an integer {low}..{high}, got {value!r}",
                           field=name) from None
    if not low <= number <= high:
        raise CommandError(f"{name}: expected an integer {low}..{high}, got {number}", field=name)
    return number
