"""API latency benchmark: the program list against a trivial signed-in endpoint, in one run.

What it does (see bench/README.md):
1. creates the PostgreSQL database ``pulse_bench`` on the server of ``DATABASE_URL`` (or the
   local one), migrates it and seeds ``--programs`` demo programs, reusing a previous seed of
   the same size;
2. starts gunicorn (2 workers, production settings, a generated SECRET_KEY, persistent
   database connections) on a free port of 127.0.0.1;
3. gives the demo TPM an API token and measures, in interleaved rounds, the latency of
   (a) ``GET /api/v1/me/`` — the floor: authentication and a JSON response, nothing else;
   (b) ``GET /api/v1/programs/?page_size=100`` — the list people and scripts call most;
4. prints a table and the ratio of the medians (b)/(a), writes bench/results/latest.json,
   and stops gunicorn by its process id.

Everything is bounded: requests and seconds per measurement, start-up and HTTP timeouts. Only
127.0.0.1 is ever contacted. Compare ratios from the same run, never absolute times across
runs: the machine's other work moves absolute numbers by more than the effect of a change.
"""

import argparse
import datetime
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
BENCH_DB = "pulse_bench"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
GOAL_RATIO = 20.0
FLOOR = ("floor", "/api/v1/me/")
LIST = ("program list", "/api/v1/programs/?page_size=100")
BENCH_USER = "tpm"  # the demo TPM: sees public programs plus their own confidential ones


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=1000, help="programs seeded (1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed for seed_demo (1)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="at most this long per endpoint per round (10)"
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=2000,
        help="at most this many requests per endpoint per round, Python client only (2000)",
    )
    parser.add_argument("--connections", type=int, default=2, help="concurrent connections (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load client (auto: wrk if installed)",
    )
    parser.add_argument("--reseed", action="store_true", help="seed again even if the size matches")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when the ratio exceeds {GOAL_RATIO:g}x"
    )
    return parser.parse_args()


# --- database -------------------------------------------------------------------------------


def bench_database_url() -> str:
    """The ``pulse_bench`` database on the server that ``DATABASE_URL`` points at."""
    server = os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    parts = urlsplit(server)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"The benchmark needs PostgreSQL; DATABASE_URL is {parts.scheme or 'unset'}.")
    if parts.hostname not in (HOST, "localhost"):
        sys.exit(f"The benchmark only runs against a local server, not {parts.hostname}.")
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")), connect_timeout=5)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        if cursor.fetchone() is None:
            print(f"Creating database {BENCH_DB}")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    admin.close()


def manage(env: dict[str, str], *args: str, timeout: float = 900) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def program_count(env: dict[str, str]) -> int:
    out = manage(
        env, "shell", "-c", "from programs.models import Program; print(Program.objects.count())"
    )
    return int(out.strip().splitlines()[-1])


def api_token(env: dict[str, str]) -> str:
    """A new API token of the bench user, for this run (it expires in a day)."""
    out = manage(env, "create_api_token", BENCH_USER, "--name", "benchmark", "--days", "1")
    return out.strip().splitlines()[-1]


# --- server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    gunicorn = Path(PYTHON).with_name("gunicorn")
    process = subprocess.Popen(
        [
            str(gunicorn),
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: stopped by its id, workers included
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode} during start-up.")
        try:
            status, _body = get(port, "/healthz", {}, timeout=2)
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop_gunicorn(process)
    sys.exit("gunicorn did not answer /healthz within 30 s.")


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


# --- clients --------------------------------------------------------------------------------


def get(port: int, path: str, headers: dict[str, str], timeout: float = 10) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def measure_python(port, path, headers, seconds, max_requests, connections) -> dict:
    """Sequential keep-alive requests (``connections`` is ignored: one at a time)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    latencies, failures = [], 0
    deadline = time.perf_counter() + seconds
    try:
        while len(latencies) < max_requests and time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            failures += response.status != 200
    finally:
        connection.close()
    elapsed = sum(latencies)
    latencies.sort()
    return {
        "requests": len(latencies),
        "non_2xx": failures,
        "p50_ms": 1000 * statistics.median(latencies),
        "p90_ms": 1000 * latencies[int(0.9 * (len(latencies) - 1))],
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "rps": len(latencies) / elapsed if elapsed else 0.0,
    }


WRK_SCRIPT = """
wrk.headers["Authorization"] = "Token %(token)s"
wrk.headers["Accept"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "errors": %%d, '
    .. '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def measure_wrk(port, path, script, seconds, connections) -> dict:
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", script, f"http://{HOST}:{port}{path}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith('{"requests"')), None)
    if result.returncode or line is None:
        sys.exit(f"wrk failed:\n{result.stdout}\n{result.stderr}")
    raw = json.loads(line)
    return {
        "requests": raw["requests"],
        "non_2xx": raw["non_2xx"] + raw["errors"],
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
    }


# --- the run --------------------------------------------------------------------------------


def check_endpoint(port: int, label: str, path: str, headers: dict[str, str]) -> dict:
    """One request to see that the endpoint answers, and what it returns."""
    status, body = get(port, path, headers)
    info = {"status": status, "bytes": len(body)}
    if status == 200:
        payload = json.loads(body)
        if isinstance(payload, dict) and isinstance(payload.get("results"), list):
            info["items"] = len(payload["results"])
            info["total"] = payload.get("count")
    else:
        print(f"  {label}: GET {path} answered {status}: {body[:200]!r}")
    return info


def summarise(runs: list[dict]) -> dict:
    """Median over rounds of each round's percentiles; requests summed."""
    return {
        "requests": sum(r["requests"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
        "p90_ms": statistics.median(r["p90_ms"] for r in runs),
        "p99_ms": statistics.median(r["p99_ms"] for r in runs),
        "rps": statistics.median(r["rps"] for r in runs),
    }


def main() -> int:
    args = parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install -y wrk), or use --client python.")

    url = bench_database_url()
    ensure_database(url)
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
        # The API serves no static files; WhiteNoise's warning about the missing
        # collectstatic directory is noise here.
        "PYTHONWARNINGS": "ignore:No directory at:UserWarning",
    }
    env.pop("REDIS_URL", None)  # reads enqueue nothing; eager Celery keeps the bench self-contained

    print(f"Database {BENCH_DB}: migrating")
    manage(env, "migrate", "--noinput", "-v0")
    have = program_count(env)
    if have != args.programs or args.reseed:
        print(f"Seeding {args.programs} programs (found {have})…")
        started = time.perf_counter()
        manage(
            env, "seed_demo", "--programs", str(args.programs), "--seed", str(args.seed), "--reset"
        )
        print(f"  seeded in {time.perf_counter() - started:.1f} s")
    else:
        print(f"Reusing the seeded {have} programs")
    token = api_token(env)
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}

    port = free_port()
    print(f"Starting gunicorn ({args.workers} workers) on {HOST}:{port}")
    server = start_gunicorn(env, port, args.workers)
    script_dir = tempfile.mkdtemp(prefix="pulse-bench-")
    script = os.path.join(script_dir, "auth.lua")
    Path(script).write_text(WRK_SCRIPT % {"token": token})
    try:
        endpoints = {label: path for label, path in (FLOOR, LIST)}
        checks = {
            label: check_endpoint(port, label, path, headers) for label, path in endpoints.items()
        }
        measurable = {
            label: path for label, path in endpoints.items() if checks[label]["status"] == 200
        }
        # Warm-up: fill both workers' caches (URL resolver, templates, connections).
        for path in measurable.values():
            for _ in range(20):
                get(port, path, headers)
        runs: dict[str, list[dict]] = {label: [] for label in measurable}
        for round_number in range(args.rounds):
            order = list(measurable.items())
            if round_number % 2:
                order.reverse()  # alternate which endpoint goes first, to cancel drift
            for label, path in order:
                if client == "wrk":
                    run = measure_wrk(port, path, script, args.seconds, args.connections)
                else:
                    run = measure_python(
                        port, path, headers, args.seconds, args.requests, args.connections
                    )
                runs[label].append(run)
                print(
                    f"  round {round_number + 1}/{args.rounds}  {label:<13} "
                    f"p50 {run['p50_ms']:7.2f} ms  p90 {run['p90_ms']:7.2f} ms  "
                    f"{run['rps']:7.0f} req/s  ({run['requests']} requests)"
                )
    finally:
        stop_gunicorn(server)
        shutil.rmtree(script_dir, ignore_errors=True)

    results = {label: summarise(r) for label, r in runs.items() if r}
    ratio = None
    if FLOOR[0] in results and LIST[0] in results:
        ratio = results[LIST[0]]["p50_ms"] / results[FLOOR[0]]["p50_ms"]
    report(args, client, endpoints, checks, results, ratio)
    if LIST[0] not in results:
        print(
            f"\nThe program list was not measured: GET {LIST[1]} answered "
            f"{checks[LIST[0]]['status']}. Is the programs API routed yet?"
        )
        return 2
    if args.check and ratio is not None and ratio > GOAL_RATIO:
        return 1
    return 0


def report(args, client, endpoints, checks, results, ratio) -> None:
    print()
    print(
        f"{'endpoint':<14} {'path':<34} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'req/s':>7} {'requests':>9} {'non-2xx':>8}"
    )
    for label, path in endpoints.items():
        row = results.get(label)
        if row is None:
            print(
                f"{label:<14} {path:<34} {'— not measured: HTTP ' + str(checks[label]['status']):>40}"
            )
            continue
        print(
            f"{label:<14} {path:<34} {row['p50_ms']:8.2f} {row['p90_ms']:8.2f} {row['p99_ms']:8.2f} "
            f"{row['rps']:7.0f} {row['requests']:9} {row['non_2xx']:8}"
        )
    if ratio is not None:
        verdict = "within" if ratio <= GOAL_RATIO else "OVER"
        print(
            f"\nratio program list / floor (p50): {ratio:.1f}x — {verdict} the goal of {GOAL_RATIO:g}x"
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    payload = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "client": client,
        "programs": args.programs,
        "workers": args.workers,
        "connections": args.connections if client == "wrk" else 1,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "endpoints": {label: {"path": path, **checks[label]} for label, path in endpoints.items()},
        "results": results,
        "ratio_p50": ratio,
        "goal_ratio": GOAL_RATIO,
        "within_goal": ratio is not None and ratio <= GOAL_RATIO,
    }
    out = ROOT / "bench" / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"Results written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
