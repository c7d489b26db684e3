"""Issue 12, hole 10: `?search=` keeps its GET contract, so the web server's access log must not print queries."""

import datetime as dt
import runpy
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

NID = "1103700012346"


def test_gunicorn_access_lines_carry_no_query_string():
    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("access_log_format", conf["access_log_format"])
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/api/v1/organisations/50/learners?search={NID}",
               "PATH_INFO": "/api/v1/organisations/50/learners", "QUERY_STRING": f"search={NID}",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1",
               "HTTP_REFERER": f"https://h/o/50/learners/?q={NID}"}  # fmt: skip
    resp = SimpleNamespace(status="200 OK", response_length=10, sent=10, headers=[])
    req = SimpleNamespace(headers=[], path="/api/v1/organisations/50/learners", query=f"search={NID}")
    atoms = Logger(cfg).atoms(resp, req, environ, dt.timedelta(seconds=0.01))
    line = conf["access_log_format"] % atoms
    assert "/api/v1/organisations/50/learners" in line and NID not in line


def test_haproxy_logs_the_path_without_the_query_string():
    """The proxy logs every request too: `option httplog` prints the whole request line (%r), query included."""
    import re

    root = Path(__file__).resolve().parents[2] / "deploy"
    for name in ("haproxy.cfg", "haproxy-compose.cfg"):
        text = (root / name).read_text()
        assert not re.search(r"^\s*option\s+httplog", text, re.M), name
        formats = re.findall(r"^\s*log-format\s+(.*)$", text, re.M)
        assert formats and all("%HP" in f for f in formats), name
        assert not any(re.search(r"%(\{[^}]*\})?(r|HU|HQ)\b", f) for f in formats), name
