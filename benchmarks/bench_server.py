"""Benchmark: read routes of the HTTP API over the 200k-user demo store, under a bounded load on 127.0.0.1.

    python benchmarks/bench_server.py --requests 2000 --concurrency 8

The issue's target: a read route over the 200k-user demo store answers in < 100 ms p95 warm, and the server
sustains ≥ 200 requests/s on 2 cores.

The store is the demo's (``siyu.pipeline.demo.run_demo``: simulated, loaded, CLV predicted, audiences saved),
built once in a child process into ``<dir>/root/<tenant>`` and reused by a later run with the same ``--users``,
``--days`` and ``--seed`` (``<dir>/bench.json`` records what it holds; ``--rebuild`` makes a new one). A key with
the ``read`` scope is created for the run (``siyu keys``' store, ``<dir>/root/siyu-keys.json``).

``siyu serve`` runs as a separate process (one uvicorn worker, as shipped) with a rate limit high enough never to
answer 429, so the load generator (httpx's async client, here) does not share the server's GIL. The server keeps
each tenant's workspace open, the audience profile of a date cached, and — when the code has it — the results of
read routes cached per tenant, route and parameters until the data change. So, per route:

* cold: the first request after the server started (computes the result; for the audience count, also the
  audience profile of the date);
* warm, same request: ``--latency-requests`` identical requests one after another (no concurrency): answered
  from the server's caches;
* warm, new parameters: ``--miss-requests`` requests one after another, each with parameters not asked before
  (``as_of`` one day earlier each time for the summaries; another event window for the audience count, on the
  cached profile): the result computed again, the price of a cache miss;
* load: ``--requests`` identical requests with ``--concurrency`` in flight at any time (a closed loop):
  requests/s and the latency percentiles a client sees under that load (queueing in the server included); a
  route slower than ``--max-seconds`` stops early and says how many requests it sent.

Every answer must be 200 (anything else counts as an error). The server's CPU time per request comes from
``/proc/<pid>/stat`` (the server process and its threads: uvicorn, the thread pool, DuckDB's threads). It
prints the runs, then a Markdown section for BENCHMARKS.md: the command line, the code's commit, the machine,
the data sizes and a table of the routes beside the target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: the audience of the count route: the demo's 高意向潜客 (a pool and a 30-day event window)
AUDIENCE = "customer_pool = 潜客 and event.add_cart(30d) >= 1"

#: the count's query with another event window (days), for requests the result cache cannot answer
AUDIENCE_MISS = "customer_pool = 潜客 and event.add_cart({days}d) >= 1"

#: route name -> (method, path under /api/v1/{tenant}, JSON body)
ROUTES: dict[str, tuple[str, str, Any]] = {
    "aipl": ("GET", "/aipl", None),
    "pools": ("GET", "/pools", None),
    "summary": ("GET", "/summary", None),
    "audiences/count": ("POST", "/audiences/count", {"query": AUDIENCE}),
    "fast": ("GET", "/fast", None),
    "ucmv": ("GET", "/ucmv", None),
    "rfm": ("GET", "/rfm", None),
    "tables": ("GET", "/tables", None),
    "clv": ("GET", "/clv", None),
    "gain": ("GET", "/gain", None),
    "link": ("GET", "/link", None),
}
DEFAULT_ROUTES = "aipl,pools,summary,audiences/count"
TARGET_P95_MS, TARGET_RPS = 100.0, 200.0


# -- the store ----------------------------------------------------------------------------------------------------
def build_store(args: argparse.Namespace) -> tuple[Path, float | None]:
    """The server root holding the tenant, and the build time in seconds (None when reused)."""
    root = args.dir / "root"
    ws = root / args.tenant
    manifest = args.dir / "bench.json"
    want = {"users": args.users, "days": args.days, "seed": args.seed, "tenant": args.tenant}
    if args.rebuild:
        shutil.rmtree(root, ignore_errors=True)
        manifest.unlink(missing_ok=True)
    if (ws / "siyu.duckdb").exists():
        have = json.loads(manifest.read_text()) if manifest.exists() else {}
        if {k: have.get(k) for k in want} == want:
            print(f"reusing the store in {ws} ({args.users:,} users, {args.days} days, seed {args.seed})", flush=True)
            return root, None
        sys.exit(f"{ws} holds another store ({have or 'unknown'}); pass --rebuild or another --dir")
    root.mkdir(parents=True, exist_ok=True)
    print(f"building the demo store in {ws} ({args.users:,} users, {args.days} days, seed {args.seed}) …", flush=True)
    code = ("import sys; from siyu.pipeline.demo import run_demo; "
            "run_demo(sys.argv[1], users=int(sys.argv[2]), days=int(sys.argv[3]), seed=int(sys.argv[4]))")
    t0 = time.perf_counter()
    # a child process: the store's DuckDB file is free again for the server when it exits
    subprocess.run([sys.executable, "-c", code, str(ws), str(args.users), str(args.days), str(args.seed)],
                   check=True)
    built = time.perf_counter() - t0
    manifest.write_text(json.dumps(want | {"built_s": round(built, 1)}))
    print(f"built in {built:.1f} s", flush=True)
    return root, built


# -- the server ---------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, port: int, log: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "siyu", "serve", "--root", str(root), "--host", "127.0.0.1", "--port", str(port),
           "--rate-limit", "1000000/minute"]
    out = log.open("w")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    import httpx

    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"siyu serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(proc)
    sys.exit(f"siyu serve did not answer within 60 s:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # uvicorn shuts down (and the app closes its workspaces) on SIGINT
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` and its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- the load -----------------------------------------------------------------------------------------------------
async def one(client: Any, method: str, url: str, body: Any) -> tuple[float, int | str]:
    t0 = time.perf_counter()
    try:
        r = await client.request(method, url, json=body)
        await r.aread()
        status: int | str = r.status_code
    except Exception as exc:  # noqa: BLE001 - a failed request is counted, not fatal
        status = type(exc).__name__
    return time.perf_counter() - t0, status


def miss_request(route: str, i: int, last_date: str) -> tuple[str, str, Any] | None:
    """The ``i``-th request (i ≥ 1) of ``route`` with parameters not asked before, or None when the route takes
    none (``/tables``, ``/clv``)."""
    import datetime as dt

    method, path, body = ROUTES[route]
    if route == "audiences/count":
        return method, path, {"query": AUDIENCE_MISS.format(days=30 + i)}
    if route in ("tables", "clv"):
        return None
    day = dt.date.fromisoformat(last_date[:10]) - dt.timedelta(days=i)
    return method, f"{path}?as_of={day.isoformat()}", body


async def sequential(base: str, key: str, requests: list[tuple[str, str, Any]]) -> list[tuple[float, int | str]]:
    import httpx

    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=300) as client:
        return [await one(client, method, path, body) for method, path, body in requests]


async def load(base: str, key: str, route: str, n: int, concurrency: int, max_s: float
               ) -> tuple[list[tuple[float, int | str]], float]:
    """``n`` requests, ``concurrency`` in flight (closed loop); the results and the wall time."""
    import httpx

    method, path, body = ROUTES[route]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results: list[tuple[float, int | str]] = []
    sent = 0
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120,
                                 limits=limits) as client:
        t0 = time.perf_counter()
        stop_at = t0 + max_s

        async def worker() -> None:
            nonlocal sent
            while sent < n and time.perf_counter() < stop_at:
                sent += 1
                results.append(await one(client, method, path, body))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return results, wall


def pct(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * len(s) + 0.5) - 1))]


def stats(results: list[tuple[float, int | str]]) -> dict[str, Any]:
    if not results:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan"),
                "mean": float("nan"), "errors": 0, "error_kinds": {}}
    lat = [t * 1000 for t, _ in results]
    errors: dict[str, int] = {}
    for _, status in results:
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
    return {"n": len(results), "p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99), "max": max(lat),
            "mean": statistics.fmean(lat), "errors": sum(errors.values()), "error_kinds": errors}


# -- the report ---------------------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    from machine import machine as base

    try:
        from siyu import __version__ as siyu_version
    except ImportError:
        siyu_version = "?"
    return {**base(("fastapi", "uvicorn", "starlette", "httpx", "duckdb")), "siyu": siyu_version}


def ms(v: float) -> str:
    if math.isnan(v):  # not measured
        return "–"
    return f"{v:.1f}" if v < 1000 else f"{v:,.0f}"


def code_version() -> str:
    """The commit of the code served, and whether src/ had uncommitted changes."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "src"], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + (f" + uncommitted changes in {len(dirty.splitlines())} file(s) of src/" if dirty else "")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, default=Path("/tmp/siyu-bench-server"))
    p.add_argument("--users", type=int, default=200_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--tenant", default="demo")
    p.add_argument("--rebuild", action="store_true", help="build the store again even when --dir holds it")
    p.add_argument("--routes", default=DEFAULT_ROUTES, help=f"comma-separated, of: {', '.join(ROUTES)}")
    p.add_argument("--requests", type=int, default=2000, help="requests per route under load")
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight under load")
    p.add_argument("--latency-requests", type=int, default=100, help="sequential identical warm requests per route")
    p.add_argument("--miss-requests", type=int, default=20,
                   help="sequential requests per route, each with new parameters (result cache misses)")
    p.add_argument("--max-seconds", type=float, default=180.0, help="stop a route's load after this long")
    p.add_argument("--port", type=int, default=0, help="port of the server (0: a free one)")
    args = p.parse_args()
    routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    unknown = [r for r in routes if r not in ROUTES]
    if unknown:
        p.error(f"unknown routes {unknown}; choose from {', '.join(ROUTES)}")
    args.dir.mkdir(parents=True, exist_ok=True)
    cmdline = ("python benchmarks/bench_server.py " + shlex.join(sys.argv[1:])).strip()
    version = code_version()
    t_start = time.perf_counter()

    import httpx

    from siyu.server.keys import KeyStore

    root, built = build_store(args)
    key, rec = KeyStore(root).create(args.tenant, "read", f"bench-server-{int(time.time())}")
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}/api/v1/{args.tenant}"
    proc = start_server(root, port, args.dir / "server.log")
    rows: list[dict[str, Any]] = []
    try:
        t0 = time.perf_counter()
        tables = httpx.get(f"{base}/tables", headers={"Authorization": f"Bearer {key}"}, timeout=300)
        tables.raise_for_status()
        sizes = {name: t.get("rows") for name, t in tables.json().items() if isinstance(t, dict)}
        print(f"server pid {proc.pid} on 127.0.0.1:{port}; first request (open the workspace) "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms; rows: "
              + ", ".join(f"{k} {v:,}" for k, v in sizes.items() if isinstance(v, int)), flush=True)
        last_date: str | None = None
        for route in routes:
            method, path, body = ROUTES[route]
            t0 = time.perf_counter()
            r = httpx.request(method, f"{base}{path}", json=body, headers={"Authorization": f"Bearer {key}"},
                              timeout=300)
            cold = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                sys.exit(f"{method} {path}: {r.status_code} {r.text[:500]}")
            last_date = last_date or r.json().get("as_of") or httpx.get(
                f"{base}/aipl", headers={"Authorization": f"Bearer {key}"}, timeout=300).json()["as_of"]
            seq = stats(asyncio.run(sequential(base, key, [ROUTES[route]] * args.latency_requests)))
            misses = [m for i in range(1, args.miss_requests + 1) if (m := miss_request(route, i, last_date))]
            miss = stats(asyncio.run(sequential(base, key, misses)))
            cpu0 = cpu_seconds(proc.pid)
            client_cpu0 = time.process_time()
            results, wall = asyncio.run(load(base, key, route, args.requests, args.concurrency, args.max_seconds))
            server_cpu = cpu_seconds(proc.pid) - cpu0
            client_cpu = time.process_time() - client_cpu0
            st = stats(results)
            row = {"route": route, "method": method, "path": f"/api/v1/{{tenant}}{path}", "cold_ms": cold,
                   "seq": seq, "miss": miss, "load": st, "wall": wall, "rps": st["n"] / wall,
                   "server_cpu_ms_per_req": 1000 * server_cpu / max(1, st["n"]),
                   "server_cores_busy": server_cpu / wall, "client_cores_busy": client_cpu / wall,
                   "bytes": len(r.content), "stopped_early": st["n"] < args.requests}
            rows.append(row)
            print(f"{method} {row['path']}: cold {cold:.0f} ms · same request x{seq['n']}: p50 {ms(seq['p50'])} "
                  f"p95 {ms(seq['p95'])} p99 {ms(seq['p99'])} ms, errors {seq['errors']} · new parameters "
                  f"x{miss['n']}: p50 {ms(miss['p50'])} p95 {ms(miss['p95'])} max {ms(miss['max'])} ms, errors "
                  f"{miss['errors']} · load {st['n']} req @ "
                  f"{args.concurrency}: {row['rps']:.1f} req/s, p50 {ms(st['p50'])} p95 {ms(st['p95'])} p99 "
                  f"{ms(st['p99'])} max {ms(st['max'])} ms, errors {st['errors']}"
                  f"{' ' + json.dumps(st['error_kinds']) if st['errors'] else ''} · server CPU "
                  f"{row['server_cpu_ms_per_req']:.1f} ms/req ({row['server_cores_busy']:.2f} cores), client "
                  f"{row['client_cores_busy']:.2f} cores · response {row['bytes']:,} B"
                  f"{' · STOPPED EARLY at --max-seconds' if row['stopped_early'] else ''}", flush=True)
        rss = rss_mib(proc.pid)
    finally:
        stop_server(proc)
        KeyStore(root).revoke(rec.id)
    total = time.perf_counter() - t_start

    m = machine()
    print()
    print("## HTTP API: read routes under load (`benchmarks/bench_server.py`)")
    print()
    print(f"`{cmdline}`: one `siyu serve` process (uvicorn, one worker) on 127.0.0.1, the load generator (httpx "
          f"async client) in another process on the same machine.")
    print()
    print(f"* Machine: {m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['os']}")
    print(f"* Code: siyu {m['siyu']} at commit {version}")
    print(f"* Python {m['python']}, FastAPI {m['fastapi']}, Starlette {m['starlette']}, "
          f"uvicorn {m['uvicorn']}, httpx {m['httpx']}, DuckDB {m['duckdb']}")
    print(f"* Store: the demo's, {args.users:,} users, {args.days} days, seed {args.seed}"
          + (f" (built in {built:.0f} s)" if built is not None else " (reused)") + ": "
          + ", ".join(f"{k} {v:,}" for k, v in sizes.items() if isinstance(v, int)) + " rows")
    print(f"* Per route: one cold request, {args.latency_requests} identical sequential requests, "
          f"{args.miss_requests} sequential requests with new parameters, then {args.requests} identical requests "
          f"with {args.concurrency} in flight; server RSS at the end {rss:,.0f} MiB; whole run {total:.0f} s")
    print(f"* `audiences/count` body: `{json.dumps(ROUTES['audiences/count'][2], ensure_ascii=False)}`")
    print()
    c = args.concurrency
    print(f"| route | cold (ms) | same request p50 / p95 (ms) | new parameters p50 / p95 (ms) | req/s @ {c} "
          f"| p50 / p95 / p99 @ {c} (ms) | errors | server CPU / req @ {c} (ms) "
          f"| p95 < {TARGET_P95_MS:.0f} ms warm | ≥ {TARGET_RPS:.0f} req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|:-:|:-:|")
    for row in rows:
        seq, miss, st = row["seq"], row["miss"], row["load"]
        n_note = f" ({st['n']} sent)" if row["stopped_early"] else ""
        p95_ok = "yes" if seq["p95"] < TARGET_P95_MS else "no"
        if miss["n"]:
            p95_ok += " (new parameters: " + ("yes" if miss["p95"] < TARGET_P95_MS else "no") + ")"
        print(f"| `{row['method']} {row['path']}` | {ms(row['cold_ms'])} | {ms(seq['p50'])} / {ms(seq['p95'])} "
              f"| {ms(miss['p50'])} / {ms(miss['p95'])} | {row['rps']:.1f}{n_note} "
              f"| {ms(st['p50'])} / {ms(st['p95'])} / {ms(st['p99'])} | {st['errors'] + seq['errors'] + miss['errors']} "
              f"| {row['server_cpu_ms_per_req']:.1f} | {p95_ok} | {'yes' if row['rps'] >= TARGET_RPS else 'no'} |")
    print()
    print(f"Same request: answered from the server's caches. New parameters: each request asks what was not asked "
          f"before, so the route computes its result again (the audience profile of the date stays cached). Under "
          f"load ({c} clients in a closed loop, identical requests) the latency includes the wait for the server.")


if __name__ == "__main__":
    main()
