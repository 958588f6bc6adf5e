"""The layers of DESIGN.md hold: import-linter checks the contracts in pyproject.toml
(who imports whom, no HTTP / widgets / plots / ``time`` in the pure layers, no engine module
but the package face imports the facade ``cluster.py``); an AST scan checks what an import
graph cannot show: the pure layers never call the wall clock or the global random."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "t32sim"
PURE = [PACKAGE / "failover.py", PACKAGE / "demo_chaos.py", PACKAGE / "enums.py",
        PACKAGE / "rng.py",
        *sorted((PACKAGE / "spec").glob("*.py")), *sorted((PACKAGE / "export").glob("*.py")),
        *sorted((PACKAGE / "engine").rglob("*.py"))]
CONTRACTS = ["layers", "monitor-apart", "pure", "facade"]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(command), "--no-cache"], cwd=root, capture_output=True,
                          text=True, timeout=120)


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


def test_import_linter_catches_an_engine_module_that_imports_the_facade(tmp_path):
    """Test of the test: a copy of the package where the store imports cluster.py (and the
    engine imports time) breaks the facade and pure contracts."""
    shutil.copytree(PACKAGE, tmp_path / "t32sim", ignore=shutil.ignore_patterns("__pycache__",
                                                                                 "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    store = tmp_path / "t32sim" / "engine" / "store.py"
    store.write_text(store.read_text() + "\nimport time\nimport t32sim.engine.cluster\n")
    result = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={"PYTHONPATH": str(tmp_path), "PATH": ""})
    assert result.returncode == 1, result.stdout[-3000:]
    assert "Contracts: 2 kept, 2 broken." in result.stdout
    assert "t32sim.engine.store -> t32sim.engine.cluster" in result.stdout
    assert "t32sim.engine.store -> time" in result.stdout


def clock_and_random(path: Path) -> list[str]:
    """Calls of the wall clock (datetime.now / utcnow / today) or of the global random."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "random":
            names = {a.name for a in node.names}
            if names - {"Random"}:
                found.append(f"from random import {', '.join(sorted(names))}")
        elif isinstance(node, ast.ImportFrom) and node.module == "datetime" \
                and {"datetime", "date"} & {a.name for a in node.names} \
                and "now(" in path.read_text():
            found.append("from datetime import datetime (and a now() call)")
        elif isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today"} \
                and ast.unparse(node.value).split(".")[-1] in {"datetime", "date"}:
            found.append(f"{ast.unparse(node)} (the wall clock)")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == "random" and node.attr != "Random":
            found.append(f"random.{node.attr} (the global random)")
    return found


@pytest.mark.parametrize("path", [p for p in PURE if p.exists()], ids=lambda p: p.name)
def test_pure_layers_never_read_the_wall_clock_or_the_global_random(path):
    assert clock_and_random(path) == []


def test_the_scan_catches_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import random\nfrom random import choice\nx = random.random()\n"
                   "import datetime\ny = datetime.datetime.now()\nz = datetime.date.today()\n")
    assert clock_and_random(bad) == ["from random import choice",
                                     "random.random (the global random)",
                                     "datetime.datetime.now (the wall clock)",
                                     "datetime.date.today (the wall clock)"]
