"""Record the output of every README command on one simulated demo store, and compare two recordings.

Used to check that a refactoring changes where code lives, not what it computes::

    python benchmarks/compare_outputs.py record /tmp/before      # on the old commit
    python benchmarks/compare_outputs.py record /tmp/after       # on the new one
    python benchmarks/compare_outputs.py compare /tmp/before /tmp/after

``record`` simulates a small store (fixed seed), loads it into a fresh workspace with ``siyu ingest``, runs each
README command with ``--format json`` (or ``csv`` for per-user outputs) through the installed ``siyu`` console
script, and writes one file per command. ``compare`` prints the commands whose output differs and exits 1 if any
does (the ones a change was asked for are listed with ``--expect NAME``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TABLES = ["users", "products", "orders", "order_items", "events", "follows", "memberships", "reach_log"]

#: name -> arguments of ``siyu`` (after ``-w WORKSPACE``); {T} is the snapshot date, {T30} 30 days earlier, …
COMMANDS: dict[str, list[str]] = {
    "tables": ["tables", "--format", "json"],
    "summary": ["summary", "--format", "json"],
    "aipl": ["aipl", "--as-of", "{T}", "--format", "json"],
    "aipl_from": ["aipl", "--from", "{T30}", "--as-of", "{T}", "--format", "json"],
    "aipl_per_user": ["aipl", "--per-user", "--as-of", "{T}", "--format", "csv"],
    "fast": ["fast", "--format", "json"],
    "pools_per_user": ["pools", "--per-user", "--format", "csv"],
    "pools": ["pools", "--format", "json"],
    "pools_from": ["pools", "--from", "{T28}", "--format", "json"],
    "ucmv": ["ucmv", "--format", "json"],
    "ucmv_per_user": ["ucmv", "--per-user", "--format", "csv"],
    "rfm": ["rfm", "--format", "json"],
    "rfm_per_user": ["rfm", "--per-user", "--format", "csv"],
    "grow": ["grow", "--from", "{T90}", "--as-of", "{T}", "--format", "json"],
    "gain": ["gain", "--as-of", "{T}", "--format", "json"],
    "gain_baseline": ["gain", "--mode", "baseline", "--format", "json"],
    "link": ["link", "--format", "json"],
    "clv_fit": ["clv", "fit", "--model", "bgnbd", "--calibration-end", "{T90}", "--holdout-end", "{T}",
                "--time-unit", "W", "--format", "json"],
    "clv_predict": ["clv", "predict", "--horizon", "365D", "--format", "json"],
    "config": ["config"],
    "autobid_bench": ["autobid", "bench", "--seeds", "1", "--impressions", "5000", "--profiles",
                      "normal/mid/roi,hot/low/budget", "--format", "json"],
}


def _siyu() -> list[str]:
    exe = shutil.which("siyu", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "siyu"]


def record(out: Path, users: int, seed: int) -> None:
    """Simulate, load and run every command; one output file per command in ``out``."""
    import datetime as dt

    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    with tempfile.TemporaryDirectory(prefix="siyu-compare-") as tmp:
        data, ws = Path(tmp) / "data", Path(tmp) / "ws"
        subprocess.run([*_siyu(), "simulate", "--users", str(users), "--days", "365", "--seed", str(seed),
                        "--out", str(data)], check=True, env=env, capture_output=True)
        digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(data.iterdir())
                  if p.suffix != ".parquet"}
        (out / "simulate_truth.json").write_text(json.dumps(digest, indent=1, sort_keys=True))
        subprocess.run([*_siyu(), "-w", str(ws), "init"], check=True, env=env, capture_output=True)
        for t in TABLES:
            subprocess.run([*_siyu(), "-w", str(ws), "ingest", t, str(data / f"{t}.parquet"), "--format", "json"],
                           check=True, env=env, capture_output=True)
        s = json.loads(subprocess.run([*_siyu(), "-w", str(ws), "summary", "--format", "json"], check=True,
                                      env=env, capture_output=True, text=True).stdout)
        t = dt.date.fromisoformat(s["as_of"])
        dates = {"{T}": t, "{T28}": t - dt.timedelta(days=28), "{T30}": t - dt.timedelta(days=30),
                 "{T90}": t - dt.timedelta(days=90)}
        for name, args in COMMANDS.items():
            args = [str(dates.get(a, a)) for a in args]
            r = subprocess.run([*_siyu(), "-w", str(ws), *args], env=env, capture_output=True, text=True)
            text = r.stdout if r.returncode == 0 else f"exit {r.returncode}\n{r.stderr}"
            if name == "config":  # the workspace path differs from run to run
                text = text.replace(str(ws), "WS")
            (out / f"{name}.out").write_text(text)
            print(f"{name:<16} exit {r.returncode}  {len(text):>9,} chars", flush=True)


def compare(a: Path, b: Path, expect: set[str]) -> int:
    """Print which recorded outputs differ; 1 if any differs that was not expected to."""
    bad = 0
    for pa in sorted(a.iterdir()):
        pb = b / pa.name
        name = pa.stem
        if not pb.exists():
            print(f"{name:<16} missing in {b}")
            bad += 1
            continue
        same = _normalised(pa) == _normalised(pb)
        tag = "same" if same else ("changed (expected)" if name in expect else "CHANGED")
        bad += 0 if same or name in expect else 1
        print(f"{name:<16} {tag}")
    return 1 if bad else 0


def _normalised(p: Path):
    text = p.read_text()
    try:
        obj = json.loads(text)
    except ValueError:
        if p.name.endswith("per_user.out"):  # per-user rows come in no particular order
            head, *rows = text.splitlines()
            return [head, *sorted(rows)]
        return text
    return _drop_timing(obj)


def _drop_timing(obj):
    """Wall-clock fields (``seconds``, ``*_s``) differ from run to run: drop them."""
    if isinstance(obj, dict):
        return {k: _drop_timing(v) for k, v in obj.items() if k != "seconds" and not k.endswith("_seconds")}
    if isinstance(obj, list):
        return [_drop_timing(v) for v in obj]
    return obj


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("out", type=Path)
    r.add_argument("--users", type=int, default=3000)
    r.add_argument("--seed", type=int, default=11)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--expect", action="append", default=[], help="a command whose output was meant to change")
    args = ap.parse_args()
    if args.cmd == "record":
        record(args.out, args.users, args.seed)
        return 0
    return compare(args.a, args.b, set(args.expect))


if __name__ == "__main__":
    sys.exit(main())
