"""Commands: what a user asked the cluster to do, journaled so it can be replayed exactly."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


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
