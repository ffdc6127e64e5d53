"""Dashboard benchmark: the portfolio dashboard against a trivial signed-in view, in one run.

What it does (see bench/README.md, "Dashboard"):
1. reuses bench/run.py's database ``pulse_bench`` (seeding ``--programs`` demo programs with
   their milestones, updates, 12 weeks of snapshots and the reviews' launches and capacity);
2. collects the static files with production settings (hashed names, gzip siblings) and
   starts gunicorn (2 workers, production settings) on a free port of 127.0.0.1;
3. signs the demo leader in through the login form (a session cookie, as a browser has);
4. weighs the dashboard's first load (HTML + every stylesheet and script it references,
   gzip-compressed as served) and its repeat load (the HTML only: the hashed assets are
   cached for a year);
5. measures, in interleaved rounds, the median latency of (a) ``GET /api/v1/me/`` with the
   session — the floor — and (b) ``GET /dashboard/``, and (c) ``GET /dashboard/?portfolio=…``;
6. prints a table and the ratios, writes bench/results/dashboard.json, stops gunicorn by PID.

Compare ratios from the same run, never absolute times across runs.
"""

import argparse
import datetime
import gzip
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # noqa: E402 - bench/run.py sits next to this script
    BENCH_DB,
    HOST,
    ROOT,
    bench_database_url,
    ensure_database,
    free_port,
    manage,
    measure_python,
    measure_wrk,
    program_count,
    start_gunicorn,
    stop_gunicorn,
    summarise,
)

GOAL_RATIO = 60.0
GOAL_FIRST_KB = 500
GOAL_REPEAT_KB = 60
USER, PASSWORD = "leader", "pulse-demo-password"  # the demo Leadership account (seed_demo)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=1000, help="programs seeded (1000)")
    parser.add_argument("--seed", type=int, default=1, help="seed for seed_demo (1)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint per round (10)")
    parser.add_argument("--requests", type=int, default=500, help="cap per round, Python client")
    parser.add_argument("--connections", type=int, default=2, help="concurrent connections (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the size matches")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    return parser.parse_args()


def request(port, method, path, headers=None, body=None) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def cookies_from(headers: dict) -> dict[str, str]:
    jar = {}
    for part in headers.get("set-cookie", "").split(", "):
        name, _, rest = part.partition("=")
        if name.strip() in ("csrftoken", "sessionid"):
            jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def sign_in(port: int) -> str:
    """The session cookie of the demo leader, through the real login form."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    jar = cookies_from(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urlencode({"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token})
    status, headers, _ = request(
        port, "POST", "/accounts/login/",
        {"Cookie": f"csrftoken={jar['csrftoken']}", "Content-Type": "application/x-www-form-urlencoded",
         "Referer": f"http://{HOST}:{port}/accounts/login/"},
        form,
    )  # fmt: skip
    session = cookies_from(headers).get("sessionid")
    if status != 302 or not session:
        sys.exit(f"Signing in as {USER} failed (HTTP {status}). Is the demo seeded?")
    return f"sessionid={session}"


def page_weight(port: int, path: str, cookie: str) -> dict:
    """Compressed bytes of the HTML and of every stylesheet and script it references."""
    status, _headers, html = request(port, "GET", path, {"Cookie": cookie})
    if status != 200:
        sys.exit(f"GET {path} answered {status}.")
    html_gz = len(gzip.compress(html, compresslevel=6))
    assets = {}
    for url in re.findall(rb'(?:src|href)="(/static/[^"]+\.(?:js|css|svg))"', html):
        url = url.decode()
        status, headers, body = request(port, "GET", url, {"Accept-Encoding": "gzip"})
        assets[url] = {
            "status": status,
            "bytes": len(body),
            "encoding": headers.get("content-encoding", "identity"),
            "cache_control": headers.get("cache-control", ""),
        }
    first = html_gz + sum(a["bytes"] for a in assets.values())
    return {
        "html_bytes": len(html),
        "html_gzip_bytes": html_gz,
        "assets": assets,
        "first_load_kb": first / 1024,
        "repeat_load_kb": html_gz / 1024,  # hashed assets: max-age a year, immutable
    }


WRK_SCRIPT = """
wrk.headers["Cookie"] = "%(cookie)s"
done = function(summary, latency, requests)
  io.write(string.format(
    '{"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "errors": %%d, '
    .. '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d}\\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


def first_portfolio(env) -> str:
    out = manage(
        env, "shell", "-c",
        "from programs.models import Portfolio; print(Portfolio.objects.order_by('name')[0].slug)",
    )  # fmt: skip
    return out.strip().splitlines()[-1]


def main() -> int:
    args = parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
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
    }
    env.pop("REDIS_URL", None)
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
    # Into STATIC_ROOT (staticfiles/, git-ignored), as a deployment does: hashed names and
    # gzip/brotli siblings that WhiteNoise serves with a year's max-age.
    print("Collecting static files (hashed, compressed)")
    manage(env, "collectstatic", "--noinput", "-v0")
    portfolio = first_portfolio(env)
    endpoints = {
        "floor": "/api/v1/me/",
        "dashboard": "/dashboard/",
        "dashboard, 1 portfolio": f"/dashboard/?portfolio={portfolio}",
    }
    port = free_port()
    print(f"Starting gunicorn ({args.workers} workers) on {HOST}:{port}")
    server = start_gunicorn(env, port, args.workers)
    script_dir = tempfile.mkdtemp(prefix="pulse-bench-")
    runs: dict[str, list[dict]] = {label: [] for label in endpoints}
    try:
        cookie = sign_in(port)
        headers = {"Cookie": cookie}
        weight = page_weight(port, "/dashboard/", cookie)
        for label, path in endpoints.items():
            status, _h, body = request(port, "GET", path, headers)
            if status != 200:
                sys.exit(f"{label}: GET {path} answered {status}: {body[:200]!r}")
            for _ in range(10):  # warm-up: both workers' caches and connections
                request(port, "GET", path, headers)
        script = os.path.join(script_dir, "session.lua")
        Path(script).write_text(WRK_SCRIPT % {"cookie": cookie})
        for round_number in range(args.rounds):
            order = list(endpoints.items())
            if round_number % 2:
                order.reverse()
            for label, path in order:
                if client == "wrk":
                    run = measure_wrk(port, path, script, args.seconds, args.connections)
                else:
                    run = measure_python(port, path, headers, args.seconds, args.requests, 1)
                runs[label].append(run)
                print(
                    f"  round {round_number + 1}/{args.rounds}  {label:<22} "
                    f"p50 {run['p50_ms']:7.2f} ms  p90 {run['p90_ms']:7.2f} ms  "
                    f"{run['rps']:6.0f} req/s  ({run['requests']} requests)"
                )
    finally:
        stop_gunicorn(server)
        shutil.rmtree(script_dir, ignore_errors=True)

    results = {label: summarise(r) for label, r in runs.items()}
    floor = results["floor"]["p50_ms"]
    ratios = {label: results[label]["p50_ms"] / floor for label in endpoints if label != "floor"}
    goals = {
        "ratio": ratios["dashboard"] <= GOAL_RATIO,
        "first_load": weight["first_load_kb"] <= GOAL_FIRST_KB,
        "repeat_load": weight["repeat_load_kb"] <= GOAL_REPEAT_KB,
    }
    print()
    print(f"{'endpoint':<24} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'req/s':>7} {'ratio':>7}")
    for label, row in results.items():
        ratio = f"{ratios[label]:.1f}x" if label in ratios else "1x"
        print(
            f"{label:<24} {row['p50_ms']:8.2f} {row['p90_ms']:8.2f} {row['p99_ms']:8.2f} "
            f"{row['rps']:7.0f} {ratio:>7}"
        )
    print(
        f"\ndashboard / floor (p50): {ratios['dashboard']:.1f}x — "
        f"{'within' if goals['ratio'] else 'OVER'} the goal of {GOAL_RATIO:g}x"
    )
    print(
        f"first load {weight['first_load_kb']:.0f} KB compressed (goal ≤ {GOAL_FIRST_KB}), "
        f"repeat load {weight['repeat_load_kb']:.1f} KB (goal ≤ {GOAL_REPEAT_KB})"
    )
    for asset, info in weight["assets"].items():
        print(
            f"  {info['bytes'] / 1024:7.1f} KB {info['encoding']:<8} {asset}  [{info['cache_control']}]"
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
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "endpoints": endpoints,
        "results": results,
        "ratios_p50": ratios,
        "goal_ratio": GOAL_RATIO,
        "weight": weight,
        "goals_met": goals,
    }
    out = ROOT / "bench" / "results" / "dashboard.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"Results written to {out.relative_to(ROOT)}")
    return 1 if args.check and not all(goals.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
