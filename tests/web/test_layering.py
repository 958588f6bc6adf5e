"""t32sim.web is the edge under both servers: it imports neither of them, nor the engine."""
from __future__ import annotations

import ast
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "t32sim" / "web"
FORBIDDEN = ("t32sim.server", "t32sim.monitor", "t32sim.engine", "t32sim.lab", "t32sim.cli")


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_web_imports_neither_server_nor_monitor():
    modules = sorted(WEB.glob("*.py"))
    assert len(modules) >= 5
    bad = {p.name: sorted(m for m in imports(p) if m.startswith(FORBIDDEN)) for p in modules}
    assert {name: found for name, found in bad.items() if found} == {}


def test_the_scan_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from t32sim.server.api import router\nimport t32sim.monitor.app\n")
    assert imports(sample) == {"t32sim.server.api", "t32sim.monitor.app"}
