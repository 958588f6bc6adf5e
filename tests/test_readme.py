"""The README stays true to the code: its library example runs, its chapter list and
commands match what exists."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_the_library_example_runs(monkeypatch, capsys):
    [example] = re.findall(r"## The library in ten lines\n.*?```python\n(.*?)```", README, re.S)
    assert len(example.strip().splitlines()) <= 12
    monkeypatch.chdir(ROOT)
    exec(compile(example, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "desired=3, current=3, ready=3" in out and "phase=<Phase.HEALTHY" in out


def test_the_chapter_list_is_the_notebooks():
    listed = re.findall(r"`(notebooks/\d\d-[\w-]+\.ipynb)`", README)
    on_disk = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert listed == on_disk


def test_every_command_the_readme_names_has_help():
    for command in ["run", "validate", "export", "serve", "monitor", "audit"]:
        assert f"t32sim {command}" in README
        result = subprocess.run([sys.executable, "-m", "t32sim.cli", command, "--help"],
                                capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert result.returncode == 0 and result.stdout.startswith(f"usage: t32sim {command}")


def test_quick_start_is_two_make_targets():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make (\w+)", quick, re.M)
    assert commands == ["run", "test"]
    makefile = (ROOT / "Makefile").read_text()
    assert "t32sim serve --apply examples/api-v1.yaml" in makefile
    assert re.search(r"^test: .*\n\t\$\(PY\) -m pytest$", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_engine_module_is_named_in_the_readme_and_the_architecture_doc():
    where = README.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    doc = (ROOT / "docs" / "architecture.md").read_text()
    modules = sorted(p.name for p in (ROOT / "t32sim" / "engine").glob("*.py")
                     if p.name != "__init__.py")
    assert [m for m in modules if m not in where] == []
    assert [m for m in modules if f"`{m}`" not in doc and m not in doc] == []
