"""The hash-locked dependency sets CI installs (.ci/lock) cover pyproject.toml, and the pip-audit step fails on a
vulnerability and is skipped only when no database answers."""

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def names(lock: Path) -> dict[str, str]:
    return {
        m.group(1).lower().replace("_", "-"): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", lock.read_text(), re.M)
    }


def declared(*extras: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = list(project["dependencies"])
    for extra in extras:
        specs += project["optional-dependencies"][extra]
    return {re.match(r"[A-Za-z0-9_.\-]+", s).group(0).lower().replace("_", "-") for s in specs}


@pytest.mark.parametrize(
    ("lock", "extras"), [("requirements.lock", ()), ("requirements-test.lock", ("test",))]
)
def test_every_declared_dependency_is_locked_with_hashes(lock, extras):
    path = ROOT / lock
    locked = names(path)
    missing = sorted(declared(*extras) - set(locked))
    assert not missing, f"{lock} lacks {missing}: run .ci/lock after changing pyproject.toml"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text().split("\n", 2)[2])
    assert all("--hash=sha256:" in b for b in blocks if "==" in b)


@pytest.fixture
def pip_audit():
    spec = importlib.util.spec_from_file_location("ci_pip_audit", ROOT / ".ci" / "pip_audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_known_vulnerability_fails_ci(pip_audit, monkeypatch, capsys):
    deps = [{"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"]}]},
            {"name": "polib", "version": "1.2.0", "vulns": []}]  # fmt: skip
    monkeypatch.setattr(pip_audit, "run", lambda service: (deps, ""))
    assert pip_audit.main() == 1
    assert "django 5.2.0 PYSEC-1" in capsys.readouterr().out


def test_skipped_only_when_no_database_answers_and_it_says_so(pip_audit, monkeypatch, capsys):
    not_audited = [{"name": "django", "version": "5.2.0", "skip_reason": "Dependency not found on PyPI"}]
    answers = {"osv": (None, "ConnectionError"), "pypi": (not_audited, "")}
    monkeypatch.setattr(pip_audit, "run", lambda service: answers[service])
    assert pip_audit.main() == 0
    assert "pip-audit SKIPPED" in capsys.readouterr().out
    answers["pypi"] = ([{"name": "django", "version": "5.2.0", "vulns": []}], "")
    assert pip_audit.main() == 0
    assert "SKIPPED" not in capsys.readouterr().out
