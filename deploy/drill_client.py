"""What the drills stand on: an HTTP client for the cluster's entry (retries counted apart), sign-in, the
primary's counts, identities that never collide, and the deadline-day mix as a steady stream."""

import concurrent.futures
import datetime as dt
import http.client
import itertools
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster  # noqa: E402

HOST, PORT = cluster.HOST, cluster.PROXY_PORT
TIMEOUT = 30.0  # a request slower than this counts as hung
RETRYABLE = {502, 503, 504}
ALL = ("web-kill", "worker-kill", "redis-restart", "replica", "pg-restart", "backup")
QUICK = ("web-kill", "replica", "backup")


class DrillFailed(Exception):
    pass


# --- HTTP through haproxy ----------------------------------------------------------------------------------------


class Response:
    def __init__(self, status: int, body: bytes, headers: dict, seconds: float):
        self.status, self.body, self.headers, self.seconds = status, body, headers, seconds

    def json(self):
        return json.loads(self.body or b"null")


def request(
    method, path, *, token=None, body=None, headers=None, cookies=None, raw=None, ctype=None, port=PORT
):
    """One request (a fresh connection each time, as a browser behind NAT may); status 0 = no answer."""
    hdrs = {"Accept-Language": "th", "Host": f"{HOST}:{port}", **(headers or {})}
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    if cookies:
        hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    data = raw
    if body is not None:
        data, ctype = json.dumps(body).encode(), "application/json"
    if ctype:
        hdrs["Content-Type"] = ctype
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        out = Response(resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()}, 0)
        out.cookies = [v for k, v in resp.getheaders() if k.lower() == "set-cookie"]
    except (OSError, http.client.HTTPException):
        out = Response(0, b"", {}, 0)
        out.cookies = []
    finally:
        conn.close()
    out.seconds = time.monotonic() - started
    return out


def token_for(username: str) -> str:
    r = request("POST", "/api/v1/auth/token", body={"username": username, "password": cluster.DEMO_PASSWORD})
    if r.status != 200:
        raise DrillFailed(f"no token for {username}: {r.status} {r.body[:200]!r}")
    return r.json()["token"]


def sign_in(username: str) -> dict:
    """A browser sign-in through the login form: returns the cookies (session and CSRF)."""
    jar: dict = {}

    def keep(resp):
        for c in resp.cookies:
            name, _, rest = c.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]

    page = request("GET", "/login/")
    keep(page)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if not match:
        raise DrillFailed(f"no login form: {page.status}")
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": username,
            "password": cluster.DEMO_PASSWORD,
        }
    ).encode()
    r = request("POST", "/login/", raw=form, ctype="application/x-www-form-urlencoded", cookies=jar,
                headers={"Referer": f"http://{HOST}:{PORT}/login/"})  # fmt: skip
    keep(r)
    if r.status != 302 or not any(
        name.endswith("sessionid") for name in jar
    ):  # __Host-sessionid in production
        raise DrillFailed(f"sign-in of {username} failed: {r.status}")
    return jar


def signed_in(cookies: dict) -> bool:
    """The home page sends a signed-in user to their organisation's page, and anyone else to the login form."""
    r = request("GET", "/", cookies=cookies)
    if r.status == 302 and "/login" not in r.headers.get("location", ""):
        r = request("GET", r.headers["location"], cookies=cookies)
    return r.status == 200 and b'name="password"' not in r.body


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise DrillFailed(f"{what} did not happen within {seconds:.0f} s")


# --- Django, in this process, on the cluster's primary -----------------------------------------------------------


def setup_django() -> None:
    env = cluster.lec_env()
    env.pop("DATABASE_REPLICA_URL", None)  # verification reads the primary
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lec.settings"
    sys.path.insert(0, str(cluster.ROOT))
    import django

    django.setup()


def verify_counts(database_url: str = cluster.PRIMARY_URL) -> tuple[bool, str]:
    env = dict(cluster.lec_env(), DATABASE_URL=database_url)
    env.pop("DATABASE_REPLICA_URL", None)
    out = subprocess.run(  # noqa: S603
        [str(cluster.PY), str(cluster.ROOT / "manage.py"), "verify_counts"], env=env, cwd=cluster.ROOT,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    text = (out.stdout.strip().splitlines() or [out.stderr.strip()[-300:]])[-1]
    return out.returncode == 0, text


class Identities:
    """Valid national IDs no one holds: a 12-digit prefix unique to this run, then the check digit."""

    def __init__(self):
        from students.identity import make_national_id

        self.make = make_national_id
        self.run = f"{int(time.time()) % 10**6:06d}"
        self.seq = itertools.count(1)
        self.lock = threading.Lock()

    def next(self, series: int = 1) -> str:
        with self.lock:
            n = next(self.seq)
        return self.make(f"{series}{self.run}{n:05d}")

    def prefix(self, series: int = 1) -> str:
        return f"{series}{self.run}"


def learners_with_prefix(prefix: str) -> tuple[int, int]:
    """(rows, distinct identities) of learners whose national ID starts with `prefix`."""
    from django.db import connection, connections

    connections.close_all()  # a fresh connection: the server may have restarted under this one
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(DISTINCT national_id) FROM students_learner WHERE national_id LIKE %s",
            [prefix + "%"],
        )
        return cur.fetchone()


def open_round():
    from schools.models import Round

    return Round.objects.filter(state=Round.State.OPEN).order_by("-id").first()


# --- the deadline-day mix ---------------------------------------------------------------------------------------


class Mix:
    """Staff add learners and read their roster; LAO, province and department officers read reports."""

    def __init__(self, ids: Identities, series: int):
        from schools.models import Organisation

        self.ids, self.series = ids, series
        self.round = open_round()
        self.tokens = {u: token_for(u) for u in ("demo_school", "demo_cdc", "demo_lao", "demo_province",
                                                 "demo_department")}  # fmt: skip
        self.orgs = {u.username: u.organisation.code for u in self._users()}
        self.levels = {"demo_school": ("p2", 8), "demo_cdc": ("cdc3", 3)}
        self.kinds = {o.code: o.kind for o in Organisation.objects.filter(code__in=self.orgs.values())}
        self.stats = {"reads": 0, "read_failures": 0, "writes": 0, "write_retries": 0, "write_refused": 0,
                      "write_unknown": 0, "max_seconds": 0.0}  # fmt: skip
        self.failures: list[str] = []
        self.created: list[str] = []
        self.lock = threading.Lock()

    def _users(self):
        from accounts.models import User

        return User.objects.filter(username__in=list(self.tokens)).select_related("organisation")

    def _note(self, r: Response):
        with self.lock:
            self.stats["max_seconds"] = max(self.stats["max_seconds"], r.seconds)

    def read(self, rng: random.Random) -> None:
        user = rng.choice(["demo_school", "demo_cdc", "demo_lao", "demo_province", "demo_department"])
        code, rnd = self.orgs[user], self.round.id if self.round else ""
        path = rng.choice([
            f"/api/v1/organisations/{code}/learners?page=1",
            f"/api/v1/headcounts?round={rnd}&organisation={code}&source=live",
            f"/api/v1/organisations/{code}/confirmation?round={rnd}",
            f"/api/v1/headcounts?round={rnd}&organisation={code}&source=confirmed&by=child",
        ])  # fmt: skip
        r = request("GET", path, token=self.tokens[user])
        if r.status == 0:
            # The connection broke mid-answer: haproxy replays a GET whose node died before answering, but cannot
            # replay one whose answer it had begun to forward (the node was killed between header and body).
            # A client library replays an idempotent GET once, as this one does; counted apart.
            with self.lock:
                self.stats["reads_replayed"] = self.stats.get("reads_replayed", 0) + 1
            r = request("GET", path, token=self.tokens[user])
        self._note(r)
        with self.lock:
            self.stats["reads"] += 1
            if r.status != 200:
                self.stats["read_failures"] += 1
                self.stats["status_" + str(r.status)] = self.stats.get("status_" + str(r.status), 0) + 1
                self.failures.append(f"GET {path} → {r.status} {r.body[:120]!r}")

    def write(self, rng: random.Random, tolerate_down: bool = False) -> None:
        """Add a learner; on 502/503/504 or no answer, send the same body again (the identity makes it idempotent:
        a 409 naming our own institution after a lost answer means the first attempt was applied)."""
        user = rng.choice(["demo_school", "demo_cdc"])
        code = self.orgs[user]
        level, age = self.levels[user]
        census = self.round.census_date if self.round else dt.date.today()
        nid = self.ids.next(self.series)
        body = {"national_id": nid, "prefix": "เด็กหญิง", "first_name": "ซ้อม", "last_name": "ระบบ",
                "birth_date": dt.date(census.year - age, 2, 1).isoformat(), "class_level": level, "room": "1"}  # fmt: skip
        lost = False
        for attempt in range(8):
            r = request("POST", f"/api/v1/organisations/{code}/learners", token=self.tokens[user], body=body)
            self._note(r)
            if 200 <= r.status < 300 or (r.status == 409 and lost and code.encode() in r.body):
                with self.lock:
                    self.stats["writes"] += 1
                    self.stats["write_retries"] += attempt
                    self.created.append(nid)
                return
            if r.status in RETRYABLE or r.status == 0:
                lost = True
                time.sleep(0.2 * (attempt + 1))
                continue
            break
        with self.lock:
            if tolerate_down and (r.status in RETRYABLE or r.status in (0, 500)):
                # the database was away: refused (check_written proves a refused write was not applied)
                self.stats["write_refused"] += 1
                self.stats["status_" + str(r.status)] = self.stats.get("status_" + str(r.status), 0) + 1
            else:
                self.stats["write_unknown"] += 1
                self.failures.append(f"POST learner → {r.status} {r.body[:160]!r}")

    def run(self, seconds: float, threads: int, write_share: float, events=(), **kw) -> None:
        """`threads` users for `seconds`, each sending one request after another; `events` = [(at_s, fn)]."""
        stop = time.monotonic() + seconds

        def user(i):
            rng = random.Random(i)
            while time.monotonic() < stop:
                if rng.random() < write_share:
                    self.write(rng, **kw)
                else:
                    self.read(rng)
                time.sleep(rng.uniform(0.02, 0.1))

        with concurrent.futures.ThreadPoolExecutor(threads + 1) as pool:
            futures = [pool.submit(user, i) for i in range(threads)]
            started = time.monotonic()
            for at, fn in events:
                time.sleep(max(0.0, started + at - time.monotonic()))
                fn()
            for f in futures:
                f.result()

    def check_written(self) -> str:
        rows, distinct = learners_with_prefix(self.ids.prefix(self.series))
        if rows != distinct or distinct != len(set(self.created)):
            raise DrillFailed(
                f"learners written {rows} ({distinct} distinct) but {len(self.created)} acknowledged"
            )
        return f"{rows} learners written once each"


# --- the drills --------------------------------------------------------------------------------------------------
