"""Fill the database named by DATABASE_URL for the load test (not run by the tests).

1 000 000 residents, 300 000 family-doctor contracts and 200 000 visits in a city of 10 districts and
200 clinics (the generator of bench_familydoctor.py), 100 000 referrals between 10 hubs and 100
township clinics (bench_referrals.py), and the Guiyang demo network with its support ledger. Then
``sessions.py`` makes the logins the load profile uses.

    DATABASE_URL=postgres://… .venv/bin/python bench/load/generate.py [--residents 1000000 …]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))

import bench_familydoctor as fd  # noqa: E402  (sets Django up against DATABASE_URL)
import bench_referrals as rf  # noqa: E402
from django.core.management import call_command  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--contracts", type=int, default=300_000)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--referrals", type=int, default=100_000)
    args = parser.parse_args()
    started = time.monotonic()
    call_command("migrate", verbosity=0)

    def step(text):
        print(f"[{time.monotonic() - started:6.0f}s] {text}", flush=True)

    network = fd.build_network(10, 200)
    step("network")
    people = fd.build_residents(network, args.residents)
    step(f"{len(people)} residents")
    teams = fd.build_teams(network)
    visits = fd.build_contracts(people, teams, args.contracts, args.visits)
    step(f"contracts and {visits} visits")
    rf.build(args.referrals)
    step(f"{args.referrals} referrals")
    from yilian.accounts.demo_users import create_demo_users
    from yilian.appointments.demo import load_appointments_demo
    from yilian.network.demo_loader import load_guiyang
    from yilian.support.demo import load_support_demo

    load_guiyang()
    create_demo_users()
    load_support_demo()
    load_appointments_demo()
    step("Guiyang network, support ledger and 新天's appointment schedules")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have by the next morning
        step("analyzed")


if __name__ == "__main__":
    main()
