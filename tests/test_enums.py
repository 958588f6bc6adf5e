"""Every enum of t32sim prints as its value, and its names say the same as its values
(t32sim/enums.py): ``Reason.SUCCESSFUL_RESCALE`` is "SuccessfulRescale", so what a student
reads in code is what the event log and ``kubectl get events`` show."""
from __future__ import annotations

import enum
import importlib
import pkgutil
import re

import pytest

import t32sim


def t32sim_enums() -> list[type[enum.Enum]]:
    found: dict[str, type[enum.Enum]] = {}
    for info in pkgutil.walk_packages(t32sim.__path__, "t32sim."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.Enum) and len(value) \
                    and value.__module__.startswith("t32sim."):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def spelled(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


ENUMS = t32sim_enums()


def test_the_scan_finds_the_enums_students_meet():
    names = {kind.__name__ for kind in ENUMS}
    assert {"Reason", "Level", "Phase", "PodPhase", "ExitReason", "Strategy", "Decision"} <= names


@pytest.mark.parametrize("kind", ENUMS, ids=lambda kind: kind.__name__)
def test_each_name_spells_its_value_and_prints_as_it(kind):
    assert [m.name for m in kind if spelled(m.name) != spelled(str(m.value))] == []
    assert all(str(m) == m.value for m in kind if isinstance(m.value, str))
    assert list(kind.__members__) == [m.name for m in kind]     # no old name as an alias
