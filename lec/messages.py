"""Regenerate the Thai catalogues (needs GNU gettext) and compile them: python -m lec.messages [ROOT].

The project root's catalogue (locale/) holds lec/ and templates/; each app keeps its own in <app>/locale/.
"""

import subprocess
import sys
from pathlib import Path

from lec.compilemo import ROOT
from lec.compilemo import main as compile_all

APPS = ("accounts", "schools", "students", "confirmations", "budget")


def extract(root: Path = ROOT) -> None:
    python = sys.executable
    manage = str(root / "manage.py")
    ignores = [
        arg for app in (*APPS, "tests", ".venv", "staticfiles", "mutants") for arg in ("-i", f"{app}/*")
    ]
    base = [python, manage, "makemessages", "-l", "th", "--no-obsolete"]
    subprocess.run([*base, *ignores], cwd=root, check=True, capture_output=True)
    for app in APPS:
        (root / app / "locale").mkdir(exist_ok=True)
        subprocess.run(base, cwd=root / app, check=True, capture_output=True)


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT
    extract(target)
    if target == ROOT:
        compile_all()
