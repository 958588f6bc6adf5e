"""The exercise API: ids, registration, and checks that never raise."""
from __future__ import annotations

import pytest

from t32sim.lab import exercise as ex
from t32sim.lab.exercise import UNANSWERED_MESSAGE, Result, choice, exercise, right, wrong


@pytest.fixture
def scratch():
    """Exercises of a chapter 99 that exists only for this test."""
    before = dict(ex._REGISTRY)
    yield
    ex._REGISTRY.clear()
    ex._REGISTRY.update(before)


@pytest.fixture
def doubling(scratch):
    @exercise("99.1", "What is twice 21?", accepts=int)
    def twice(answer):
        return right("42 it is.") if answer == 42 else wrong("double it.")
    return twice


def test_an_exercise_knows_its_id_chapter_and_question(doubling):
    assert (doubling.id, doubling.chapter, doubling.question) == ("99.1", "99",
                                                                  "What is twice 21?")
    assert ex.get("99.1") is doubling
    assert [e.id for e in ex.exercises(99)] == ["99.1"]


def test_a_right_answer_is_ok_with_the_checks_message(doubling):
    assert doubling.check(42) == Result(True, "42 it is.", "99.1")
    assert str(ex.check("99.1", 42)) == "✓ 99.1  42 it is."


def test_a_wrong_answer_is_not_ok_with_a_hint(doubling):
    assert doubling.check(41) == Result(False, "double it.", "99.1")
    assert str(doubling.check(41)) == "✗ 99.1  double it."


@pytest.mark.parametrize("answer", [..., None])
def test_an_unanswered_cell_is_not_ok_and_says_so(doubling, answer):
    assert doubling.check(answer) == Result(False, UNANSWERED_MESSAGE, "99.1")


@pytest.mark.parametrize("answer, message", [
    ("42", "expected a whole number, got text ('42')."),
    (42.0, "expected a whole number, got a number (42.0)."),
    (True, "expected a whole number, got True or False (True)."),
])
def test_a_value_of_the_wrong_type_is_not_ok(doubling, answer, message):
    assert doubling.check(answer) == Result(False, message, "99.1")


def test_a_check_that_raises_becomes_a_message(scratch):
    @exercise("99.2", "Give a function.")
    def run_it(answer):
        return answer(3)

    result = run_it.check(lambda n: n / 0)
    assert result == Result(False, "your answer raised ZeroDivisionError: division by zero",
                            "99.2")


def test_checks_may_return_a_bool_or_a_pair(scratch):
    @exercise("99.3", "Is it on?")
    def plain(answer):
        return answer == "on"

    @exercise("99.4", "Is it off?")
    def pair(answer):
        return answer == "off", "about switches"

    assert plain.check("on") == Result(True, "right.", "99.3")
    assert plain.check("off") == Result(False, "not quite: try again.", "99.3")
    assert pair.check("on") == Result(False, "about switches", "99.4")


def test_a_quiz_question_takes_a_letter_and_never_names_the_right_one(scratch):
    question = choice("99.q1", "Which probe restarts a pod?",
                      {"a": "readiness", "b": "liveness"}, "b",
                      because="liveness restarts; readiness only takes it out of traffic.",
                      feedback={"a": "readiness failing takes the pod out of the load balancer."})
    assert question.kind == "quiz"
    assert question.question == "Which probe restarts a pod?  a) readiness; b) liveness"
    assert question.check(" B) ").ok
    assert question.check("a") == Result(
        False, "readiness failing takes the pod out of the load balancer.", "99.q1")
    assert question.check("c") == Result(False, "answer with one of 'a', 'b'.", "99.q1")


def test_quiz_questions_sort_after_the_exercises_of_their_chapter(scratch, doubling):
    choice("99.q1", "?", {"a": "x"}, "a", because="x.")

    @exercise("99.10", "tenth")
    def tenth(answer):
        return True

    assert [e.id for e in ex.exercises("99")] == ["99.1", "99.10", "99.q1"]


def test_an_id_is_declared_once(doubling):
    with pytest.raises(ValueError, match="exercise 99.1 is declared twice"):
        exercise("99.1", "again")(lambda answer: True)


def test_an_unknown_id_is_a_message_not_an_exception(doubling):
    assert ex.check("99.7", 1) == Result(False, "no exercise '99.7'; chapter has 99.1", "99.7")


def test_a_result_shows_as_a_coloured_line_in_a_notebook(doubling):
    assert doubling.check(42)._repr_html_() == (
        '<div style="font-family: sans-serif; font-size: 1.05em; color: #009E73">'
        "✓ <b>99.1</b> 42 it is.</div>")
    assert "#D55E00" in doubling.check(1)._repr_html_()
