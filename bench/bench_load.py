"""Load test of Yilian in production mode at the size issue 10 names (not run by the tests).

Starts PostgreSQL, Redis and ``yilian production`` (gunicorn + a job worker) on this machine, fills
the database (bench/load/generate.py: 1 000 000 residents, 300 000 contracts, 200 000 visits,
100 000 referrals, the Guiyang network and support ledger), then drives the real mix of users
(bench/load/locustfile.py) with locust at each user count for the given minutes, and prints one table:
p50/p95 per group against the targets (pages and API p95 ≤ 300 ms, dashboards p95 ≤ 1 s, 0 errors)
and, side by side, the peers' published figures as ratios (DHIS2: mean 385 ms for an org-unit-scoped
search; Bahmni: p95 250–480 ms at 70 users on a 4-vCPU server).

    .venv/bin/python bench/bench_load.py                      # full size, 50/100/200 users, 10 min each
    .venv/bin/python bench/bench_load.py --residents 100000 --minutes 1 --users 50   # a quick look
    .venv/bin/python bench/bench_load.py --reuse /tmp/yilian-load-pg   # keep the generated database
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ops.servers import Postgres, Production, Redis, production_env  # noqa: E402

TARGET_MS = {"page": 300, "api": 300, "dashboard": 1000}
PEERS = "DHIS2 org-unit-scoped search mean 385 ms; Bahmni p95 250–480 ms at 70 users (4 vCPU)"


def run(command, env, **kwargs):
    print("$", " ".join(str(c) for c in command), flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True, **kwargs)  # noqa: S603


def locust(env, host, users, minutes, prefix) -> list[dict]:
    world = prefix.with_suffix(".world.json")
    run([sys.executable, "bench/load/sessions.py", str(world), str(users)], env)
    run([str(Path(sys.executable).parent / "locust"), "-f", "bench/load/locustfile.py", "--headless",
         "-u", str(users), "-r", str(max(1, users // 10)), "--run-time", f"{int(minutes * 60)}s", "--host", host,
         "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
         "--exit-code-on-error", "0"],  # failures are counted in the table, not a crash of the harness
        {**env, "LOAD_WORLD": str(world)}, stdout=subprocess.DEVNULL)
    with open(f"{prefix}_stats.csv") as f:
        return [row for row in csv.DictReader(f) if row["Name"] != "Aggregated"]


WORKER_READY = """
import django, sys, time
django.setup()
from django.utils import timezone
from yilian.familydoctor.models import CoverageState
deadline = time.monotonic() + 150
while time.monotonic() < deadline:
    if CoverageState.objects.filter(day=timezone.localdate(), computed_at__isnull=False).exists():
        sys.exit(0)
    time.sleep(2)
sys.exit("the job worker computed no coverage cells within 150 s")
"""


def wait_for_the_worker(env):
    """A server in service has had its worker run for a while: the coverage cells of today exist. The
    harness waits for the worker's first every-minute run rather than measuring a cold start."""
    run([sys.executable, "-c", WORKER_READY], env)


def group_of(name: str) -> str:
    return name.split(":", 1)[0]


def summarise(rows: list[dict]) -> dict[str, dict]:
    groups = {}
    for row in rows:
        g = groups.setdefault(group_of(row["Name"]), {"requests": 0, "failures": 0, "p95": 0.0, "p50": 0.0,
                                                      "mean_sum": 0.0})
        count = int(row["Request Count"])
        g["requests"] += count
        g["failures"] += int(row["Failure Count"])
        g["p95"] = max(g["p95"], float(row["95%"] or 0))  # the slowest request kind sets the group's p95
        g["p50"] = max(g["p50"], float(row["50%"] or 0))
        g["mean_sum"] += float(row["Average Response Time"] or 0) * count
    return groups


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--contracts", type=int, default=300_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--users", default="50,100,200")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--web-workers", type=int, default=5)
    parser.add_argument("--reuse", type=Path, help="keep the PostgreSQL cluster here and reuse it next time")
    parser.add_argument("--generate-only", action="store_true", help="with --reuse: fill the database and stop")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="yilian-load-"))
    if args.reuse:
        args.reuse.mkdir(parents=True, exist_ok=True)
    fresh = not (args.reuse and (args.reuse / "data").exists())
    postgres = Postgres(directory=args.reuse) if args.reuse else Postgres()
    redis = Redis()
    env = production_env(work, postgres.url, redis.url, YILIAN_WEB_WORKERS=str(args.web_workers),
                         YILIAN_CLIENT_IP_HEADER="HTTP_X_REAL_IP")  # as behind the city's reverse proxy
    server = None
    try:
        if fresh:
            run([sys.executable, "bench/load/generate.py", "--residents", str(args.residents), "--contracts",
                 str(args.contracts), "--visits", str(args.visits), "--referrals", str(args.referrals)],
                {**env, "YILIAN_ENV": "development", "YILIAN_DEBUG": "0"})
        if args.generate_only:
            return
        server = Production(env, web_workers=args.web_workers, job_workers=1)
        wait_for_the_worker(env)
        results = {}
        for users in [int(u) for u in args.users.split(",")]:
            results[users] = locust(env, server.url(""), users, args.minutes, work / f"u{users}")
        report(results, args, fresh)
    finally:
        if server:
            server.stop()
        redis.destroy()
        if args.reuse:
            postgres.stop()
        else:
            postgres.destroy()


def report(results, args, fresh):
    data = (f"{args.residents:,} residents, {args.contracts:,} contracts, {args.visits:,} visits, "
            f"{args.referrals:,} referrals" if fresh else f"the database kept in {args.reuse}")
    print(f"\nYilian production mode under load — {platform.machine()}, {os.cpu_count()} cores, PostgreSQL, "
          f"gunicorn {args.web_workers} workers; {data}; {args.minutes:g} min per user count")
    print(f"Peers: {PEERS}\n")
    print(f"{'users':>5} {'group':<10} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} "
          f"{'p95/target':>10}  {'vs peer':<28}")
    for users, rows in results.items():
        for group, g in sorted(summarise(rows).items()):
            target = TARGET_MS.get(group, 300)
            mean = g["mean_sum"] / max(1, g["requests"])
            peer = (f"p95/Bahmni 480 ms = {g['p95'] / 480:.2f}" if group != "dashboard"
                    else f"mean/DHIS2 385 ms = {mean / 385:.2f}")
            print(f"{users:>5} {group:<10} {g['requests']:>9} {g['failures']:>7} {g['p50']:>8.0f} {g['p95']:>8.0f} "
                  f"{target:>7} {g['p95'] / target:>10.2f}  {peer:<28}")
    print("\nPer request (last user count):")
    last = results[max(results)]
    for row in sorted(last, key=lambda r: r["Name"]):
        print(f"  {row['Name']:<40} n={row['Request Count']:>6} fail={row['Failure Count']:>4} "
              f"p50={row['50%']:>6} p95={row['95%']:>6} p99={row['99%']:>6}")


if __name__ == "__main__":
    main()
