"""Benchmark of the analysts' export: time and peak memory at two data sizes.

    make bench-export                              # 1,000 and 10,000 programs
    make bench-export ARGS="--sizes 1000"

Uses the health benchmark's databases (``pulse_bench_health_<N>``, seeded by
``make bench-health``; never seeded here), migrates each (which installs the analytics
views), then runs one export per size in a fresh process (``metrics.analytics.export
.write_export``, what the Celery task runs) and reports its wall time, rows, zip size and peak
memory: the process's peak resident set (``ru_maxrss``: Python, pyarrow's buffers, psycopg2's
batches) and its growth over the process before the export. The export reads in batches of
``BATCH_ROWS`` rows, so the growth stays flat while the rows grow tenfold.
``--tracemalloc`` adds the peak of Python allocations (slower). Writes bench/results/export.json.
Only talks to 127.0.0.1.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument(
        "--batch-rows", type=int, default=0, help="rows per batch (default: the export's own)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def child(trace: bool, batch_rows: int) -> None:
    """One export in this process; prints its measures as JSON."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    import tracemalloc

    from django.db import connection

    from metrics.analytics import export
    from programs.models import Program

    if batch_rows:
        export.BATCH_ROWS = batch_rows

    programs = Program.objects.count()
    connection.close()
    before = peak_rss_mb()
    if trace:
        tracemalloc.start()
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "export.zip"
        start = time.perf_counter()
        done = export.write_export(target=target, report=lambda _: None)
        seconds = time.perf_counter() - start
        size = target.stat().st_size
    result = {
        "programs": programs,
        "seconds": round(seconds, 2),
        "rows": done.rows_written,
        "views": done.views_total,
        "zip_mb": round(size / 2**20, 1),
        "batch_rows": export.BATCH_ROWS,
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(peak_rss_mb(), 1),
        "rss_growth_mb": round(peak_rss_mb() - before, 1),
    }
    if trace:
        result["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    print(json.dumps(result))


def main() -> int:
    args = parse_args()
    if args.child:
        child(args.tracemalloc, args.batch_rows)
        return 0
    results = []
    for size in args.sizes:
        url = database_url(size)
        env = env_for(url)
        probe = subprocess.run(
            [PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True
        )
        if probe.returncode:
            print(
                f"{size}: cannot migrate {urlsplit(url).path[1:]} (seed it with make bench-health)"
            )
            print(probe.stderr.decode()[-800:])
            continue
        command = [PYTHON, __file__, "--child", "--batch-rows", str(args.batch_rows)]
        command += ["--tracemalloc"] if args.tracemalloc else []
        out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
        result = json.loads(out.stdout.decode().strip().splitlines()[-1])
        results.append(result)
        print(
            f"{result['programs']:>6} programs: {result['rows']:>9,} rows in {result['views']} "
            f"views, batches of {result['batch_rows']:,}, {result['seconds']:>7.1f} s, zip {result['zip_mb']} MB, peak RSS "
            f"{result['rss_peak_mb']} MB (+{result['rss_growth_mb']} MB over the idle process)"
            + (f", Python peak {result['python_peak_mb']} MB" if "python_peak_mb" in result else "")
        )
    if len(results) >= 2:
        small, large = results[0], results[-1]
        print(
            f"rows ×{large['rows'] / max(small['rows'], 1):.1f}, "
            f"time ×{large['seconds'] / max(small['seconds'], 0.01):.1f}, "
            f"peak RSS growth {small['rss_growth_mb']} → {large['rss_growth_mb']} MB"
        )
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "export.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
