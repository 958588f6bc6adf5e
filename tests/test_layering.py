"""The pure layers (spec, engine, failover) never touch HTTP, widgets, plots or the wall clock."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "t32sim"
PURE = [PACKAGE / "failover.py", PACKAGE / "demo_chaos.py", PACKAGE / "enums.py",
        PACKAGE / "rng.py",
        *sorted((PACKAGE / "spec").glob("*.py")), *sorted((PACKAGE / "export").glob("*.py")),
        *sorted((PACKAGE / "engine").glob("*.py"))]
FORBIDDEN_MODULES = {"fastapi", "httpx", "ipywidgets", "matplotlib", "time", "random",
                     "starlette", "uvicorn", "requests"}
ALLOWED_FROM_RANDOM = {"Random"}     # a seeded Random passed down is the only randomness


def violations(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in FORBIDDEN_MODULES and alias.name != "random":
                    found.append(f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            names = {a.name for a in node.names}
            if top == "random" and names <= ALLOWED_FROM_RANDOM:
                continue
            if top in FORBIDDEN_MODULES or (top == "datetime" and "datetime" in names):
                found.append(f"from {node.module} import {', '.join(sorted(names))}")
        elif isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today"} \
                and ast.unparse(node.value).split(".")[-1] in {"datetime", "date"}:
            found.append(f"{ast.unparse(node)} (the wall clock)")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "random" and node.attr != "Random":
            found.append(f"random.{node.attr} (the global random)")
    return found


@pytest.mark.parametrize("path", [p for p in PURE if p.exists()], ids=lambda p: p.name)
def test_pure_layers_import_nothing_impure(path):
    assert violations(path) == []


def test_the_scan_catches_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import time\nimport httpx\nfrom datetime import datetime\n"
                   "import random\nx = random.random()\ny = datetime.now()\n")
    assert violations(bad) == ["import time", "import httpx",
                               "from datetime import datetime", "random.random (the global random)",
                               "datetime.now (the wall clock)"]
