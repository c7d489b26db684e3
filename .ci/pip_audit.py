"""CI: pip-audit over the locked set (requirements-test.lock), failing on any known vulnerability.

Allowed to be skipped only when no vulnerability database answers, and then it says so: pip-audit itself reports
"could not be audited" for every package (and exits 0) when the PyPI JSON API is not reachable, so the answer is
read package by package. OSV is asked first, then PyPI's own database.
Usage: python .ci/pip_audit.py [LOCKFILE]
"""

import json
import subprocess
import sys
from pathlib import Path

LOCK = sys.argv[1] if len(sys.argv) > 1 else "requirements-test.lock"
AUDIT = str(Path(sys.executable).with_name("pip-audit"))
UNREACHABLE = ("ConnectionError", "Max retries exceeded", "NameResolution", "Failed to establish", "timed out",
               "Temporary failure in name resolution", "ServiceError", "Connection refused")  # fmt: skip


def run(service: str) -> tuple[list[dict] | None, str]:
    cmd = [AUDIT, "--require-hashes", "--disable-pip", "-r", LOCK, "-s", service, "-f", "json",
           "--progress-spinner", "off", "--timeout", "30"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    try:
        return json.loads(proc.stdout)["dependencies"], proc.stderr
    except (json.JSONDecodeError, KeyError):
        if any(marker in proc.stderr for marker in UNREACHABLE):
            return None, proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no answer"
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"CI: pip-audit failed (exit {proc.returncode})") from None


def main() -> int:
    reasons = []
    for service in ("osv", "pypi"):
        deps, why = run(service)
        if deps is None:
            reasons.append(f"{service}: {why}")
            continue
        audited = [d for d in deps if "skip_reason" not in d]
        if not audited:
            reasons.append(f"{service}: every package 'could not be audited'")
            continue
        vulnerable = [d for d in audited if d.get("vulns")]
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
                print(f"CI: pip-audit: {dep['name']} {dep['version']} {vuln['id']} (fixed in {fixes})")
        skipped = [d["name"] for d in deps if "skip_reason" in d]
        print(f"CI: pip-audit ({service}): {len(audited)} locked packages audited, {len(vulnerable)} vulnerable"
              + (f"; not audited: {', '.join(skipped)}" if skipped else ""))  # fmt: skip
        return 1 if vulnerable else 0
    print("CI: pip-audit SKIPPED: no vulnerability database could be reached (" + "; ".join(reasons) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
