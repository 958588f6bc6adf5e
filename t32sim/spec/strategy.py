"""Rollout strategies: t32sim's ``spec.rollout`` and Kubernetes / Argo's ``spec.strategy``.

Canary steps come in two forms, never mixed in one list: ``{percent: N}`` with
``pauseSeconds``, and Argo's ``setWeight`` / ``pause`` steps.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from t32sim.spec.checks import (
    BOOLEAN, DNS_LABEL, FRACTION, STRATEGY, SURGE, UNAVAILABLE, WEIGHT, choice_check,
    integer_check, seconds_check, show,
)
from t32sim.spec.limits import DEFAULT_CANARY_STEPS, MAX_COUNT
from t32sim.spec.model import Analysis, CanaryStep, Rollout, Strategy
from t32sim.spec.reader import Reader


_ANALYSIS_FIELDS = ("maxErrorRate", "interval", "failureLimit")
_STEP_KEYS = ("percent", "setWeight", "pause")

#: Argo canary steps t32sim accepts in a Rollout manifest but does not carry out
STEP_UNSIMULATED = {
    "analysis": "an inline analysis step (t32sim's own canary analysis is spec.rollout.analysis)",
    "experiment": "experiments (the step is skipped)",
    "setCanaryScale": "the canary's pod count follows its weight",
    "setHeaderRoute": "header-based routing (t32sim routes by weight only)",
    "setMirrorRoute": "traffic mirroring",
    "plugin": "step plugins",
}

_ROLLING, _BLUE_GREEN, _CANARY = Strategy.ROLLING_UPDATE, Strategy.BLUE_GREEN, Strategy.CANARY
#: Which strategies each rollout field belongs to (``strategy`` itself belongs to all).
STRATEGY_FIELDS: dict[str, tuple[Strategy, ...]] = {
    "maxSurge": (_ROLLING, _CANARY),
    "maxUnavailable": (_ROLLING, _CANARY),
    "steps": (_CANARY,),
    "pauseSeconds": (_CANARY,),
    "analysis": (_CANARY,),
    "autoPromotionEnabled": (_BLUE_GREEN,),
    "autoPromotionSeconds": (_BLUE_GREEN,),
    "scaleDownDelaySeconds": (_BLUE_GREEN,),
    "activeService": (_BLUE_GREEN,),
    "previewService": (_BLUE_GREEN,),
}
_ROLLOUT_FIELDS = ("strategy",) + tuple(STRATEGY_FIELDS)
#: ``spec.strategy`` keys (Kubernetes / Argo) and the strategy each one selects.
_K8S_STRATEGY_KEYS = {"type": _ROLLING, "rollingUpdate": _ROLLING,
                      "blueGreen": _BLUE_GREEN, "canary": _CANARY}


def read_rollout(spec: Reader) -> Rollout:
    if spec.has("rollout") and spec.has("strategy"):
        spec.error("strategy", "expected either rollout (t32sim) or strategy "
                               "(Kubernetes/Argo), got both")
    elif spec.has("strategy"):
        return _read_k8s_strategy(spec)
    r = spec.mapping("rollout", _ROLLOUT_FIELDS, "a mapping like {strategy: Canary}")
    if r is None:
        return Rollout()
    strategy = r.get("strategy", STRATEGY, _ROLLING)
    if not r.ok("strategy"):
        return Rollout()            # the other fields cannot be judged without it
    for key, strategies in STRATEGY_FIELDS.items():
        if r.has(key) and strategy not in strategies:
            names = " or ".join(s.value for s in strategies)
            r.error(key, f"applies only to strategy {names}, but strategy is {strategy.value!r}")
    return read_strategy_settings(r, strategy)


def _read_k8s_strategy(spec: Reader) -> Rollout:
    """``spec.strategy`` as Kubernetes ({type, rollingUpdate}) or Argo ({blueGreen}|{canary})."""
    s = spec.mapping("strategy", tuple(_K8S_STRATEGY_KEYS), "a mapping like "
                     "{type: RollingUpdate}, {blueGreen: {}} or {canary: {steps: [...]}}")
    if s is None:
        return Rollout()
    given = [key for key in _K8S_STRATEGY_KEYS if key in s.data]
    chosen = {_K8S_STRATEGY_KEYS[key] for key in given}
    if len(chosen) > 1:
        spec.error("strategy", "expected one strategy, got "
                               + " and ".join(repr(key) for key in given))
        return Rollout()
    strategy = chosen.pop() if chosen else _ROLLING
    if strategy is _ROLLING:
        s.get("type", choice_check((_ROLLING.value,)))
        key = "rollingUpdate"
    else:
        key = "blueGreen" if strategy is _BLUE_GREEN else "canary"
    fields = tuple(f for f, strategies in STRATEGY_FIELDS.items() if strategy in strategies)
    settings = s.mapping(key, fields, "a mapping of " + ", ".join(fields))
    return read_strategy_settings(settings or Reader(s.errors, s.at(key), {}), strategy)


def read_strategy_settings(r: Reader, strategy: Strategy) -> Rollout:
    """The fields of ``r`` that belong to ``strategy`` (the others were judged already)."""
    rollout = Rollout(strategy=strategy)
    if strategy in (_ROLLING, _CANARY):
        rollout = replace(rollout, **_read_surge(r))
    if strategy is _CANARY:
        rollout = replace(rollout, steps=_read_steps(r), analysis=read_analysis(r))
    if strategy is _BLUE_GREEN:
        rollout = replace(rollout, **_read_promotion(r))
    return rollout


def _read_surge(r: Reader) -> dict[str, Any]:
    surge = r.get("maxSurge", SURGE, "25%")
    unavailable = r.get("maxUnavailable", UNAVAILABLE, "25%")
    if r.ok("maxSurge", "maxUnavailable") and _is_zero(surge) and _is_zero(unavailable):
        r.error("maxUnavailable", f"expected a value above 0 when maxSurge is {show(surge)} "
                                  f"(else no pod could ever be replaced), got {show(unavailable)}")
    return {"max_surge": surge, "max_unavailable": unavailable}


def _read_promotion(r: Reader) -> dict[str, Any]:
    """BlueGreen: when the new version is promoted, and how long the old one lingers."""
    enabled = r.get("autoPromotionEnabled", BOOLEAN, True)
    after = r.get("autoPromotionSeconds", seconds_check())
    if after is not None and enabled is False:
        r.error("autoPromotionSeconds", "expected no autoPromotionSeconds when "
                                        f"autoPromotionEnabled is false, got {after}")
    active = r.get("activeService", DNS_LABEL)
    preview = r.get("previewService", DNS_LABEL)
    if active is not None and active == preview:
        r.error("previewService", f"expected a Service other than activeService, got {preview!r}")
    return {"auto_promotion_enabled": enabled, "auto_promotion_seconds": after,
            "scale_down_delay_seconds": r.get("scaleDownDelaySeconds", seconds_check(), 30),
            "active_service": active, "preview_service": preview}


def _is_zero(value: int | str) -> bool:
    return value in (0, "0%")


def read_analysis(r: Reader, key: str = "analysis") -> Analysis | None:
    a = r.mapping(key, _ANALYSIS_FIELDS, "a mapping like {maxErrorRate: 0.05}")
    if a is None:
        return None
    return Analysis(
        max_error_rate=a.get("maxErrorRate", FRACTION, 0.05),
        interval=a.get("interval", seconds_check(above=True, durations=True), 10),
        failure_limit=a.get("failureLimit", integer_check(0, MAX_COUNT), 0))


# --- canary steps -------------------------------------------------------------------------

_PERCENT_FORM, _ARGO_FORM = "{percent: N} steps", "setWeight/pause steps"


def _read_steps(r: Reader) -> tuple[CanaryStep, ...]:
    """Canary steps in either form, normalised to setWeight/pause steps."""
    pause_seconds = r.get("pauseSeconds", seconds_check())
    steps: list[CanaryStep] = []
    form, first_index = None, 0
    for index, (path, item) in enumerate(r.items("steps", "a list of canary steps") or ()):
        step = Reader.open(r.errors, path, item, _STEP_KEYS,
                           "a step like {setWeight: 25} or {pause: {duration: 30}}",
                           unsimulated=STEP_UNSIMULATED, notes=r.notes)
        if step is None:
            continue
        keys = [key for key in _STEP_KEYS if key in step.data]
        if not keys and len(item) > len(step.data):
            continue                # its unknown fields were reported by open()
        if len(keys) != 1:
            got = " and ".join(repr(k) for k in keys) if keys else "none"
            r.errors.append((path, "expected exactly one of 'percent', 'setWeight', "
                                   f"'pause', got {got}"))
            continue
        this_form = _PERCENT_FORM if keys == ["percent"] else _ARGO_FORM
        if form is None:
            form, first_index = this_form, index
        elif this_form != form:
            r.errors.append((path, f"expected {form} like steps[{first_index}], got "
                                   f"{show(item)}; one list cannot mix both forms"))
            continue
        steps.append(_read_step(step, keys[0]))
    if r.has("pauseSeconds") and r.ok("pauseSeconds") and form != _PERCENT_FORM:
        r.error("pauseSeconds", "applies only to {percent: N} steps, got "
                + (f"{_ARGO_FORM}; write {{pause: {{duration: N}}}} steps instead"
                   if form else "no steps"))
    if form == _PERCENT_FORM and pause_seconds:
        steps = _interleave_pauses(steps, pause_seconds)
    return tuple(steps) or DEFAULT_CANARY_STEPS


def _read_step(step: Reader, key: str) -> CanaryStep:
    if key in ("percent", "setWeight"):
        return CanaryStep(set_weight=step.require(key, WEIGHT))
    pause = step.mapping("pause", ("duration",), "a mapping like {duration: 30} "
                         "(or {} to wait for promote)")
    duration = pause.get("duration", seconds_check(durations=True)) if pause else None
    return CanaryStep(pause=True, pause_seconds=duration)


def _interleave_pauses(weights: list[CanaryStep], seconds: float) -> list[CanaryStep]:
    """setWeight a, setWeight b -> setWeight a, pause, setWeight b (none after the last)."""
    steps: list[CanaryStep] = []
    for step in weights:
        if steps:
            steps.append(CanaryStep(pause=True, pause_seconds=seconds))
        steps.append(step)
    return steps


