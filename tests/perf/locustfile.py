"""The deadline-day mix for `make loadtest` (tests/perf/loadtest.py prepares the data file this reads).

Institution staff look at their roster, add a learner and confirm; their LAO unlocks them again (so the mix can
go on for as long as the run lasts); LAO, province and department officers watch their dashboards and the
headcounts. Every request that does not answer 2xx counts as an error.
"""

import itertools
import json
import os
import random
import threading

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

DATA = json.loads(open(os.environ["LEC_LOADTEST_DATA"], encoding="utf-8").read())  # noqa: SIM115
MAX_REQUESTS = int(os.environ.get("LEC_LOADTEST_MAX_REQUESTS", "0"))
ROUND = DATA["round"]
SESSION_COOKIE = DATA.get("session_cookie", "sessionid")
_lock = threading.Lock()
_pools = {k: itertools.cycle(DATA[k]) for k in ("institutions", "laos", "provinces")}
_sent = itertools.count(1)
_user_ids = itertools.count()
STEP = int(os.environ.get("LEC_LOADTEST_STEP", "0"))


@events.request.add_listener
def _bound(**kwargs):
    """Stop the whole run once the request budget is spent."""
    if MAX_REQUESTS and next(_sent) == MAX_REQUESTS:
        runner = kwargs.get("context", {}).get("runner") or _RUNNER.get("runner")
        if runner is not None:
            runner.quit()


_RUNNER: dict = {}


@events.init.add_listener
def _init(environment, **_kwargs):
    _RUNNER["runner"] = environment.runner


def _take(pool: str) -> dict:
    with _lock:
        return next(_pools[pool])


class _Officer(FastHttpUser):  # gevent HTTP client: less of the shared CPU for the load generator
    abstract = True
    wait_time = between(
        float(os.environ.get("LEC_WAIT_MIN", "3")), float(os.environ.get("LEC_WAIT_MAX", "10"))
    )

    def api(self, method, path, token, name, body=None):
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "th"}
        with self.client.request(
            method, path, json=body, headers=headers, name=name, catch_response=True
        ) as r:
            if not 200 <= r.status_code < 300:
                r.failure(f"{r.status_code}: {r.text[:200]}")
            return r

    def page(self, path, session, name):
        # The session cookie is Secure in production mode; over loopback http it is sent by hand.
        with self.client.get(
            path, headers={"Cookie": f"{SESSION_COOKIE}={session}", "Accept-Language": "th"}, name=name,
            allow_redirects=False, catch_response=True,
        ) as r:  # fmt: skip
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
            return r


class InstitutionStaff(_Officer):
    weight = int(os.environ.get("LEC_WEIGHT_STAFF", "70"))

    def on_start(self):
        self.me = _take("institutions")
        self.n = 0

    @task(6)
    def roster_page(self):
        if self.me.get("roster_page"):
            self.page(self.me["roster_page"], self.me["session"], "roster page")
        else:
            self.roster_api()

    @task(4)
    def roster_api(self):
        page = random.randint(1, max(1, self.me["pages"]))
        self.api("GET", f"/api/v1/organisations/{self.me['code']}/learners?page={page}", self.me["token"],
                 "roster API")  # fmt: skip

    @task(2)
    def add_learner(self):
        self.n += 1
        # unique per run (tag), saturation step, simulated user and request: a step's new locust process and two
        # users of one institution never repeat an identity (a 409 identity_active_elsewhere is an error here)
        if not hasattr(self, "uid"):
            self.uid = next(_user_ids)
        nid = _national_id(f"{DATA['tag'] % 100:02d}{STEP % 10}{self.uid % 1000:03d}{self.n % 10000:04d}")
        body = dict(self.me["learner"], national_id=nid)
        r = self.api("POST", f"/api/v1/organisations/{self.me['code']}/learners", self.me["token"], "learner create",
                     body)  # fmt: skip
        if r.status_code == 201 and random.random() < 0.5:
            learner = r.json()
            self.api("PATCH", f"/api/v1/learners/{learner['id']}", self.me["token"], "learner edit",
                     {"room": "2", "version": learner["version"]})  # fmt: skip

    @task(1)
    def confirm_and_unlock(self):
        code = self.me["code"]
        r = self.api("POST", f"/api/v1/organisations/{code}/confirm", self.me["token"], "institution confirm",
                     {"round": ROUND, "scope": "learners"})  # fmt: skip
        if r.status_code == 200:
            self.api("POST", f"/api/v1/organisations/{code}/unlock", self.me["lao_token"], "institution unlock",
                     {"round": ROUND, "scope": "learners", "reason": "แก้ไขข้อมูลนักเรียนย้ายเข้า"})  # fmt: skip


class LaoOfficer(_Officer):
    weight = int(os.environ.get("LEC_WEIGHT_LAO", "20"))

    def on_start(self):
        self.me = _take("laos")

    @task(3)
    def dashboard(self):
        if self.me.get("dashboard"):
            self.page(self.me["dashboard"], self.me["session"], "LAO dashboard page")
        self.api("GET", f"/api/v1/organisations/{self.me['code']}/confirmation?round={ROUND}", self.me["token"],
                 "LAO confirmation API")  # fmt: skip

    @task(1)
    def headcounts(self):
        self.api("GET", f"/api/v1/headcounts?round={ROUND}&organisation={self.me['code']}&source=live&by=child",
                 self.me["token"], "LAO headcounts")  # fmt: skip


class ProvinceOfficer(_Officer):
    weight = int(os.environ.get("LEC_WEIGHT_PROVINCE", "8"))

    def on_start(self):
        self.me = _take("provinces")

    @task(3)
    def dashboard(self):
        if self.me.get("dashboard"):
            self.page(self.me["dashboard"], self.me["session"], "province dashboard page")
        self.api("GET", f"/api/v1/organisations/{self.me['code']}/confirmation?round={ROUND}", self.me["token"],
                 "province confirmation API")  # fmt: skip

    @task(1)
    def headcounts(self):
        self.api("GET", f"/api/v1/headcounts?round={ROUND}&organisation={self.me['code']}&source=confirmed",
                 self.me["token"], "province headcounts")  # fmt: skip


class DepartmentOfficer(_Officer):
    weight = int(os.environ.get("LEC_WEIGHT_DEPARTMENT", "2"))

    def on_start(self):
        self.me = DATA["department"]

    @task(2)
    def dashboard(self):
        if self.me.get("dashboard"):
            self.page(self.me["dashboard"], self.me["session"], "department dashboard page")

    @task(2)
    def national(self):
        for source in ("confirmed", "live"):
            self.api("GET", f"/api/v1/headcounts?round={ROUND}&organisation=DLA&source={source}",
                     self.me["token"], f"national headcounts {source}")  # fmt: skip


def _national_id(body10: str) -> str:
    twelve = "18" + body10
    total = sum(int(d) * (13 - i) for i, d in enumerate(twelve))
    return twelve + str((11 - total % 11) % 10)
