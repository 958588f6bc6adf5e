"""Live-server benchmarks against bare baselines on the same machine.

1. ``GET /lb/select`` requests per second vs a bare FastAPI endpoint returning a pod.
2. ``GET /state`` with 1,000 pods vs a bare endpoint returning the same payload with
   ``json.dumps``.
3. 100 SSE clients: delivery lag (publish -> bytes received) percentiles.

Every server runs in its own process (uvicorn, asyncio loop, h11), the load comes from
raw keep-alive sockets in this process, so the client costs little. Lags compare
``time.monotonic()`` across processes (CLOCK_MONOTONIC is system wide on Linux).

    .venv/bin/python benchmarks/server.py [--seconds 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"lb": 0.5, "state": 0.5, "p99_ms": 100.0}


# ---- servers in child processes ---------------------------------------------------------
def serve_bare(payload_file: str) -> None:
    """The baseline: FastAPI with the two endpoints and nothing else."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import Response

    payload = json.loads(Path(payload_file).read_text())
    pod = payload["pods"][0]
    app = FastAPI()

    @app.get("/lb/select")
    async def select(service: str):
        return {"service": service, "pod": pod["name"], "version": pod["version"],
                "revision": pod["revision"], "phase": pod["phase"]}

    @app.get("/state")
    async def state():
        return Response(json.dumps(payload), media_type="application/json")

    run_uvicorn(uvicorn, app)


def run_uvicorn(uvicorn, app) -> None:
    from t32sim.server.launcher import bind_socket
    sock = bind_socket("127.0.0.1", 0)
    print(f"http://127.0.0.1:{sock.getsockname()[1]}/", flush=True)
    config = uvicorn.Config(app, log_level="warning", loop="asyncio", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def serve_sse() -> None:
    """A live server that records when each update is published; prints them on stdin EOF."""
    from t32sim.server import launch

    server = launch(port=0, speed=10, seed=1, paused=True, sse_queue=64)
    published: dict[int, float] = {}
    hub = server.live.hub
    publish = hub.publish

    def timed(*args):
        message = publish(*args)
        if message is not None:
            published[message.seq] = time.monotonic()
        return message

    hub.publish = timed
    print(server.url, flush=True)
    sys.stdin.read()
    stats = hub.stats()
    server.stop()
    print(json.dumps({"published": published, "stats": stats}), flush=True)


class Child:
    def __init__(self, *args: str, stdin: bool = False):
        self.proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, text=True,
                                     stdout=subprocess.PIPE,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL)
        line = self.proc.stdout.readline()
        while line and "http://" not in line:
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{args} did not start")
        self.url = line[line.index("http://"):].split()[0]
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


# ---- load generation -----------------------------------------------------------------------
async def hammer(port: int, path: str, seconds: float, connections: int) -> float:
    """Requests per second over ``connections`` keep-alive sockets for ``seconds``."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    deadline = time.monotonic() + seconds
    done = 0

    async def one() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < deadline:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"{path}: {head[:60]!r}")
                await reader.readexactly(length)
                done += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(connections)))
    return done / (time.monotonic() - started)


def best_of(port: int, path: str, seconds: float, connections: int, rounds: int = 2) -> float:
    return max(asyncio.run(hammer(port, path, seconds, connections)) for _ in range(rounds))


def compare(live_port: int, bare_port: int, path: str, seconds: float, connections: int,
            rounds: int = 5) -> tuple[float, float]:
    """Best of ``rounds`` for each server, measured in turns so both see the same noise."""
    live, bare = [], []
    for _ in range(rounds):
        live.append(asyncio.run(hammer(live_port, path, seconds, connections)))
        bare.append(asyncio.run(hammer(bare_port, path, seconds, connections)))
    return max(live), max(bare)


def post(url: str, path: str, body: bytes | None = None) -> dict:
    import httpx
    response = httpx.post(url + path.lstrip("/"), content=body, timeout=30,
                          headers={"Content-Type": "application/yaml"} if body else {})
    response.raise_for_status()
    return response.json()


def wait_ready(url: str, replicas: int, timeout: float = 120) -> None:
    import httpx
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(url + "state", timeout=30).json()["services"]["api"]["status"]
        if status["ready"] == replicas:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{replicas} pods not ready in time")


def spec(replicas: int) -> bytes:
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{ name: api }}\nspec:\n"
            f"  image: local://demo@v1\n  replicas: {replicas}\n"
            f"  readinessProbe: {{ httpGet: {{ path: /healthz }}, initialDelaySeconds: 1, "
            f"periodSeconds: 5 }}\n").encode()


# ---- SSE lag -------------------------------------------------------------------------------
async def sse_clients(port: int, clients: int, received: list[dict[int, float]],
                      stop: asyncio.Event) -> None:
    async def one(log: dict[int, float]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        buffer = b""
        try:
            while not stop.is_set():
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), 0.5)
                except asyncio.TimeoutError:
                    continue
                if not chunk:
                    return
                now = time.monotonic()
                buffer += chunk
                lines = buffer.split(b"\n")
                buffer = lines.pop()
                for line in lines:
                    if line.startswith(b"id: "):
                        log[int(line.rsplit(b"-", 1)[1])] = now
        finally:
            writer.close()

    await asyncio.gather(*(one(log) for log in received))


def sse_lag(clients: int = 100, seconds: float = 8.0) -> dict:
    import httpx
    child = Child(str(Path(__file__)), "--serve-sse", stdin=True)
    received: list[dict[int, float]] = [{} for _ in range(clients)]

    async def scenario() -> None:
        stop = asyncio.Event()
        readers = asyncio.create_task(sse_clients(child.port, clients, received, stop))
        # the commands go through a thread: a blocking call here would delay the readers
        def connected() -> int:
            return httpx.get(child.url + "healthz").json()["sse"]["clients"]

        while await asyncio.to_thread(connected) < clients:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(post, child.url, "/apply", spec(60))
        await asyncio.to_thread(post, child.url, "/resume")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await asyncio.sleep(1.0)
            await asyncio.to_thread(post, child.url, "/chaos/kill?service=api&count=5")
            await asyncio.to_thread(post, child.url, "/send?service=api&count=50")
        await asyncio.to_thread(post, child.url, "/pause")
        await asyncio.sleep(1.0)
        stop.set()
        await readers

    try:
        asyncio.run(scenario())
        child.proc.stdin.close()
        report = json.loads(child.proc.stdout.readline())
    finally:
        child.stop()
    published = {int(k): v for k, v in report["published"].items()}
    lags = sorted((at - published[seq]) * 1000 for log in received for seq, at in log.items()
                  if seq in published)
    missing = sum(1 for log in received for seq in published if seq > min(log, default=0)
                  and seq not in log)
    pick = lambda q: lags[min(len(lags) - 1, int(len(lags) * q))]   # noqa: E731
    return {"deliveries": len(lags), "updates": len(published), "missing": missing,
            "p50_ms": pick(0.5), "p99_ms": pick(0.99), "max_ms": lags[-1],
            "hub": report["stats"]}


# ---- main ----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="per measurement round")
    parser.add_argument("--serve-bare", metavar="PAYLOAD", help=argparse.SUPPRESS)
    parser.add_argument("--serve-sse", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return 0
    if args.serve_sse:
        serve_sse()
        return 0

    live = Child("-m", "t32sim.cli", "serve", "--port", "0", "--speed", "100", "--seed", "1",
                 "--log-level", "error")
    bare = None
    payload_file = Path(tempfile.mkstemp(suffix=".json")[1])
    try:
        post(live.url, "/apply", spec(3))
        wait_ready(live.url, 3)
        post(live.url, "/pause")
        import httpx
        payload_file.write_text(json.dumps(httpx.get(live.url + "state").json()))
        bare = Child(str(Path(__file__)), "--serve-bare", str(payload_file))
        lb_live, lb_bare = compare(live.port, bare.port, "/lb/select?service=api",
                                   args.seconds, 16)
        bare.stop()
        selects = [c for c in httpx.get(live.url + "journal", timeout=30).json()["commands"]
                   if c["verb"] == "select"]
        selected = sum(c["args"]["count"] for c in selects)

        post(live.url, "/resume")
        post(live.url, "/apply", spec(1000))
        wait_ready(live.url, 1000)
        post(live.url, "/pause")
        state = httpx.get(live.url + "state", timeout=30)
        payload_file.write_text(json.dumps(state.json()))
        size = len(state.content)
        bare = Child(str(Path(__file__)), "--serve-bare", str(payload_file))
        state_live, state_bare = compare(live.port, bare.port, "/state", args.seconds, 4)
    finally:
        live.stop()
        if bare is not None:
            bare.stop()
        payload_file.unlink(missing_ok=True)

    sse = sse_lag()
    lb_ratio, state_ratio = lb_live / lb_bare, state_live / state_bare
    print(f"GET /lb/select         t32sim {lb_live:8.0f} req/s   bare FastAPI {lb_bare:8.0f} req/s"
          f"   ratio {lb_ratio:.2f} (target >= {TARGETS['lb']})")
    print(f"  journal: {selected} /lb/select calls (paused) in {len(selects)} row(s)")
    print(f"GET /state (1000 pods) t32sim {state_live:8.1f} req/s   bare json.dumps "
          f"{state_bare:8.1f} req/s   ratio {state_ratio:.2f} (target >= {TARGETS['state']}); "
          f"{size / 1024:.0f} KiB each")
    print(f"SSE, 100 clients       {sse['deliveries']} deliveries of {sse['updates']} updates: "
          f"p50 {sse['p50_ms']:.1f} ms, p99 {sse['p99_ms']:.1f} ms, max {sse['max_ms']:.1f} ms "
          f"(target p99 < {TARGETS['p99_ms']:.0f} ms); missing {sse['missing']}; "
          f"skipped {sse['hub']['skipped']}, dropped {sse['hub']['dropped']}")
    ok = (lb_ratio >= TARGETS["lb"] and state_ratio >= TARGETS["state"]
          and sse["p99_ms"] < TARGETS["p99_ms"])
    print("targets met" if ok else "TARGETS MISSED")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
