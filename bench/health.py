"""Benchmark of the health engine: full recompute against a raw SQL floor, memory, edit → score.

    make bench-health                          # 10,000 programs × 20 milestones, and 1,000
    make bench-health ARGS="--programs 2000 --compare 500 --rounds 2"

Seeds a dedicated database per size once (``pulse_bench_health_<N>``, reused while it holds
N programs), then measures in a fresh process per size:
- the floor: one raw SQL aggregate over the same milestones and updates (fetched to Python);
- a full recompute (load, compute, write scores and snapshots), interleaved with the floor,
  median of --rounds (wall time, and CPU time: this process plus PostgreSQL), twice: "steady" (the run every 30 minutes: it loads every input, scores
  the programs whose inputs changed since today's snapshot and writes the few scores that
  changed) and "new day" (the day's first run: every program scored, every score and snapshot
  written); goal ≤ 10× the floor;
- the peak Python memory of one recompute (tracemalloc) at both sizes: it works in chunks of
  1,000 programs (at most four in hand), so the peak is bounded whatever the size;
- edit → new score visible through a real Celery worker over Redis (goal under 2 s; it includes
  the 1 s coalescing window that turns a burst of edits into one recompute).
Writes bench/results/health.json. Only talks to 127.0.0.1.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
GOAL_RATIO = 10.0
GOAL_EDIT_SECONDS = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--programs", type=int, default=10_000)
    parser.add_argument(
        "--compare", type=int, default=1_000, help="second size for the memory comparison (0: none)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--edits", type=int, default=10, help="edits timed through the worker (0: skip)"
    )
    parser.add_argument("--reseed", action="store_true")
    return parser.parse_args()


def database_url(size: int) -> str:
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    parts = urlsplit(server)
    if not parts.scheme.startswith("postgres") or parts.hostname not in ("127.0.0.1", "localhost"):
        sys.exit("The benchmark needs a local PostgreSQL in DATABASE_URL.")
    return urlunsplit(parts._replace(path=f"/pulse_bench_health_{size}"))


def env_for(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings.test", **extra)
    return env


def ensure_seeded(size: int, reseed: bool) -> str:
    import psycopg2

    url = database_url(size)
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")), connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    env = env_for(url)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    count = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", "from programs.models import Program; print(Program.objects.count())"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    if reseed or int(count) != size:
        print(f"Seeding {size:,} programs into {name} (once; reused afterwards)…", flush=True)
        started = time.perf_counter()
        subprocess.run(
            [PYTHON, "manage.py", "seed_demo", "--programs", str(size), "--seed", "1", "--reset", "--no-health"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    return url


def probe(url: str, **extra: str) -> dict:
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "health_probe.py")],
        cwd=ROOT, env=env_for(url, **extra), check=True, capture_output=True, text=True, timeout=1800,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def edit_latencies(url: str, edits: int) -> list[float]:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "2",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env_for(url, REDIS_URL=REDIS_URL), start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(6)  # the worker connects and forks its children
        return probe(url, REDIS_URL=REDIS_URL, BENCH_EDITS=str(edits))["edit_to_score_s"]
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def main() -> int:
    args = parse_args()
    sizes = [args.programs] + ([args.compare] if args.compare else [])
    results: dict = {"sizes": {}}
    for size in sizes:
        url = ensure_seeded(size, args.reseed)
        print(f"Measuring {size:,} programs ({args.rounds} rounds)…", flush=True)
        result = probe(url, BENCH_ROUNDS=str(args.rounds))
        result["steady_ratio"] = result["steady_s"] / result["floor_s"]
        result["new_day_ratio"] = result["new_day_s"] / result["floor_s"]
        results["sizes"][size] = result
    if args.edits:
        print(f"Timing {args.edits} edits through a real worker…", flush=True)
        latencies = sorted(edit_latencies(database_url(args.programs), args.edits))
        results["edit_to_score_s"] = latencies
    print()
    print(
        f"{'programs':>9} {'milestones':>11} {'floor':>8} {'steady':>8} {'ratio':>6} "
        f"{'new day':>8} {'ratio':>6} {'peak memory':>12}"
    )
    for r in results["sizes"].values():
        print(
            f"{r['programs']:>9,} {r['milestones']:>11,} {r['floor_s'] * 1000:>6.0f}ms "
            f"{r['steady_s']:>7.2f}s {r['steady_ratio']:>5.1f}× {r['new_day_s']:>7.2f}s "
            f"{r['new_day_ratio']:>5.1f}× {r['peak_bytes'] / 2**20:>9.1f} MiB"
        )
    print("\nCPU time per run (this process's threads + PostgreSQL's processes), median:")
    for r in results["sizes"].values():
        cpu = {
            name: (r[f"{name}_python_cpu_s"], r[f"{name}_server_cpu_s"])
            for name in ("floor", "steady", "new_day")
        }
        print(
            f"{r['programs']:>9,} programs: "
            + ", ".join(
                f"{name.replace('_', ' ')} {python:.2f} + {server:.2f} s"
                for name, (python, server) in cpu.items()
            )
        )
    print("\nA day's snapshot per program (bytes as PostgreSQL stores them):")
    for r in results["sizes"].values():
        print(
            f"{r['programs']:>9,} programs: {r['snapshot_bytes']:.0f} B a row, "
            f"of which the reasons {r['snapshot_reason_bytes']:.0f} B"
        )
    main = results["sizes"][args.programs]
    print(
        f"\nFull recompute / floor at {args.programs:,} programs: steady {main['steady_ratio']:.1f}×, "
        f"new day {main['new_day_ratio']:.1f}× (goal ≤ {GOAL_RATIO:.0f}×)"
    )
    if "edit_to_score_s" in results:
        lat = results["edit_to_score_s"]
        print(
            f"Edit → new score through the worker: median {lat[len(lat) // 2]:.2f} s, "
            f"max {lat[-1]:.2f} s (goal < {GOAL_EDIT_SECONDS:.0f} s)"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "health.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
