"""Insights benchmark: every insights page and endpoint against a trivial signed-in view.

What it does (see bench/README.md, "Insights"):
1. reuses bench/health.py's databases ``pulse_bench_health_<N>`` (10,000 and 1,000 programs by
   default), migrating each first and never seeding: they must exist (``make bench-health``
   seeds them once);
2. runs VACUUM ANALYZE (as autovacuum would have by then) and reports how much history each database holds (launch reviews, capacity decisions,
   operational reviews, completed milestones, snapshots: counts and the span of their dates);
3. collects the static files with production settings and, per size, starts gunicorn
   (2 workers, production settings) on a free port of 127.0.0.1, with Redis as the cache (as in
   production: the insights cache their sections' numbers only in a shared cache) unless
   ``--cache off``;
4. signs the demo leader in through the login form (a session cookie, as a browser has), who
   sees every program, confidential ones included: the largest insights there are;
5. measures, in interleaved rounds, the median latency of ``GET /api/v1/me/`` — the floor —
   and of the overview, each section's page and each section's API endpoint; with the cache on,
   also each one's *miss*: the median of three requests each made right after the cache was
   emptied (what the first read after a write costs);
6. prints a table and the ratios per size, writes bench/results/insights.json (``--cache off``:
   insights-cache-off.json), stops gunicorn
   by PID.

Compare ratios from the same run, never absolute times across runs.
"""

import argparse
import datetime
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dashboard import request, sign_in  # noqa: E402 - bench/dashboard.py sits next to this script
from run import (  # noqa: E402
    HOST,
    ROOT,
    free_port,
    manage,
    measure_python,
    program_count,
    start_gunicorn,
    stop_gunicorn,
    summarise,
)

GOAL_RATIO = 10.0
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
MISS_SAMPLES = 3
SECTION_SLUGS = ("launch-reviews", "capacity", "ops-reviews", "delivery", "forecast-accuracy")

HISTORY_SQL = """
import json
from django.db import connection
queries = {
    "launch reviews": "SELECT count(*), min(submitted_at)::date, max(submitted_at)::date FROM reviews_launchreview",
    "capacity requests": "SELECT count(*), min(submitted_at)::date, max(submitted_at)::date FROM reviews_capacityrequest",
    "ops reviews": "SELECT count(*), min(date), max(date) FROM reviews_operationalreview",
    "milestones done": "SELECT count(*), min(completed_date), max(completed_date) FROM programs_milestone WHERE completed_date IS NOT NULL",
    "health snapshots": "SELECT count(*), min(day), max(day) FROM metrics_healthsnapshot",
}
rows = {}
with connection.cursor() as cursor:
    for label, query in queries.items():
        cursor.execute(query)
        count, first, last = cursor.fetchone()
        rows[label] = {"rows": count, "from": str(first), "to": str(last)}
print(json.dumps(rows))
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10000,1000", help="pulse_bench_health_<N> databases (10000,1000)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--seconds", type=float, default=4.0, help="per endpoint per round (4)")
    parser.add_argument("--requests", type=int, default=200, help="cap per round (200)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a ratio is over 10x")
    parser.add_argument(
        "--cache", choices=("on", "off"), default="on",
        help=f"on: Redis as the cache, as in production (BENCH_REDIS_URL, {REDIS_URL}, emptied "
        "by the run); off: the local-memory cache, so the insights compute every request",
    )  # fmt: skip
    return parser.parse_args()


def database_url(size: int) -> str:
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    parts = urlsplit(server)
    if not parts.scheme.startswith("postgres") or parts.hostname not in (HOST, "localhost"):
        sys.exit("The benchmark needs a local PostgreSQL in DATABASE_URL.")
    return urlunsplit(parts._replace(path=f"/pulse_bench_health_{size}"))


def env_for(url: str, redis_url: str = "") -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": HOST,
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        # The API's per-user rate (2,000 an hour) would refuse most of the run's requests once
        # the rate is counted in the shared cache: a rate no run reaches, still counted.
        "API_THROTTLE_USER": "10000000/hour",
    }
    env.pop("REDIS_URL", None)  # reads enqueue nothing
    if redis_url:
        env["REDIS_URL"] = redis_url  # the cache (and a broker nothing is sent to)
    return env


def empty_cache(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def misses(port: int, paths: dict[str, str], headers: dict[str, str], redis_url: str) -> dict:
    """Each endpoint's median over requests made right after the cache was emptied."""
    out = {}
    for label, path in paths.items():
        if label == "floor":
            continue
        samples = []
        for _ in range(MISS_SAMPLES):
            empty_cache(redis_url)
            started = time.perf_counter()
            request(port, "GET", path, headers)
            samples.append((time.perf_counter() - started) * 1000)
        out[label] = statistics.median(samples)
        print(f"  miss {label:<26} {out[label]:7.1f} ms", flush=True)
    return out


# bench/health.py seeds with the test settings' MD5 hasher, which production settings cannot
# check: the leader's password is hashed again here with the production hashers.
LEADER_PASSWORD = """
from django.contrib.auth import get_user_model
from programs.management.commands.seed_demo import DEMO_PASSWORD
leader = get_user_model().objects.get(username="leader")
if not leader.check_password(DEMO_PASSWORD) or leader.password.startswith("md5$"):
    leader.set_password(DEMO_PASSWORD)
    leader.save(update_fields=["password"])
print("ok")
"""


def vacuum(url: str) -> None:
    """A freshly seeded database has no statistics or visibility map until autovacuum gets to
    it (index-only scans then read the heap); a live one has both."""
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=5)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()


def history(env: dict[str, str]) -> dict:
    out = manage(env, "shell", "-c", HISTORY_SQL)
    return json.loads(out.strip().splitlines()[-1])


def endpoints() -> dict[str, str]:
    paths = {"floor": "/api/v1/me/", "overview": "/insights/"}
    for slug in SECTION_SLUGS:
        paths[f"page {slug}"] = f"/insights/{slug}/"
    for slug in SECTION_SLUGS:
        paths[f"api {slug}"] = f"/api/v1/insights/{slug}/"
    return paths


def bench_size(size: int, args: argparse.Namespace) -> dict:
    url = database_url(size)
    redis_url = REDIS_URL if args.cache == "on" else ""
    env = env_for(url, redis_url)
    print(f"\n== pulse_bench_health_{size}: migrating", flush=True)
    manage(env, "migrate", "--noinput", "-v0")
    programs = program_count(env)
    if programs == 0:
        sys.exit(f"pulse_bench_health_{size} is empty: run `make bench-health` once to seed it.")
    vacuum(url)
    manage(env, "shell", "-c", LEADER_PASSWORD)
    manage(env, "axes_reset")  # a failed sign-in of an earlier run must not lock the leader out
    held = history(env)
    for label, row in held.items():
        print(f"  {label:<18} {row}")
    paths = endpoints()
    port = free_port()
    if redis_url:
        empty_cache(redis_url)
    cache = f"Redis cache {redis_url}" if redis_url else "no shared cache: insights not cached"
    print(f"Starting gunicorn ({args.workers} workers, {cache}) on {HOST}:{port}", flush=True)
    server = start_gunicorn(env, port, args.workers)
    runs: dict[str, list[dict]] = {label: [] for label in paths}
    sizes: dict[str, int] = {}
    missed: dict[str, float] = {}
    try:
        headers = {"Cookie": sign_in(port), "Accept": "text/html,application/json"}
        for label, path in paths.items():
            started = time.perf_counter()
            status, _h, body = request(port, "GET", path, headers)
            cold = (time.perf_counter() - started) * 1000
            if status != 200:
                sys.exit(f"{label}: GET {path} answered {status}: {body[:300]!r}")
            sizes[label] = len(body)
            for _ in range(4):  # warm-up: both workers' caches and connections
                request(port, "GET", path, headers)
            print(f"  checked {label:<26} {len(body):>8} bytes, first {cold:7.1f} ms", flush=True)
        if redis_url:
            missed = misses(port, paths, headers, redis_url)
        for round_number in range(args.rounds):
            order = list(paths.items())
            if round_number % 2:
                order.reverse()
            for label, path in order:
                run = measure_python(port, path, headers, args.seconds, args.requests, 1)
                runs[label].append(run)
                print(
                    f"  round {round_number + 1}/{args.rounds}  {label:<26} "
                    f"p50 {run['p50_ms']:7.2f} ms  p90 {run['p90_ms']:7.2f} ms  "
                    f"({run['requests']} requests)",
                    flush=True,
                )
    finally:
        stop_gunicorn(server)
    results = {label: summarise(r) for label, r in runs.items()}
    refused = {label: row["non_2xx"] for label, row in results.items() if row["non_2xx"]}
    if refused:
        sys.exit(f"Some requests were not answered 200, the timings are not comparable: {refused}")
    floor = results["floor"]["p50_ms"]
    ratios = {label: results[label]["p50_ms"] / floor for label in paths if label != "floor"}
    print(f"\n{programs:,} programs")
    print(f"{'endpoint':<28} {'bytes':>8} {'p50 ms':>8} {'p90 ms':>8} {'ratio':>7} {'miss ms':>8}")
    for label, row in results.items():
        ratio = f"{ratios[label]:.1f}x" if label in ratios else "1x"
        flag = "" if label == "floor" or ratios[label] <= GOAL_RATIO else "  OVER"
        miss = f"{missed[label]:8.1f}" if label in missed else f"{'':8}"
        print(
            f"{label:<28} {sizes[label]:>8} {row['p50_ms']:8.2f} {row['p90_ms']:8.2f} "
            f"{ratio:>7} {miss}{flag}"
        )
    return {
        "programs": programs,
        "history": held,
        "endpoints": paths,
        "bytes": sizes,
        "results": results,
        "ratios_p50": ratios,
        "cache": args.cache,
        "miss_p50_ms": missed,
        "miss_ratios": {label: ms / floor for label, ms in missed.items()},
        "within_goal": all(r <= GOAL_RATIO for r in ratios.values()),
    }


def main() -> int:
    args = parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    # Into STATIC_ROOT (git-ignored), as a deployment does: the pages' manifest-hashed names.
    print("Collecting static files (hashed, compressed)", flush=True)
    manage(env_for(database_url(sizes[0])), "collectstatic", "--noinput", "-v0")
    per_size = {str(size): bench_size(size, args) for size in sizes}
    print()
    for size, result in per_size.items():
        worst = max(result["ratios_p50"].items(), key=lambda item: item[1])
        print(
            f"{int(size):>6,} programs: worst {worst[0]} {worst[1]:.1f}x — "
            f"{'every page and endpoint within' if result['within_goal'] else 'OVER'} "
            f"the goal of {GOAL_RATIO:g}x"
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    payload = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "client": "python",
        "workers": args.workers,
        "cache": args.cache,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "goal_ratio": GOAL_RATIO,
        "sizes": per_size,
    }
    name = "insights.json" if args.cache == "on" else "insights-cache-off.json"
    out = ROOT / "bench" / "results" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"Results written to {out.relative_to(ROOT)}")
    within = all(result["within_goal"] for result in per_size.values())
    return 1 if args.check and not within else 0


if __name__ == "__main__":
    sys.exit(main())
