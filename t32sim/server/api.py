"""The HTTP API: the original "Perfect System" surface plus the live-server controls.

Handlers are ``async def`` so they run on the loop that owns the cluster, between
pacer ticks. GET requests only read: they never advance the engine or write the
journal (the pacer does both every tick), so ``/state`` is the state of the last tick.
Query parameters are bounded here (a bad one is 422 naming it); the engine checks
again and the journal keeps only commands the engine accepted. Every response a
route can give is in the OpenAPI schema, error bodies included.
"""
from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from t32sim.engine.load import MAX_CPU_PERCENT
from t32sim.server.bodies import parse_spec_body, read_body
from t32sim.server.live import LiveCluster
from t32sim.server.metrics import CONTENT_TYPE, metrics_text
from t32sim.server.pacer import MAX_SPEED, MIN_SPEED
from t32sim.server.schema import (APPLY_BODY, COMMAND_ERRORS, PROXY_RESPONSES, READ_ERRORS,
                                  SELECT_RESPONSES, one_of)
from t32sim.server.security import Caller, require_caller
from t32sim.spec import ServiceSpec, describe_object
from t32sim.web import ApiError, error_responses

__all__ = ["router", "traffic_router"]

router = APIRouter()
traffic_router = APIRouter()      # the per-request hot paths, matched first

SERVICE_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
MAX_COUNT = 1000
MAX_RPS = 1_000_000.0
MAX_JUMP = 86_400.0

Service = Annotated[str, Query(min_length=1, max_length=63, pattern=SERVICE_PATTERN,
                               description="Service name (metadata.name), e.g. `api`.")]
Mutating = Annotated[Caller, Depends(require_caller)]


async def get_live(request: Request) -> LiveCluster:
    return request.app.state.live


Live = Annotated[LiveCluster, Depends(get_live)]


# ---- reading (no side effects) --------------------------------------------------------
@router.get("/healthz", tags=["server"], summary="Liveness and pacing status")
async def healthz(live: Live) -> dict[str, Any]:
    return {"ok": True, "time": live.cluster.now, "seed": live.cluster.seed,
            **live.server_info(), "services": len(live.cluster.services()),
            "journal": live.journal_length(), "resumed": live.resumed_commands,
            "sse": live.hub.stats()}


@router.get("/state", tags=["cluster"], summary="The whole cluster state (JSON snapshot)")
async def state(live: Live) -> JSONResponse:
    return JSONResponse(live.cluster.snapshot())


@router.get("/metrics", tags=["cluster"], summary="Prometheus metrics",
            response_class=PlainTextResponse)
async def metrics(live: Live) -> PlainTextResponse:
    return PlainTextResponse(metrics_text(live), media_type=CONTENT_TYPE)


@router.get("/journal", tags=["server"],
            summary="The command journal as a replayable scenario file")
async def journal(live: Live) -> JSONResponse:
    return JSONResponse(live.journal.scenario(), headers={
        "Content-Disposition": 'attachment; filename="t32sim-journal.json"'})


@router.get("/history", tags=["cluster"], responses=READ_ERRORS,
            summary="Chart samples of a service, one per simulated second (last 10 min)")
async def history(live: Live, service: Service) -> dict[str, Any]:
    live.known_service(service)
    return {"service": service, "samples": live.samples.series(service)}


@router.get("/spec", tags=["cluster"], responses=READ_ERRORS,
            summary="The applied spec of a service, as YAML (defaults filled in)")
async def spec(live: Live, service: Service) -> dict[str, Any]:
    applied = live.known_service(service)
    return {"service": service, "yaml": yaml.safe_dump(applied.to_dict(), sort_keys=False)}


# ---- commands -------------------------------------------------------------------------
@router.post("/apply", tags=["commands"], openapi_extra=APPLY_BODY,
             responses=error_responses(400, 401, 403, 413, 415, 422),
             summary="Apply a spec or manifests (YAML or JSON body)")
async def apply(request: Request, live: Live, caller: Mutating) -> dict[str, Any]:
    raw = await read_body(request, request.app.state.settings.max_body_bytes)
    doc = parse_spec_body(raw, request.headers.get("content-type"))
    applied, message = live.apply(doc, actor=caller.actor, source=caller.source)
    if isinstance(applied, ServiceSpec):
        return {"ok": True, "service": applied.name, "image": applied.image,
                "replicas": applied.replicas, "message": message, "time": live.cluster.now}
    return {"ok": True, "applied": [describe_object(obj) for obj in applied],
            "message": message, "time": live.cluster.now}


@router.post("/chaos/kill", tags=["commands"], responses=COMMAND_ERRORS,
             summary="Chaos: kill pods of a service")
async def chaos_kill(live: Live, caller: Mutating, service: Service,
                     count: Annotated[int, Query(ge=1, le=MAX_COUNT)] = 1) -> dict[str, Any]:
    killed = live.command("kill", {"service": service, "count": count},
                          actor=caller.actor, source=caller.source)
    return {"ok": True, "service": service, "killed": killed, "time": live.cluster.now}


@router.post("/scale", tags=["commands"], responses=COMMAND_ERRORS,
             openapi_extra=one_of("change", "delta", "replicas"),
             summary="Scale by delta (±1) or to replicas: exactly one of the two")
async def scale(live: Live, caller: Mutating, service: Service,
                delta: Annotated[int | None, Query(ge=-MAX_COUNT, le=MAX_COUNT)] = None,
                replicas: Annotated[int | None, Query(ge=0, le=MAX_COUNT)] = None
                ) -> dict[str, Any]:
    if (delta is None) == (replicas is None):
        raise ApiError(422, "invalid_parameter", "Give exactly one of delta or replicas.",
                       "delta")
    args = {"service": service, **({"delta": delta} if delta is not None
                                   else {"replicas": replicas})}
    target = live.command("scale", args, actor=caller.actor, source=caller.source)
    return {"ok": True, "service": service, "replicas": target, "time": live.cluster.now}


@router.post("/load", tags=["commands"], responses=COMMAND_ERRORS,
             openapi_extra=one_of("offered", "cpu", "rps"),
             summary="Set the offered load: CPU percent or rps, exactly one of the two")
async def load(live: Live, caller: Mutating, service: Service,
               cpu: Annotated[float | None, Query(
                   ge=0, le=MAX_CPU_PERCENT, allow_inf_nan=False,
                   description="Average CPU percent of the pods' CPU request (above 100 "
                               "when pods use more than they request, as with 200m)")] = None,
               rps: Annotated[float | None, Query(ge=0, le=MAX_RPS, allow_inf_nan=False,
                                                  description="Requests per second")] = None
               ) -> dict[str, Any]:
    if (cpu is None) == (rps is None):
        raise ApiError(422, "invalid_parameter", "Give exactly one of cpu or rps.", "cpu")
    args = {"service": service, **({"cpu": cpu} if cpu is not None else {"rps": rps})}
    message = live.set_load(args, actor=caller.actor, source=caller.source)
    return {"ok": True, "service": service, **args, "message": message,
            "time": live.cluster.now}


@router.post("/promote", tags=["commands"], responses=COMMAND_ERRORS,
             summary="Promote a paused Canary (full: skip all steps) or switch a BlueGreen")
async def promote(live: Live, caller: Mutating, service: Service,
                  full: Annotated[bool, Query()] = False) -> dict[str, Any]:
    args: dict[str, Any] = {"service": service, **({"full": True} if full else {})}
    result = live.command("promote", args, actor=caller.actor, source=caller.source)
    return {"ok": True, "service": service, "result": _plain(result), "time": live.cluster.now}


@router.post("/undo", tags=["commands"], responses=COMMAND_ERRORS,
             summary="Roll back: a previous revision's pod template rolls out as the newest revision",
             description="As `kubectl rollout undo`: undoing revision 2 to 1 serves revision 3 "
                         "(the old template, renumbered). The answer's `revision` is the one "
                         "whose template comes back, `new_revision` the number it now has.")
async def undo(live: Live, caller: Mutating, service: Service,
               to_revision: Annotated[int | None, Query(ge=1, le=1_000_000)] = None
               ) -> dict[str, Any]:
    args: dict[str, Any] = {"service": service}
    if to_revision is not None:
        args["to_revision"] = to_revision
    restored, becomes, message = live.undo(args, actor=caller.actor, source=caller.source)
    return {"ok": True, "service": service, "revision": restored, "new_revision": becomes,
            "message": message, "time": live.cluster.now}


@traffic_router.post("/send", tags=["traffic"], responses=COMMAND_ERRORS,
                     summary="Send many requests through the load balancer at once")
async def send(live: Live, caller: Mutating, service: Service,
               count: Annotated[int, Query(ge=1, le=100_000)] = 20,
               path: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^/")] = "/"
               ) -> dict[str, Any]:
    result = live.command("send", {"service": service, "count": count, "path": path},
                          actor=caller.actor, source=caller.source)
    return {"ok": True, "service": service, **_plain(result), "time": live.cluster.now}


# ---- pacing ---------------------------------------------------------------------------
PACING_ERRORS = error_responses(401, 403, 422)


@router.post("/speed", tags=["server"], responses=PACING_ERRORS,
             summary="Simulated seconds per wall-clock second (kept across a restart)")
async def speed(live: Live, caller: Mutating,
                value: Annotated[float, Query(ge=MIN_SPEED, le=MAX_SPEED, allow_inf_nan=False)]
                ) -> dict[str, Any]:
    live.set_speed(value)
    return {"ok": True, **live.server_info(), "time": live.cluster.now}


@router.post("/pause", tags=["server"], responses=PACING_ERRORS,
             summary="Stop simulated time (commands still work)")
async def pause(live: Live, caller: Mutating) -> dict[str, Any]:
    live.pause()
    return {"ok": True, **live.server_info(), "time": live.cluster.now}


@router.post("/resume", tags=["server"], responses=PACING_ERRORS,
             summary="Let simulated time flow again")
async def resume(live: Live, caller: Mutating) -> dict[str, Any]:
    live.resume()
    return {"ok": True, **live.server_info(), "time": live.cluster.now}


@router.post("/advance", tags=["server"], responses=PACING_ERRORS,
             summary="Jump simulated time forward by some seconds (also while paused)")
async def advance(live: Live, caller: Mutating,
                  seconds: Annotated[float, Query(gt=0, le=MAX_JUMP, allow_inf_nan=False)]
                  ) -> dict[str, Any]:
    live.run_for(seconds, actor=caller.actor)
    return {"ok": True, **live.server_info(), "time": live.cluster.now}


# ---- traffic (mutating: the round robin moves on, each pick is journaled) --------------
@traffic_router.get("/lb/select", tags=["traffic"], responses=SELECT_RESPONSES,
                    summary="Which Ready pod the load balancer picks next (the round robin "
                            "moves on; needs the API key)")
async def lb_select(request: Request, caller: Mutating, service: Service) -> JSONResponse:
    live = request.app.state.live
    pod = live.command("select", {"service": service, "count": 1},
                       actor=caller.actor, source=caller.source)
    if pod is None:
        return JSONResponse({"error": "no_ready_pods", "field": "service",
                             "detail": f"No pod of {service} is Ready to take traffic."},
                            status_code=503, headers={"X-Simulated": "true"})
    return JSONResponse({"service": service, **_pod_fields(pod)})


_PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]


async def proxy(request: Request, caller: Mutating, service: Service, path: str) -> Response:
    live = request.app.state.live
    answer = live.command("request", {"service": service, "path": "/" + path, "count": 1},
                          actor=caller.actor, source=caller.source)
    body = {"service": service, "path": "/" + path, "status": answer.status,
            "pod": answer.pod, "version": answer.version, "latency": answer.latency}
    headers = {"X-Simulated": "true"}
    if answer.pod is not None:
        headers["X-Pod"] = str(answer.pod)
    if answer.version is not None:
        headers["X-Version"] = str(answer.version)
    return JSONResponse(body, status_code=answer.status, headers=headers)


for _method in _PROXY_METHODS:
    traffic_router.add_api_route(
        "/proxy/{path:path}", proxy, methods=[_method], tags=["traffic"],
        operation_id=f"proxy_{_method.lower()}", include_in_schema=_method in ("GET", "POST"),
        responses=PROXY_RESPONSES,
        summary="A request answered by the pod the load balancer selects (needs the API key)")


def _pod_fields(pod: Any) -> dict[str, Any]:
    fields = pod.to_dict() if hasattr(pod, "to_dict") else {"name": str(pod)}
    return {"pod": fields.get("name"), "version": fields.get("version"),
            "revision": fields.get("revision"), "phase": fields.get("phase"),
            "status": fields.get("status", fields.get("phase"))}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
