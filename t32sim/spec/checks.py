"""Checks: what a field expects, and how a given value becomes the stored one.

A ``Check`` pairs the text of what is expected ("an integer 0..1000") with a parser that
returns the stored value or raises ``Invalid``; ``show`` and ``closest`` keep messages short
and suggest what a typo meant.
"""
from __future__ import annotations

import difflib
import math
import numbers
import re
import reprlib
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from t32sim.spec.limits import MAX_COUNT, MAX_CPU_MILLI, MAX_REPLICAS, MAX_SECONDS
from t32sim.spec.model import Strategy


_DNS_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PERCENT_RE = re.compile(r"([0-9]{1,4})%")
_CPU_RE = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m?)")
_PORT_NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DURATION_RE = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+(?:\.[0-9]+)?)s)?")
_PLAIN_SECONDS_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")


# --------------------------------------------------------------------------------------
# Showing values in messages: short, whatever was given.

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 4
_REPR.maxlevel = 2


def show(value: Any) -> str:
    """A short repr of a given value (long strings are cut and their length told)."""
    if isinstance(value, str) and len(value) > _REPR.maxstring:
        return f"{_REPR.repr(value)} ({len(value)} characters)"
    try:
        return _REPR.repr(value)
    except Exception:      # a huge int (over Python's digit limit), a broken __repr__ ...
        return f"a value of type {type(value).__name__} that cannot be shown"


def closest(word: str, options: tuple[str, ...]) -> str | None:
    """The option a typo most likely meant, or None."""
    for option in options:
        if option.lower() == word.lower():
            return option
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.75)
    return matches[0] if matches else None


# --------------------------------------------------------------------------------------
# Checks: what a field expects, and how to turn a given value into the stored one.

class Invalid(Exception):
    """Raised by a check; ``hint`` (optional) is appended to the standard message."""

    def __init__(self, hint: str = ""):
        super().__init__(hint)
        self.hint = hint


@dataclass(frozen=True)
class Check:
    expected: str                      # "an integer 0..1000"
    parse: Callable[[Any], Any]        # given value -> stored value, or raises Invalid


def is_integer(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite real number that is not a boolean (ints of any size count)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if isinstance(value, numbers.Integral):
        return True
    try:
        return math.isfinite(value)
    except OverflowError:              # e.g. a Fraction too large for a float
        return False


def tidy_number(value: Any) -> int | float:
    """Integral numbers become ints, so 2 and 2.0 store (and hash) the same."""
    number = float(value)
    return int(number) if number.is_integer() else number


def integer_check(lo: int, hi: int, what: str = "an integer") -> Check:
    def parse(value: Any) -> int:
        if not is_integer(value) or not lo <= value <= hi:
            raise Invalid
        return int(value)
    return Check(f"{what} {lo}..{hi}", parse)


def _seconds_in_range(seconds: float, lo: float, hi: float, above: bool) -> bool:
    return (seconds > lo if above else seconds >= lo) and seconds <= hi


def seconds_check(lo: float = 0, hi: float = MAX_SECONDS, *, above: bool = False,
                  durations: bool = False) -> Check:
    """A number of seconds (``durations``: also strings like '30s', '5m', '1h')."""
    def parse(value: Any) -> int | float:
        seconds = duration_seconds(value) if durations and isinstance(value, str) else value
        if not is_number(seconds) or not _seconds_in_range(seconds, lo, hi, above):
            raise Invalid
        return tidy_number(seconds)
    span = f"greater than {lo}, up to {hi}" if above else f"{lo}..{hi}"
    suffix = " (or a duration like '30s', '5m', '1h')" if durations else ""
    return Check(f"a number of seconds {span}{suffix}", parse)


def duration_seconds(text: str) -> float | None:
    """'90' -> 90, '30s' -> 30, '5m' -> 300, '1h30m' -> 5400; None if not a duration."""
    text = text.strip()
    if _PLAIN_SECONDS_RE.fullmatch(text):
        return float(text)
    match = _DURATION_RE.fullmatch(text)
    if not text or match is None:
        return None
    hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def choice_check(options: tuple[str, ...]) -> Check:
    def parse(value: Any) -> str:
        if isinstance(value, str) and value in options:
            return value
        guess = closest(value, options) if isinstance(value, str) else None
        raise Invalid(f"did you mean {guess!r}?" if guess else "")
    expected = ", ".join(repr(o) for o in options)
    return Check(f"one of {expected}" if len(options) > 1 else expected, parse)


def _strategy_check() -> Check:
    names = tuple(s.value for s in Strategy)
    choice = choice_check(names)
    return Check(choice.expected, lambda value: Strategy(choice.parse(value)))


def pattern_check(regex: re.Pattern[str], expected: str, max_length: int = 10_000) -> Check:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or len(value) > max_length or not regex.fullmatch(value):
            raise Invalid
        return value
    return Check(expected, parse)


def _boolean_parse(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid
    return value


def _env_value_parse(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if is_integer(value) or is_number(value):
        try:
            return str(value)
        except ValueError:              # more digits than Python will print
            raise Invalid from None
    raise Invalid


def _fraction_parse(value: Any) -> int | float:
    if not is_number(value) or not 0 <= value <= 1:
        raise Invalid
    return value


_IMAGE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+%~-]*")


def _image_parse(value: Any) -> str:
    """An image reference as a student would type one; control, invisible and bidi
    characters (which would make a name read as something else) are named."""
    if not isinstance(value, str) or not value or len(value) > 512:
        raise Invalid
    for ch in value:
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            kind = "a bidirectional-text control" if unicodedata.bidirectional(ch) in _BIDI \
                else "a control or invisible"
            raise Invalid(f"it contains {kind} character U+{ord(ch):04X}")
    bad = next((ch for ch in value if not _IMAGE_RE.fullmatch("a" + ch)), None)
    if bad is not None and not bad.isspace():
        raise Invalid(f"{bad!r} is not allowed: an image reference is letters, digits and "
                      f"'._:/@+%~-'")
    if bad is not None or not _IMAGE_RE.fullmatch(value):
        raise Invalid
    return value


_BIDI = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


def int_or_percent(max_percent: int) -> Check:
    """Kubernetes' IntOrString: an integer, or a string of digits followed by '%'."""
    def parse(value: Any) -> int | str:
        if is_integer(value) and 0 <= value <= MAX_REPLICAS:
            return int(value)
        match = _PERCENT_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None or int(match.group(1)) > max_percent:
            raise Invalid
        return f"{int(match.group(1))}%"
    return Check(f"an integer 0..{MAX_REPLICAS} or a percentage '0%'..'{max_percent}%'",
                 parse)


DNS_LABEL = pattern_check(_DNS_LABEL_RE, "a DNS-1123 label (1..63 lowercase letters, digits "
                      "and '-', starting and ending with a letter or digit)", max_length=63)
IMAGE = Check("a non-empty image reference without spaces, like 'local://demo@v1'",
              _image_parse)
ENV_NAME = pattern_check(_ENV_NAME_RE, "an environment variable name (letters, digits and "
                     "'_', not starting with a digit)", max_length=256)
ENV_VALUE = Check("a string (numbers and booleans are converted)", _env_value_parse)
HTTP_PATH = pattern_check(re.compile(r"/\S*"), "an HTTP path starting with '/'", max_length=2048)
BOOLEAN = Check("true or false", _boolean_parse)
FRACTION = Check("a number 0..1", _fraction_parse)
WEIGHT = integer_check(0, 100, "an integer percentage")
PORT = integer_check(1, 65535)
REPLICAS = integer_check(0, MAX_REPLICAS)
THRESHOLD = integer_check(1, MAX_COUNT)
ONLY_ONE = Check("1 (Kubernetes requires successThreshold 1 for liveness and startup "
                   "probes)", integer_check(1, 1).parse)
STRATEGY = _strategy_check()
SURGE = int_or_percent(1000)
UNAVAILABLE = int_or_percent(100)



def _cpu_parse(value: Any) -> int:
    """Kubernetes' CPU quantity: 0.5, 1, '2', '250m', '0.1' -> millicores (at least 1m)."""
    if is_number(value):
        text = repr(float(value)) if not is_integer(value) else str(int(value))
    elif isinstance(value, str) and len(value) <= 20:
        text = value.strip()
    else:
        raise Invalid
    match = _CPU_RE.fullmatch(text)
    if match is None:
        raise Invalid
    number, milli = match.groups()
    millicores = float(number) if milli else float(number) * 1000
    if not millicores.is_integer() or not 1 <= millicores <= MAX_CPU_MILLI:
        raise Invalid("CPU is counted in whole millicores, at least '1m'"
                      if millicores < 1 or not millicores.is_integer() else "")
    return int(millicores)


def _port_parse(value: Any) -> int | str:
    """A port number 1..65535, or the name of a container port (IANA_SVC_NAME)."""
    if is_integer(value) and 1 <= value <= 65535:
        return int(value)
    if isinstance(value, str) and len(value) <= 15 and _PORT_NAME_RE.fullmatch(value) \
            and any(c.isalpha() for c in value) and "--" not in value:
        return value
    raise Invalid


CPU = Check(f"a CPU quantity like 250m, 0.5 or 2 (1m..{MAX_CPU_MILLI // 1000} CPUs)", _cpu_parse)
PORT_OR_NAME = Check("a port number 1..65535 or a port name like 'http'", _port_parse)
