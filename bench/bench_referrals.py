"""Load benchmark of two-way referral at the size issue 4 names (not run by the tests).

N referrals (default 100 000, a year of a county's traffic) are bulk-loaded into the database — a
temporary SQLite file, or the PostgreSQL server of DATABASE_URL — a real server serves it (gunicorn
with several worker processes as ``yilian production`` runs it, or ``manage.py runserver``), and C
concurrent users (default 50) on loopback work for D seconds, each pausing ``--think`` seconds
between requests as a person does (0: every user fires its next request at once):

- clinic users create referrals through the API (with a client_key) — target p95 < 200 ms;
- hub desk users open the pending queue page and accept a waiting referral through the API
  — targets p95 < 200 ms each;
- supervisors open the monthly statistics page — target p95 < 500 ms.

Compared with the issue's targets (it names no peer); errors must be 0. Run from the root:

    .venv/bin/python bench/bench_referrals.py --server gunicorn                        # SQLite
    scripts/pg.sh run .venv/bin/python bench/bench_referrals.py --server gunicorn      # PostgreSQL
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="yilian-bench-referrals-"))
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "tests.referrals.kill_settings", "YILIAN_DATA_DIR": str(TMP),
    "YILIAN_LOG_LEVEL": "WARNING",
    "YILIAN_SQLITE_PATH": str(TMP / "bench.sqlite3"), "YILIAN_MEDIA_ROOT": str(TMP / "media"), "YILIAN_DEBUG": "0",
})
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from tests.factories import HospitalFactory, InstitutionFactory, RegionFactory, user_with_role  # noqa: E402
from tests.familydoctor.factories import ResidentFactory, make_id  # noqa: E402
from yilian.accounts.models import ApiToken, Membership  # noqa: E402
from yilian.network.models import Institution  # noqa: E402
from yilian.referrals.models import Department, Referral  # noqa: E402

TARGETS_MS = {"create": 200, "accept": 200, "pending queue": 200, "monthly stats": 500}


def build(n_referrals: int, hubs: int = 10, clinics_per_hub: int = 10, residents_per_clinic: int = 20):
    call_command("migrate", verbosity=0)
    region = RegionFactory(name="基准县")
    world = {"hubs": [], "clinics": []}
    referrals = []
    now = timezone.now()
    rng = random.Random(4)
    for h in range(hubs):
        hub = HospitalFactory(region=region, name=f"基准医院{h}")
        dept = Department.objects.create(hospital=hub, name="心内科")
        coordinator = user_with_role(Membership.Role.COORDINATOR, hub)
        world["hubs"].append({"hub": hub, "dept": dept, "user": coordinator})
        for c in range(clinics_per_hub):
            clinic = InstitutionFactory(region=region, kind=Institution.Kind.TOWNSHIP_CENTER, name=f"基准卫生院{h}-{c}")
            # 520103: a district code of its own, so these never collide with another generator's residents
            residents = [ResidentFactory(clinic=clinic, id_number=make_id(
                date(1950, 1, 1) + timedelta(days=(h * clinics_per_hub + c) * residents_per_clinic + r),
                sequence=r, region="520103")) for r in range(residents_per_clinic)]
            staff = user_with_role(Membership.Role.CLINIC_STAFF, clinic)
            world["clinics"].append({"clinic": clinic, "residents": residents, "user": staff, "hub": world["hubs"][-1]})
    statuses = [Referral.Status.CLOSED] * 6 + [Referral.Status.ADMITTED] * 2 + [Referral.Status.DECLINED]
    for i in range(n_referrals):
        c = world["clinics"][i % len(world["clinics"])]
        created = now - timedelta(minutes=rng.randint(30, 365 * 24 * 60))
        status = statuses[i % len(statuses)]
        accept = rng.randint(2, 120) if status != Referral.Status.DECLINED else None
        referrals.append(Referral(
            resident=c["residents"][i % residents_per_clinic], from_institution=c["clinic"],
            to_institution=c["hub"]["hub"], department=c["hub"]["dept"], icd_code="I10", diagnosis="高血压",
            urgency=rng.choice([1, 2, 3, 3, 3]), consent=True, status=status, created_by=c["user"],
            created_at=created, accepted_at=created + timedelta(minutes=accept) if accept else None,
            accept_minutes=accept))
    Referral.objects.bulk_create(referrals, batch_size=5000)
    world["supervisor"] = user_with_role(Membership.Role.SUPERVISOR, region)
    return world


def session_cookie(user) -> str:
    store = SessionStore()
    store.update({"_auth_user_id": str(user.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                  "_auth_user_hash": user.get_session_auth_hash()})
    store.create()
    return f"sessionid={store.session_key}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Load:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.times = defaultdict(list)
        self.errors = defaultdict(int)
        self.kinds = defaultdict(int)
        self.lock = threading.Lock()
        self.record_from = 0.0  # requests started before this (the warm-up) are not counted

    def call(self, name, path, *, token=None, cookie=None, body=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if cookie:
            headers["Cookie"] = cookie
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers,
                                         method="POST" if body is not None else "GET")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                payload = response.read()
                ok = response.status < 400
        except urllib.error.HTTPError as exc:
            ok, payload = False, b""
            self.kinds[f"{name}: HTTP {exc.code} {exc.read()[:120]!r}"] += 1
        except (urllib.error.URLError, OSError) as exc:
            ok, payload = False, b""
            self.kinds[f"{name}: {type(exc).__name__} {exc}"[:160]] += 1
        elapsed = (time.perf_counter() - start) * 1000
        if start < self.record_from:
            return payload
        with self.lock:
            self.times[name].append(elapsed)
            if not ok:
                self.errors[name] += 1
        return payload


def run(world, port, clients: int, seconds: float, think: tuple[float, float], warmup: float):
    load = Load(port)
    load.record_from = time.perf_counter() + warmup
    tokens = {}
    for entry in world["clinics"] + world["hubs"]:
        tokens[entry["user"].pk] = ApiToken.issue(entry["user"], "bench")[1]
    # one browser session per client: real users do not share a session cookie
    cookies = {n: session_cookie(world["hubs"][n % len(world["hubs"])]["user"]) for n in range(clients)}
    supervisor_cookies = {n: session_cookie(world["supervisor"]) for n in range(clients)}
    waiting = defaultdict(list)
    for pk, hub_id in Referral.objects.filter(status=Referral.Status.SENT).values_list("pk", "to_institution_id"):
        waiting[hub_id].append(pk)
    stop = time.monotonic() + warmup + seconds
    counter = iter(range(10**9))
    pause_rng = random.Random(7)

    def pause():
        if think[1]:
            time.sleep(pause_rng.uniform(*think))

    def clinic_client(n):
        per_hub = len(world["clinics"]) // len(world["hubs"])
        c = world["clinics"][(n % len(world["hubs"])) * per_hub + (n // len(world["hubs"])) % per_hub]  # hub n % hubs
        while time.monotonic() < stop:
            pause()
            answer = load.call("create", "/api/v1/referrals", token=tokens[c["user"].pk], body={
                "resident": c["residents"][0].pk, "department": c["hub"]["dept"].pk, "icd_code": "I21.0",
                "urgency": 2, "consent": True, "reason": "bench", "client_key": f"b{next(counter)}"})
            if answer:
                with load.lock:
                    waiting[c["hub"]["hub"].pk].append(json.loads(answer)["id"])

    def hub_client(n):
        h = world["hubs"][n % len(world["hubs"])]
        while time.monotonic() < stop:
            pause()
            load.call("pending queue", "/referrals/desk/queue/", cookie=cookies[n])
            pause()
            with load.lock:
                pk = waiting[h["hub"].pk].pop() if waiting[h["hub"].pk] else None
            if pk is not None:
                load.call("accept", f"/api/v1/referrals/{pk}/steps", token=tokens[h["user"].pk],
                          body={"action": "accept", "bed": "1"})

    def supervisor_client(n):
        while time.monotonic() < stop:
            pause()
            load.call("monthly stats", "/referrals/stats/", cookie=supervisor_cookies[n])

    roles = [clinic_client] * (clients * 5 // 10) + [hub_client] * (clients * 4 // 10)
    roles += [supervisor_client] * (clients - len(roles))
    # each role numbers its own clients, so hub client k serves the hub clinic client k sends to
    threads = [threading.Thread(target=role, args=(roles[:i].count(role),)) for i, role in enumerate(roles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return load


def _server(args, port):
    if args.server == "gunicorn":  # as `yilian production` serves it: several worker processes
        return [str(Path(sys.executable).parent / "gunicorn"), "yilian.wsgi:application", "-c",
                str(ROOT / "yilian" / "ops" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                "--workers", str(args.workers)]
    return [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--referrals", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=lambda v: tuple(float(x) for x in v.split("-")), default=(1.0, 3.0),
                        help="pause between a user's requests, seconds: MIN-MAX (0-0 for none)")
    parser.add_argument("--server", choices=["runserver", "gunicorn"], default="gunicorn")
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--warmup", type=float, default=15, help="seconds of load before the counting starts")
    args = parser.parse_args()
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    print(f"load at start: {os.getloadavg()}  data: {TMP}  database: {database}")
    t0 = time.perf_counter()
    world = build(args.referrals)
    print(f"built {Referral.objects.count()} referrals in {time.perf_counter() - t0:.1f} s")
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.referrals.kill_settings", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(_server(args, port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,  # noqa: S603
                              stderr=(TMP / "server.log").open("wb"))
    try:
        for _ in range(150):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        load = run(world, port, args.clients, args.seconds, args.think, args.warmup)
    finally:
        server.terminate()
        server.wait(timeout=10)
    served = f"gunicorn, {args.workers} workers" if args.server == "gunicorn" else "runserver"
    print(f"\n{args.clients} users, think {args.think[0]:g}–{args.think[1]:g} s, {args.seconds:.0f} s, "
          f"{args.referrals} referrals, {database}, {served}; load at end: {os.getloadavg()}")
    print(f"{'operation':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'target':>8}{'p95/target':>12}")
    for name, target in TARGETS_MS.items():
        times = sorted(load.times[name])
        if not times:
            print(f"{name:<16}{0:>9}")
            continue
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{name:<16}{len(times):>9}{load.errors[name]:>8}{statistics.median(times):>9.0f}{p95:>9.0f}"
              f"{target:>8}{p95 / target:>12.2f}")
    print(f"server log: {TMP / 'server.log'}")
    for kind, count in sorted(load.kinds.items()):
        print(f"  error ×{count}: {kind}")


if __name__ == "__main__":
    main()
