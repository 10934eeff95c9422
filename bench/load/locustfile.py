"""The real mix of Yilian's users, for locust (driven by bench/bench_load.py; LOAD_WORLD names the
JSON that sessions.py wrote). Weights follow who is on the system during a working day:

- clinic staff (most users): search residents, open a resident record, see today's visits,
  send a referral through the API;
- hub referral desks: open the pending queue, accept a referral;
- doctors at the clinic: open their day and the dispatch plan;
- supervisors: dashboards — coverage of the city by clinic, referral statistics, the
  responsibility table, the support ledger.

Request names group the statistics: ``page:``, ``api:`` and ``dashboard:`` prefixes decide which
target applies (pages and API p95 ≤ 300 ms, dashboards p95 ≤ 1 s).
"""

import itertools
import json
import os
import random
import uuid

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
