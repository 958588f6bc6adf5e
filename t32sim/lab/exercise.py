"""Checked exercises: an id, a question and a check that never raises.

A chapter module (``t32sim.lab.chapters.ch04``) declares its exercises with
``@exercise("04.2", "question")`` over a check function ``(answer) -> Result | bool | str``.
``Exercise.check(answer)`` wraps it: an unanswered ``...``, ``None``, a value of the wrong
type, or a check that raises all come back as a "not ok" ``Result`` with a message, so a
student's cell always prints one clear line::

    from t32sim.lab import check
    answer = 5
    check("04.2", answer)          # ✓ 04.2  Right: ...   or   ✗ 04.2  hint
"""
from __future__ import annotations

import html
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Result", "Exercise", "exercise", "exercises", "get", "check", "right", "wrong", "choice",
           "UNANSWERED_MESSAGE"]

UNANSWERED_MESSAGE = "not answered yet: replace `...` with your answer and run the cell again."


@dataclass(frozen=True)
class Result:
    """The outcome of one check: ``ok`` and a message (what is right, or a hint)."""

    ok: bool
    message: str
    id: str = ""

    @property
    def mark(self) -> str:
        return "✓" if self.ok else "✗"

    def __str__(self) -> str:
        label = f" {self.id}" if self.id else ""
        return f"{self.mark}{label}  {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = "#009E73" if self.ok else "#D55E00"
        label = f"<b>{html.escape(self.id)}</b> " if self.id else ""
        return (f'<div style="font-family: sans-serif; font-size: 1.05em; color: {colour}">'
                f"{self.mark} {label}{html.escape(self.message)}</div>")

    def __bool__(self) -> bool:
        return self.ok


def right(message: str) -> Result:
    """A passed check."""
    return Result(True, message)


def wrong(message: str) -> Result:
    """A failed check with a hint."""
    return Result(False, message)


@dataclass(frozen=True)
class Exercise:
    """One checked exercise. ``id`` is ``"CC.N"`` (chapter CC, exercise N) or ``"CC.qN"``
    for the chapter's closing quiz."""

    id: str
    question: str
    checker: Callable[[Any], Any] = field(repr=False, compare=False)
    accepts: tuple[type, ...] = ()
    kind: str = "exercise"

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0]

    def check(self, answer: Any) -> Result:
        """Check ``answer``; never raises."""
        if answer is Ellipsis or answer is None:
            return Result(False, UNANSWERED_MESSAGE, self.id)
        if self.accepts and (not isinstance(answer, self.accepts)
                             or (isinstance(answer, bool) and bool not in self.accepts)):
            expected = " or ".join(_type_name(t) for t in self.accepts)
            return Result(False, f"expected {expected}, got {_type_name(type(answer))} "
                                 f"{_short(answer)}.", self.id)
        try:
            outcome = self.checker(answer)
        except Exception as exc:  # a student's function or spec may fail in any way
            return Result(False, f"your answer raised {type(exc).__name__}: {exc}", self.id)
        return _as_result(outcome, self.id)

    def __str__(self) -> str:
        return f"{self.id}  {self.question}"


_REGISTRY: dict[str, Exercise] = {}


def exercise(id: str, question: str, *, accepts: type | tuple[type, ...] = (),
             kind: str = "exercise") -> Callable[[Callable[[Any], Any]], Exercise]:
    """Declare an exercise over a check function; the decorated name becomes the Exercise."""
    if not isinstance(accepts, tuple):
        accepts = (accepts,)

    def register(checker: Callable[[Any], Any]) -> Exercise:
        if id in _REGISTRY:
            raise ValueError(f"exercise {id} is declared twice")
        made = Exercise(id, question, checker, accepts, kind)
        _REGISTRY[id] = made
        return made

    return register


def choice(id: str, question: str, options: dict[str, str], correct: str, because: str,
           feedback: dict[str, str] | None = None) -> Exercise:
    """A multiple-choice question (the chapter quizzes): the answer is an option's letter.
    A wrong letter gets that option's ``feedback`` (a hint, never the right letter)."""
    feedback = feedback or {}
    listed = "; ".join(f"{key}) {text}" for key, text in options.items())

    def checker(answer: str) -> Result:
        letter = answer.strip().lower().rstrip(")")
        if letter not in options:
            return wrong(f"answer with one of {', '.join(repr(k) for k in options)}.")
        if letter == correct:
            return right(because)
        return wrong(feedback.get(letter, "not that one: reread the section and try again."))

    return exercise(id, f"{question}  {listed}", accepts=str, kind="quiz")(checker)


def _load_chapters() -> None:
    from t32sim.lab import chapters

    for module in pkgutil.iter_modules(chapters.__path__):
        importlib.import_module(f"{chapters.__name__}.{module.name}")


def exercises(chapter: str | int | None = None) -> list[Exercise]:
    """Every exercise (and quiz question), in chapter order; or one chapter's."""
    _load_chapters()
    found = sorted(_REGISTRY.values(), key=lambda e: _order(e.id))
    if chapter is None:
        return found
    wanted = f"{int(chapter):02d}" if not isinstance(chapter, str) else chapter
    return [e for e in found if e.chapter == wanted]


def get(id: str) -> Exercise:
    """The exercise with this id; a KeyError naming the known ids of its chapter if none."""
    _load_chapters()
    try:
        return _REGISTRY[id]
    except KeyError:
        same = [e.id for e in exercises(id.split(".")[0])] if "." in id else []
        raise KeyError(f"no exercise {id!r}" + (f"; chapter has {', '.join(same)}" if same
                                                 else "")) from None


def check(id: str, answer: Any) -> Result:
    """Check ``answer`` against exercise ``id`` (shows as one ✓ / ✗ line in a notebook)."""
    try:
        found = get(id)
    except KeyError as exc:
        return Result(False, str(exc.args[0]), id)
    return found.check(answer)


def _as_result(outcome: Any, id: str) -> Result:
    if isinstance(outcome, Result):
        return Result(outcome.ok, outcome.message, id)
    if isinstance(outcome, tuple) and len(outcome) == 2:
        return Result(bool(outcome[0]), str(outcome[1]), id)
    if outcome is True:
        return Result(True, "right.", id)
    return Result(False, str(outcome) if isinstance(outcome, str) else "not quite: try again.",
                  id)


def _order(id: str) -> tuple[int, int, int]:
    chapter, _, rest = id.partition(".")
    quiz = rest.startswith("q")
    number = rest[1:] if quiz else rest
    return int(chapter), int(quiz), int(number) if number.isdigit() else 0


def _type_name(kind: type) -> str:
    return {int: "a whole number", float: "a number", str: "text", bool: "True or False",
            dict: "a mapping", list: "a list", tuple: "a tuple"}.get(kind, kind.__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return f"({text[:40]}…)" if len(text) > 40 else f"({text})"
