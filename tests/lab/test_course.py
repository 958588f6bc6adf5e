"""Every converted chapter has the shape of the course: learning goals first, at least three
checked exercises left unanswered, a ``## Summary`` and a closing quiz of 3-5 questions, and a
solution notebook whose checks all print ✓ (notebooks/NN-*.ipynb, notebooks/solutions/).

The saved outputs are what is checked here; nbval re-runs every notebook and compares them,
so a saved ✓ is a ✓ the code gives today."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from t32sim.lab import exercises
from t32sim.lab.exercise import UNANSWERED_MESSAGE

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: the chapters in the checked-practice format; the course engineers extend this list
#: until it covers 01-11
CONVERTED = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"]
CHECK = re.compile(r"""check\(\s*["'](\d\d\.q?\d+)["']""")


def notebook(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def printed(cell: dict) -> str:
    """Everything a code cell showed as text (streams and text/plain results)."""
    parts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            parts.append("".join(output["text"]))
        elif "text/plain" in output.get("data", {}):
            parts.append("".join(output["data"]["text/plain"]))
    return "\n".join(parts)


def the_one(pattern: str) -> Path:
    found = sorted(NOTEBOOKS.glob(pattern))
    assert len(found) == 1, f"expected one notebook {pattern}, found {found}"
    return found[0]


def checked(cells: list[dict]) -> dict[str, tuple[int, str]]:
    """exercise id -> (index of the cell that checks it, what that cell printed)."""
    found = {}
    for index, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            for id in CHECK.findall(source(cell)):
                assert id not in found, f"{id} is checked twice"
                found[id] = (index, printed(cell))
    return found


@pytest.fixture(params=CONVERTED)
def chapter(request):
    number = request.param
    path = the_one(f"{number}-*.ipynb")
    return number, path, notebook(path)


def test_the_converted_list_names_real_chapters_once():
    assert sorted(CONVERTED) == sorted(set(CONVERTED))
    for number in CONVERTED:
        assert 1 <= int(number) <= 11
        the_one(f"{number}-*.ipynb")


def test_a_chapter_opens_with_its_learning_goals(chapter):
    number, _, cells = chapter
    opening = source(cells[0]) if cells[0]["cell_type"] == "markdown" else ""
    assert opening.startswith(f"# {number} ·"), "the first cell is the chapter's title"
    assert re.search(r"^#+ Learning goals", opening, re.M), "learning goals in the first cell"
    assert re.search(r"^\s*1\. ", opening, re.M), "the goals are a numbered list"


def test_a_chapter_has_three_exercises_and_a_quiz_of_three_to_five(chapter):
    number, _, _ = chapter
    declared = exercises(number)
    practice = [e for e in declared if e.kind == "exercise"]
    quiz = [e for e in declared if e.kind == "quiz"]
    assert len(practice) >= 3, f"chapter {number} has {len(practice)} exercises"
    assert 3 <= len(quiz) <= 5, f"chapter {number} has {len(quiz)} quiz questions"


def test_the_chapter_checks_every_exercise_and_leaves_it_unanswered(chapter):
    number, _, cells = chapter
    found = checked(cells)
    assert sorted(found) == sorted(e.id for e in exercises(number))
    for id, (index, shown) in found.items():
        assert f"✗ {id}  {UNANSWERED_MESSAGE}" in shown, f"{id}: the saved check is not unanswered"
        assert re.search(r"^answer = \.\.\.", source(cells[index]), re.M), id


def test_the_chapter_ends_with_a_summary_then_the_quiz(chapter):
    number, _, cells = chapter
    summary = [i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"
               and re.search(r"^## Summary\s*$", source(cell), re.M)]
    assert len(summary) == 1, "one ## Summary"
    found = checked(cells)
    quiz = [found[e.id][0] for e in exercises(number) if e.kind == "quiz"]
    practice = [found[e.id][0] for e in exercises(number) if e.kind == "exercise"]
    assert max(practice) < summary[0] < min(quiz), "exercises, then the summary, then the quiz"


def test_every_quiz_question_is_written_out_in_the_chapter(chapter):
    number, _, cells = chapter
    text = "\n".join(source(cell) for cell in cells if cell["cell_type"] == "markdown")
    flat = " ".join(text.split())
    for question in (e for e in exercises(number) if e.kind == "quiz"):
        stem, _, options = question.question.partition("  ")
        assert " ".join(stem.split()) in flat, f"{question.id}: its question is not in the chapter"
        for option in re.split(r"; (?=[a-e]\) )", options):
            letter, _, words = option.partition(") ")
            assert f"{letter}) {' '.join(words.split())}" in flat, (question.id, option)


def test_the_solution_notebook_answers_every_check_with_a_tick(chapter):
    number, path, _ = chapter
    solution = NOTEBOOKS / "solutions" / path.name
    assert solution.exists(), f"no {solution.relative_to(NOTEBOOKS.parent)}"
    found = checked(notebook(solution))
    assert sorted(found) == sorted(e.id for e in exercises(number))
    for id, (_, shown) in found.items():
        assert f"✓ {id}  " in shown and "✗" not in shown, f"{id} in the solution: {shown!r}"
