"""Benchmark of the dispatch roster optimiser at the size issue 9 names (not run by the tests).

Generates the instance (``yilian.roster.synthetic.instance``: 1 000 doctors from 20 hospitals,
300 clinics, 12 specialties, one month of official working days — October 2025, with the National
Day week — each doctor eligible for the clinics within a 90-minute travel limit, N = 2 days away,
P = 20 % of a department a day) and solves it three ways with the same time limit and cores:

- Yilian: components, staged lexicographic objectives, greedy hint, max-flow bound;
- plain: one CP-SAT model of everything, one weighted objective, no hint;
- greedy: the scarcest-needs-first heuristic (also Yilian's hint).

Every roster is verified by the independent checker. Then the busiest doctor cancels and Yilian
re-plans (minimal change, 5 s limit). Prints one table (Markdown), ratios against the plain model.

    .venv/bin/python bench/bench_roster.py [--seconds 60] [--workers 2] [--doctors 1000 --clinics 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from yilian.roster import checker, model, synthetic  # noqa: E402


def measure(name, problem, roster, unmet, bound, seconds) -> dict:
    problems = checker.check(problem, roster, unmet_days=unmet)
    fair = model.fairness(problem, roster)
    return {"name": name, "unmet": unmet, "gap": (unmet - bound) / unmet if unmet else 0.0,
            "spread": fair["spread"], "stdev": fair["stdev"], "travel": model.travel_minutes(problem, roster),
            "pairs": model.continuity_pairs(roster), "seconds": seconds, "valid": not problems}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--doctors", type=int, default=1000)
    parser.add_argument("--hospitals", type=int, default=20)
    parser.add_argument("--clinics", type=int, default=300)
    parser.add_argument("--specialties", type=int, default=12)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()

    problem = synthetic.instance(doctors=args.doctors, hospitals=args.hospitals, clinics=args.clinics,
                                 specialties=args.specialties, seed=args.seed)
    index = model.Index(problem)
    print(f"# Roster benchmark: {args.doctors} doctors, {args.hospitals} hospitals, {args.clinics} clinics, "
          f"{args.specialties} specialties, {len(problem.days)} working days (2025-10); "
          f"{index.demand()} clinic-days asked; {len(index.options)} possible (doctor, clinic, day); "
          f"time limit {args.seconds:g} s, {args.workers} workers; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores (shared with other jobs while this ran)\n")

    started = time.monotonic()
    ours = model.solve(problem, seconds=args.seconds, workers=args.workers)
    ours_time = time.monotonic() - started
    bound = ours.lower_bound

    started = time.monotonic()
    greedy = model.greedy(problem)
    greedy_time = time.monotonic() - started
    greedy_unmet = checker_unmet(problem, greedy)

    started = time.monotonic()
    plain = model.solve_plain(problem, seconds=args.seconds, workers=args.workers)
    plain_time = time.monotonic() - started

    rows = [measure("Yilian (components, stages, hint)", problem, ours.assignments, ours.unmet_days, bound, ours_time),
            measure("plain single CP-SAT model", problem, plain.assignments, plain.unmet_days, bound, plain_time),
            measure("greedy baseline", problem, greedy, greedy_unmet, bound, greedy_time)]
    print(f"Proven lower bound of unmet clinic-days: **{bound}** (max-flow relaxation alone: {ours.flow_bound}); "
          f"Yilian status: {ours.status}\n")
    print("| plan | unmet clinic-days | gap to bound | fairness spread (Σ max−min per specialty) | "
          "days st.dev | travel (min) | doctor–clinic pairs | time (s) | checker |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['name']} | {r['unmet']} | {r['gap']:.1%} | {r['spread']} | {r['stdev']} | {r['travel']} | "
              f"{r['pairs']} | {r['seconds']:.1f} | {'valid' if r['valid'] else 'INVALID'} |")
    y, p, g = rows
    versus_plain = (f"unmet ×{y['unmet'] / p['unmet']:.2f} of the plain model's" if plain.assignments
                    else "the plain model found no roster within the limit")
    print(f"\nYilian vs plain: {versus_plain}; Yilian vs greedy: {g['unmet'] - y['unmet']} more clinic-days met, "
          f"spread ×{y['spread'] / max(1, g['spread']):.2f}, travel ×{y['travel'] / max(1, g['travel']):.2f}, "
          f"pairs ×{y['pairs'] / max(1, g['pairs']):.2f}.")

    print("\nRe-planning when one doctor cancels the whole month (limit 5 s): the busiest doctor, then four "
          "others drawn at random among those with assignments; each from Yilian's roster above.\n")
    print("| cancelled | time (s) | had to change | other assignments moved | added | unmet before → after | "
          "checker |")
    print("|---|---:|---:|---:|---:|---|---|")
    loads = Counter(a.doctor for a in ours.assignments)
    chosen = [loads.most_common(1)[0][0]] + random.Random(args.seed).sample(sorted(loads), 4)
    for doctor_id in chosen:
        started = time.monotonic()
        again = model.replan(problem, ours.assignments, doctor_id, seconds=5, workers=args.workers)
        took = time.monotonic() - started
        cancelled = model.Problem(**{**problem.__dict__, "doctors": [
            model._without_days(d, set(problem.days)) if d.id == doctor_id else d for d in problem.doctors]})
        valid = not checker.check(cancelled, again.assignments, unmet_days=again.unmet_days)
        c = again.changed
        print(f"| {doctor_id} ({loads[doctor_id]} days) | {took:.2f} | {c['must']} | {c['removed_others']} | "
              f"{c['added']} | {ours.unmet_days} → {again.unmet_days} | {'valid' if valid else 'INVALID'} |")


def checker_unmet(problem, roster) -> int:
    given = Counter()
    specialty = {d.id: d.specialty for d in problem.doctors}
    for a in roster:
        given[(a.clinic, specialty[a.doctor])] += 1
    return sum(max(0, w - given[(c.id, s)]) for c in problem.clinics for s, w in c.needs.items())


if __name__ == "__main__":
    main()
