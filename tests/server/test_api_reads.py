"""GET requests only read: against a real server, no GET route writes to the SQLite file.

The routes come from the app itself, so a new GET route is covered (or the test asks for
a value of its parameter). The mutating GETs, ``/lb/select`` and ``/proxy/...``, are
journaled by design and left out by the server's own rule (``security.is_mutating``).
"""
from __future__ import annotations

import contextlib
import sqlite3

from starlette.routing import Mount

from t32sim.server import ServerSettings, create_app
from t32sim.server.security import is_mutating

from .helpers import EXAMPLES, wait_for

#: a value for each parameter a GET route requires
VALUES = {"service": "api", "name": "api-autoscale.yaml", "path": "x"}
#: besides each route once: answers that are errors (they must not write either)
ERRORS = ["/history?service=ghost", "/spec?service=Not_a_name", "/examples/none.yaml",
          "/static/none.js", "/nowhere"]


def every_route(routes, prefix: str = ""):
    """``(prefix, route)`` for every route, inside included routers too (FastAPI >= 0.13x
    keeps an included router whole in ``app.routes``)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is None:
            yield prefix, route
        else:
            yield from every_route(included.routes, prefix + route.include_context.prefix)


def read_routes() -> tuple[list[str], list[str]]:
    """Every GET the app answers that is not mutating (with its required parameters
    filled in), and the mutating GETs left out."""
    app = create_app(ServerSettings(), pace=False)
    schema = app.openapi()["paths"]
    reads, mutating = [], []
    for prefix, route in every_route(app.routes):
        if isinstance(route, Mount):
            directory = route.app.directory
            first = sorted(p.name for p in directory.iterdir() if p.is_file())[0]
            reads.append(f"{prefix}{route.path}/{first}")
            continue
        if "GET" not in (getattr(route, "methods", None) or ()):
            continue
        params = schema.get(prefix + route.path_format, {}).get("get", {}).get("parameters", [])
        required = [p["name"] for p in params if p.get("required")]
        missing = [p for p in required if p not in VALUES]
        assert not missing, f"GET {route.path}: add a value for {missing} to VALUES"
        path = prefix + route.path_format.format(**{n: VALUES[n] for n in route.param_convertors})
        query = "&".join(f"{p}={VALUES[p]}" for p in required if p not in route.param_convertors)
        url = path + (f"?{query}" if query else "")
        (mutating if is_mutating({"method": "GET", "path": path}) else reads).append(url)
    return reads, mutating


def written(db) -> tuple:
    """What would show a write: the other connections' commits, every row, the files."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {table: conn.execute(f"SELECT * FROM {table}").fetchall() for table in tables}
    files = {path.name: (path.stat().st_size, path.stat().st_mtime_ns)
             for path in (db, db.with_name(db.name + "-wal")) if path.exists()}
    return rows, files


def audited(db) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'http.post'").fetchone()[0]


def test_no_get_route_writes_to_the_database(serve, tmp_path):
    db = tmp_path / "live.db"
    server = serve("--db", str(db), "--paused", "--seed", "3",
                   "--apply", str(EXAMPLES / "api-autoscale.yaml"))
    http = server.http
    assert http.post("/advance?seconds=40").status_code == 200      # pods, samples, events
    assert http.post("/load?service=api&cpu=90").status_code == 200
    assert http.post("/advance?seconds=20").status_code == 200      # an HPA decision
    # the audit row of a request is written once its answer is sent: wait for the last
    wait_for(lambda: audited(db) == 3, 10, "the three POSTs' audit rows")
    reads, mutating = read_routes()
    assert sorted(mutating) == ["/lb/select?service=api", "/proxy/x?service=api"]
    assert {"/", "/state", "/events", "/metrics", "/healthz", "/journal",
            "/history?service=api", "/docs", "/openapi.json"} <= set(reads)

    watcher = sqlite3.connect(db)       # PRAGMA data_version moves when another one commits
    version = watcher.execute("PRAGMA data_version").fetchone()[0]
    before = written(db)
    assert before[0]["commands"] and before[0]["audit"]
    for url in reads + ERRORS:
        if url == "/events":
            with http.stream("GET", url, timeout=10) as stream:
                assert stream.status_code == 200
                for line in stream.iter_lines():
                    if line.startswith("event: snapshot"):
                        break
            continue
        answer = http.get(url)
        assert answer.status_code < 500, (url, answer.status_code, answer.text[:200])
        assert (answer.status_code < 400) == (url not in ERRORS), (url, answer.status_code)
    assert http.get("/healthz").json()["paused"] is True
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == version
    assert written(db) == before
    # and the watch sees a write: a command (it did not before web.create_private stopped
    # opening the file, which dropped the server's locks: the first reader to close here
    # deleted the server's WAL and hid every later commit)
    assert http.post("/scale?service=api&delta=1").status_code == 200
    assert watcher.execute("PRAGMA data_version").fetchone()[0] != version
    assert written(db) != before
    watcher.close()
