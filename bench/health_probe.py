"""Measures the health engine inside one process (run by bench/health.py, not by hand).

Prints one JSON object: the floor (a raw SQL aggregate over the same milestones and updates),
two kinds of full recompute (load, compute, write), each in rounds interleaved with the floor:
- "steady": the scheduled run every 30 minutes, where few inputs changed since the last one
  (it scores and writes only those programs);
- "new day": the first run of a day, which writes every score and a new snapshot per program
  (each round scores a later day, so every row really is written);
each timed twice: wall time, and CPU time (this process's threads plus PostgreSQL's processes);
the peak Python memory of a new-day recompute (tracemalloc), and optionally edit → new score
latency through a real worker.
"""

import datetime
import json
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from metrics.services import health_recompute  # noqa: E402

FLOOR_SQL = [
    # What any health computation must at least read: per program, its milestones' lateness
    # and slip, and the time of its latest update.
    """
    SELECT program_id, count(*),
           sum(target_date - baseline_date),
           count(*) FILTER (WHERE state IN ('planned', 'in_progress', 'blocked')
                              AND target_date < current_date),
           max(target_date)
    FROM programs_milestone GROUP BY program_id
    """,
    "SELECT program_id, max(created_at) FROM programs_statusupdate GROUP BY program_id",
]


def server_cpu_seconds() -> float:
    """CPU time used so far by this machine's PostgreSQL processes (server, backends, writers),
    from /proc: the benchmark only talks to a PostgreSQL on 127.0.0.1. A backend that has
    ended (a loading thread's connection, closed at the end of a recompute) counts in the
    server process's children's time once the server has reaped it."""
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/comm") as comm:
                if not comm.read().startswith("postgres"):
                    continue
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def measured(work) -> tuple[float, float, float]:
    """Wall time of ``work()``, and the CPU time it cost: this process (every thread), and
    PostgreSQL. On a shared machine wall times swing with the neighbours; CPU time shows how
    much work was done, and on how many cores it could have run."""
    server, process, started = server_cpu_seconds(), time.process_time(), time.perf_counter()
    work()
    wall = time.perf_counter() - started
    python = time.process_time() - process
    time.sleep(0.05)  # the server reaps the backends of the connections just closed
    return wall, python, server_cpu_seconds() - server


def floor() -> None:
    with connection.cursor() as cursor:
        for sql in FLOOR_SQL:
            cursor.execute(sql)
            cursor.fetchall()


def recompute(today: datetime.date | None = None) -> None:
    health_recompute(today=today)


def peak_memory(today: datetime.date) -> int:
    tracemalloc.start()
    health_recompute(today=today)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def forget_days_after(today: datetime.date) -> None:
    """Drop the new-day rounds' snapshots and score today again (untimed)."""
    from metrics.models import HealthSnapshot

    HealthSnapshot.objects.filter(day__gt=today).delete()
    health_recompute(today=today)
    with connection.cursor() as cursor:  # this machine's PostgreSQL runs without autovacuum
        cursor.execute("VACUUM (ANALYZE) metrics_healthsnapshot, programs_program")


def edit_latency(edits: int) -> list[float]:
    """Post a risk (through the service, as the API does) and wait for the worker's new score."""
    from programs import services
    from programs.models import Program

    program = Program.objects.filter(phase="executing").order_by("pk").first()
    latencies = []
    for i in range(edits):
        before = Program.objects.values_list("health_computed_at", flat=True).get(pk=program.pk)
        started = time.perf_counter()
        services.risk_create(
            program=program, user=program.tpm, title=f"Bench risk {i}", likelihood=3, impact=4
        )  # autocommit: the signal fires at once, the worker picks the task up from Redis
        deadline = started + 30
        while time.perf_counter() < deadline:
            now = Program.objects.values_list("health_computed_at", flat=True).get(pk=program.pk)
            if now != before:
                latencies.append(time.perf_counter() - started)
                break
            time.sleep(0.02)
        else:
            latencies.append(float("inf"))
        time.sleep(0.5)
    return latencies


def main() -> None:
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    result: dict = {}
    if os.environ.get("BENCH_EDITS"):
        result["edit_to_score_s"] = edit_latency(int(os.environ["BENCH_EDITS"]))
    else:
        from django.utils import timezone

        today = timezone.localdate()
        floor()  # warm the caches for both
        recompute()  # and bring every score up to date: the next runs are steady ones
        runs: dict[str, list[tuple[float, float, float]]] = {
            "floor": [],
            "steady": [],
            "new_day": [],
        }
        for _ in range(rounds):
            runs["floor"].append(measured(floor))
            runs["steady"].append(measured(recompute))
        for day in range(1, rounds + 1):
            runs["floor"].append(measured(floor))
            later = today + datetime.timedelta(days=day)
            runs["new_day"].append(measured(lambda later=later: recompute(later)))
        result["peak_bytes"] = peak_memory(today + datetime.timedelta(days=rounds + 1))
        forget_days_after(today)
        for name, measurements in runs.items():
            walls, python, server = zip(*measurements, strict=True)
            result[f"{name}_s"] = statistics.median(walls)
            result[f"{name}_python_cpu_s"] = statistics.median(python)
            result[f"{name}_server_cpu_s"] = statistics.median(server)
            result[f"{name}_runs"] = list(walls)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM programs_program")
            result["programs"] = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM programs_milestone")
            result["milestones"] = cursor.fetchone()[0]
            # What a day's snapshots store per program: the whole row and its reasons, as
            # PostgreSQL keeps them (compressed where it compresses).
            cursor.execute(
                "SELECT avg(pg_column_size(s.*)), avg(pg_column_size(s.reasons)) "
                "FROM metrics_healthsnapshot s WHERE day = %s",
                [today],
            )
            row_bytes, reason_bytes = cursor.fetchone()
            result["snapshot_bytes"] = float(row_bytes or 0)
            result["snapshot_reason_bytes"] = float(reason_bytes or 0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
