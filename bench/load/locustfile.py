"""The real mix of Yilian's users, for locust (driven by bench/bench_load.py; LOAD_WORLD names the
JSON that sessions.py wrote). Weights follow who is on the system during a working day:

- clinic staff (most users): search residents, open a resident record, see today's visits,
  record a home visit and send a referral through the API;
- hub referral desks: open the pending queue, accept a referral;
- doctors out at a clinic: open their day (check-in page);
- readers at the hub: open the reading worklist;
- residents: open a clinic's public booking page and book a slot (each from an address of its own,
  as behind the city's reverse proxy, so the per-address rate limit applies per resident);
- supervisors: dashboards — coverage of the city by clinic, referral statistics, the
  responsibility table, the support ledger.

Request names group the statistics: ``page:``, ``api:`` and ``dashboard:`` prefixes decide which
target applies (pages and API p95 ≤ 300 ms, dashboards p95 ≤ 1 s).
"""

import itertools
import json
import os
import random
import re
import uuid
from datetime import date

from locust import HttpUser, between, task

WORLD = json.loads(open(os.environ["LOAD_WORLD"]).read())  # noqa: SIM115
_numbers = itertools.count()


def _pick(items, n):
    return items[n % len(items)]


class ClinicStaff(HttpUser):
    weight = 6
    wait_time = between(1, 3)

    def on_start(self):
        n = next(_numbers)
        self.clinic = _pick(WORLD["fd_clinics"], n)
        self.referring = _pick(WORLD["ref_clinics"], n)
        self.client.headers["Cookie"] = self.clinic["cookie"]

    @task(4)
    def search_residents(self):
        query = random.choice(self.clinic["initials"] or ["zh"])  # noqa: S311
        self.client.get(f"/residents/?q={query}", name="page: resident search")

    @task(3)
    def open_resident(self):
        self.client.get(f"/residents/{random.choice(self.clinic['residents'])}/", name="page: resident record")  # noqa: S311

    @task(2)
    def visits_today(self):
        self.client.get("/residents/visits/today/", name="page: today's visits")

    @task(2)
    def record_visit(self):
        if not self.clinic["contracts"]:
            return
        body = {"contract": random.choice(self.clinic["contracts"]), "date": date.today().isoformat(),  # noqa: S311
                "mode": "home", "systolic": random.randint(110, 160), "diastolic": random.randint(70, 100),  # noqa: S311
                "services": "血压测量", "client_key": uuid.uuid4().hex}
        self.client.post("/api/v1/visits", json=body, name="api: record a home visit",
                         headers={"Authorization": f"Bearer {self.clinic['token']}", "Cookie": ""})

    @task(2)
    def send_referral(self):
        body = {"resident": self.referring["resident"], "department": self.referring["department"],
                "icd_code": "I21.0", "urgency": 2, "consent": True, "reason": "胸痛", "client_key": uuid.uuid4().hex}
        self.client.post("/api/v1/referrals", json=body, name="api: create referral",
                         headers={"Authorization": f"Bearer {self.referring['token']}", "Cookie": ""})


class ReferralDesk(HttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self):
        self.hub = _pick(WORLD["ref_hubs"], next(_numbers))
        self.client.headers["Cookie"] = self.hub["cookie"]

    @task(3)
    def queue(self):
        self.client.get("/referrals/desk/queue/", name="page: referral desk queue")

    @task(1)
    def accept(self):
        if not self.hub["waiting"]:
            return
        pk = self.hub["waiting"].pop()
        self.client.post(f"/api/v1/referrals/{pk}/steps", json={"action": "accept", "bed": "12"},
                         name="api: accept referral",
                         headers={"Authorization": f"Bearer {self.hub['token']}", "Cookie": ""})


class Supervisor(HttpUser):
    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        n = next(_numbers)
        self.cookies = {kind: _pick(cookies, n) for kind, cookies in WORLD["supervisors"].items()}

    def _get(self, path, kind, name):
        self.client.get(path, name=name, headers={"Cookie": self.cookies[kind]})

    @task(2)
    def coverage(self):
        self._get("/residents/coverage/?level=clinic", "fd", "dashboard: family-doctor coverage")

    @task(1)
    def referral_stats(self):
        self._get("/referrals/stats/", "referrals", "dashboard: referral statistics")

    @task(1)
    def responsibility(self):
        self._get("/responsibility/", "guiyang", "dashboard: responsibility table")

    @task(1)
    def ledger(self):
        self._get("/support/ledger/", "guiyang", "dashboard: support ledger")

    @task(1)
    def api_regions(self):
        self._get("/api/v1/institutions?limit=50", "guiyang", "api: institutions list")


class Doctor(HttpUser):
    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        self.client.headers["Cookie"] = _pick(WORLD["doctor"], next(_numbers))

    @task
    def my_day(self):
        self.client.get("/support/today/", name="page: doctor's day (check-in)")


class Reader(HttpUser):
    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        self.client.headers["Cookie"] = _pick(WORLD["reader"], next(_numbers))

    @task
    def worklist(self):
        self.client.get("/telehealth/worklist/", name="page: reading worklist")


_SESSION = re.compile(r"/sessions/(\d+)/book/")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Resident(HttpUser):
    weight = 2
    wait_time = between(8, 15)  # under the public pages' limit of 10 submits a minute per address

    def on_start(self):
        n = next(_numbers)
        self.address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        self.phone = f"139{n:08d}"[:11]
        self.clinic = WORLD["booking_clinic"]

    @task
    def book(self):
        headers = {"X-Real-IP": self.address}
        page = self.client.get(f"/appointments/clinic/{self.clinic}/", headers=headers,
                               name="page: public booking page")
        sessions = _SESSION.findall(page.text)
        if not sessions:
            return
        url = f"/appointments/clinic/{self.clinic}/sessions/{random.choice(sessions)}/book/"  # noqa: S311
        form = self.client.get(url, headers=headers, name="page: public booking form")
        token = _CSRF.search(form.text)
        csrf = form.cookies.get("csrftoken") or ""
        if not token or not csrf:
            return
        # The CSRF cookie is Secure in production; behind TLS the browser sends it, here we do.
        with self.client.post(url, data={"name": "居民", "phone": self.phone, "reason": "复诊",
                                         "csrfmiddlewaretoken": token.group(1), "client_key": uuid.uuid4().hex},
                              headers={**headers, "Cookie": f"csrftoken={csrf}"}, name="api: book a slot",
                              catch_response=True, allow_redirects=False) as response:
            if response.status_code in (200, 302):
                response.success()  # 200: the form says full / already booked, which is an answer, not an error
