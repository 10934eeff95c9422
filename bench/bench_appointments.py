"""Booking burst of full-appointment mode (issue 11; not run by the tests).

Booking opens at a fixed hour and many residents try at once: 500 booking attempts within 10 s for
the 50 remaining places of one general-clinic session, against a real server (``manage.py
runserver``, threaded) — exactly 50 must succeed, every other attempt gets a clear "full" answer,
p95 under 300 ms, 0 errors. Each resident has the booking page open before the hour (its GET is not
timed) and submits the form at a random moment of the burst, from their own address (X-Forwarded-For,
which the server is told to trust, so the per-address rate limit applies per resident).

The peer is the naive read-then-write booking one writes first: the same public page, form, rate
limit and notice, over a service that counts the places and then inserts in a transaction of its
own (``bench_appointments_urls.naive_booking_create``), hit the same way on a session of its own.

Runs on SQLite (a temporary file) and, when DATABASE_URL is set, on PostgreSQL as well:

    .venv/bin/python bench/bench_appointments.py                       # SQLite only
    scripts/pg.sh run .venv/bin/python bench/bench_appointments.py     # SQLite and PostgreSQL
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = "bench.bench_appointments_settings"
FULL_TEXT = "This session is full"


# ------------------------------------------------------------------ inside the database (subprocesses)


def _setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django

    django.setup()


def seed(places: int) -> dict:
    """A clinic with two general-clinic sessions of ``places`` places tomorrow: Yilian's and the peer's."""
    _setup_django()
    from datetime import time as clock
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import InstitutionFactory
    from yilian.appointments.models import Session, SessionType

    clinic = InstitutionFactory(name="压测社区卫生服务中心")
    day = timezone.localdate() + timedelta(days=1)
    ids = [Session.objects.create(clinic=clinic, session_type=SessionType.GENERAL, date=day, starts=clock(8, 0),
                                  ends=clock(12, 0), capacity=places).pk for _ in range(2)]
    return {"clinic": clinic.pk, "yilian": ids[0], "naive": ids[1]}


def taken(session_ids: list[int]) -> dict:
    _setup_django()
    from yilian.appointments.models import Booking

    return {str(pk): Booking.objects.filter(session_id=pk, status__in=Booking.ACTIVE).count() for pk in session_ids}


# ------------------------------------------------------------------------------ the burst (client)


class Burst:
    def __init__(self, port: int):
        self.port = port
        self.times: list[float] = []
        self.by_outcome: dict[str, list[float]] = {"booked": [], "full": [], "error": []}
        self.timeline: list[tuple[float, float, str]] = []  # (sent at, seconds, outcome)
        self.outcomes: dict[str, int] = {"booked": 0, "full": 0, "error": 0}
        self.errors: dict[str, int] = {}
        self.lock = threading.Lock()

    def request(self, method, path, *, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def record(self, outcome: str, seconds: float, detail: str = ""):
        with self.lock:
            self.timeline.append((time.perf_counter() - seconds, seconds, outcome))
            self.times.append(seconds)
            self.by_outcome[outcome].append(seconds)
            self.outcomes[outcome] += 1
            if detail:
                self.errors[detail] = self.errors.get(detail, 0) + 1


def _resident_headers(n: int) -> dict:
    return {"X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}", "Accept-Language": "en"}


def _open_form(burst: Burst, path: str, n: int) -> dict:
    """The resident's browser loads the booking page before the hour: CSRF cookie and token."""
    status, headers, html = burst.request("GET", path, headers=_resident_headers(n))
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    key = re.search(r'name="client_key" value="([^"]+)"', html)
    if status != 200 or not token:
        raise RuntimeError(f"could not open the booking form: {status}")
    return {"cookie": cookie, "token": token.group(1), "client_key": key.group(1) if key else ""}


def _attempt(burst: Burst, path: str, n: int, form: dict):
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": form["token"], "client_key": form["client_key"],
                                   "name": f"居民{n}", "phone": f"139{n:08d}", "reason": "复诊"})
    headers = {**_resident_headers(n), "Cookie": form["cookie"], "Content-Type": "application/x-www-form-urlencoded",
               "Referer": f"http://127.0.0.1:{burst.port}{path}"}
    start = time.perf_counter()
    try:
        status, _headers, html = burst.request("POST", path, body=body, headers=headers)
    except OSError as exc:
        burst.record("error", time.perf_counter() - start, type(exc).__name__)
        return
    elapsed = time.perf_counter() - start
    if status == 302:
        burst.record("booked", elapsed)
    elif status == 200 and FULL_TEXT in html:
        burst.record("full", elapsed)
    else:
        burst.record("error", elapsed, f"HTTP {status}")


def run_burst(port: int, path: str, attempts: int, window: float, clients: int) -> dict:
    burst = Burst(port)
    with ThreadPoolExecutor(8) as pool:
        forms = list(pool.map(lambda n: _open_form(burst, path, n), range(attempts)))
    rng = random.Random(11)
    moments = sorted(rng.uniform(0, window) for _ in range(attempts))  # residents press "Book" at random moments
    start = time.perf_counter()

    def fire(n):
        delay = moments[n] - (time.perf_counter() - start)
        if delay > 0:
            time.sleep(delay)
        _attempt(burst, path, n, forms[n])

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(fire, range(attempts)))
    wall = time.perf_counter() - start
    if os.environ.get("BENCH_TIMELINE"):
        for second in range(int(window) + 1):
            rows = [t for t in burst.timeline if second <= t[0] - start < second + 1]
            print(f"  {path[:30]} t={second}s sent={len(rows)} booked={sum(r[2] == 'booked' for r in rows)} "
                  f"p95={_percentile([r[1] for r in rows], 95):.0f} ms")
    return {**burst.outcomes, "wall": wall, "p50": _percentile(burst.times, 50), "p95": _percentile(burst.times, 95),
            "p95 booked": _percentile(burst.by_outcome["booked"], 95),
            "p95 full": _percentile(burst.by_outcome["full"], 95), "errors": burst.errors}


def _percentile(values, pct) -> float:
    """In milliseconds (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000


# ------------------------------------------------------------------------------- orchestration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sub(env, *args) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, env=env, check=True,  # noqa: S603
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_database(label: str, env: dict, args) -> list[dict]:
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env,  # noqa: S603
                   check=True)
    world = _sub(env, "seed", str(args.places))
    port = _free_port()
    log = (Path(env["YILIAN_DATA_DIR"]) / f"server-{label}.log").open("wb")
    if args.server == "gunicorn":  # as `yilian production` serves it: several worker processes
        command = [str(Path(sys.executable).parent / "gunicorn"), "yilian.wsgi:application", "-c",
                   str(ROOT / "yilian" / "ops" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                   "--workers", str(args.workers)]
    else:
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)  # noqa: S603
    rows = []
    try:
        for _ in range(150):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        yilian_path = f"/appointments/clinic/{world['clinic']}/sessions/{world['yilian']}/book/"
        naive_path = f"/bench/naive/{world['clinic']}/{world['naive']}/"
        runs = [("Yilian", yilian_path, world["yilian"]), ("naive read-then-write", naive_path, world["naive"])]
        for peer, path, session in (runs[::-1] if args.peer_first else runs):
            result = run_burst(port, path, args.attempts, args.window, args.clients)
            result.update(database=label, peer=peer, taken=_sub(env, "taken", str(session))[str(session)])
            rows.append(result)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rows


def _server_label(args) -> str:
    return f"gunicorn, {args.workers} workers" if args.server == "gunicorn" else "manage.py runserver (threaded)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="bench", choices=["bench", "seed", "taken"])
    parser.add_argument("values", nargs="*")
    parser.add_argument("--attempts", type=int, default=500)
    parser.add_argument("--places", type=int, default=50)
    parser.add_argument("--window", type=float, default=8.0, help="seconds over which the attempts arrive")
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections at most")
    parser.add_argument("--peer-first", action="store_true", help="run the peer's burst first")
    parser.add_argument("--server", choices=["runserver", "gunicorn"], default="runserver",
                        help="runserver (threaded, one process) or gunicorn with --workers processes")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--databases", type=lambda v: v.lower().split(","), default=["sqlite", "postgresql"],
                        help="which of sqlite,postgresql to run (PostgreSQL needs DATABASE_URL)")
    args = parser.parse_args()
    if args.command == "seed":
        print(json.dumps(seed(int(args.values[0]))))
        return
    if args.command == "taken":
        print(json.dumps(taken([int(v) for v in args.values])))
        return
    tmp = Path(tempfile.mkdtemp(prefix="yilian-bench-appointments-"))
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "YILIAN_DATA_DIR": str(tmp),
            "YILIAN_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR", "YILIAN_SMS_OPTIONS": json.dumps(
                {"path": str(tmp / "sms.log")}), "PYTHONPATH": str(ROOT)}
    databases = [("SQLite", {**{k: v for k, v in base.items() if k != "DATABASE_URL"},
                             "YILIAN_SQLITE_PATH": str(tmp / "bench.sqlite3")})]
    if os.environ.get("DATABASE_URL"):
        databases.append(("PostgreSQL", base))
    databases = [(label, {**env, "YILIAN_BENCH_SERVER": args.server}) for label, env in databases
                 if label.lower() in args.databases]
    print(f"load at start: {os.getloadavg()}  data: {tmp}")
    rows = [row for label, env in databases for row in bench_database(label, env, args)]
    print(f"\n{args.attempts} attempts within {args.window:.0f} s for {args.places} places, "
          f"≤ {args.clients} concurrent, {_server_label(args)}; load at end: {os.getloadavg()}")
    header = (f"{'database':<11}{'booking':<23}{'booked':>7}{'full':>6}{'errors':>7}{'overbooked':>11}"
              f"{'p50 ms':>8}{'p95 ms':>8}{'p95 booked':>11}{'p95 full':>9}{'wall s':>7}")
    print(header)
    for r in rows:
        print(f"{r['database']:<11}{r['peer']:<23}{r['booked']:>7}{r['full']:>6}{r['error']:>7}"
              f"{r['taken'] - args.places:>11}{r['p50']:>8.0f}{r['p95']:>8.0f}{r['p95 booked']:>11.0f}"
              f"{r['p95 full']:>9.0f}{r['wall']:>7.1f}")
        for detail, count in sorted(r["errors"].items()):
            print(f"{'':<11}  error ×{count}: {detail}")
    print("\nratios, Yilian / naive peer:")
    for label, _env in databases:
        mine, peer = (next(r for r in rows if r["database"] == label and r["peer"] == p)
                      for p in ("Yilian", "naive read-then-write"))
        print(f"  {label}: p95 {mine['p95'] / peer['p95']:.2f}×, p50 {mine['p50'] / peer['p50']:.2f}×, "
              f"places given {mine['taken']}/{args.places} vs {peer['taken']}/{args.places}")


if __name__ == "__main__":
    main()
