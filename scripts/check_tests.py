"""Refuse test code that cannot fail: `assert ... or True`, `assert <constant>`, and tests that check nothing.

Run by `make lint` (`python scripts/check_tests.py [paths]`, default `tests/`). A test function counts as checking
something when its body (nested functions included) has an `assert` statement, a `pytest.raises`/`pytest.fail`,
or a call whose name contains "assert" or starts with "expect" (`django_assert_num_queries`, Playwright's
`expect`), or a call to a helper of the suite (any non-test function under the checked paths) that itself checks
something, such as `refused(code, fn, ...)`. A test that checks through other means (a benchmark, a smoke run
whose only claim is "does not raise") belongs in ALLOW with its reason; docs/testing.md lists the rule.
"""

import ast
import sys
from pathlib import Path

# "path::function": why it may have no assertion.
ALLOW: dict[str, str] = {
    "tests/perf/test_io_bench.py::test_export_100000_learners": "a benchmark (LEC_BENCH only): prints the rate",
}

CHECKING_CALLS = ("raises", "fail", "warns", "validate_response", "call_and_validate")


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _always_true(test: ast.expr) -> bool:
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(_always_true(value) for value in test.values)
    if isinstance(test, ast.Tuple):  # `assert (x, "message")` is always true
        return bool(test.elts)
    return False


def _checks_something(function: ast.AST, helpers: set[str]) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if (
                "assert" in name.lower()
                or name.startswith("expect")
                or name in CHECKING_CALLS
                or name in helpers
            ):
                return True
    return False


def checking_helpers(trees: list[ast.Module]) -> set[str]:
    """Names of the suite's non-test functions that check something, directly or through another such helper."""
    functions = [
        node
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("test")
    ]
    helpers: set[str] = set()
    while True:
        grown = {f.name for f in functions if _checks_something(f, helpers)}
        if grown == helpers:
            return helpers
        helpers = grown


def _is_test(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")


def problems_in(path: Path, tree: ast.Module, helpers: set[str]) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and _always_true(node.test):
            found.append(f"{path}:{node.lineno}: an assertion that cannot fail")
    if path.name.startswith("test_"):
        bodies = list(tree.body)
        bodies += [item for cls in tree.body if isinstance(cls, ast.ClassDef) for item in cls.body]
        for node in bodies:
            if (
                _is_test(node)
                and not _checks_something(node, helpers)
                and f"{path}::{node.name}" not in ALLOW
            ):
                found.append(
                    f"{path}:{node.lineno}: {node.name} checks nothing (no assert, raises or expect)"
                )
    return found


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("tests")]
    files = sorted(p for root in roots for p in ([root] if root.is_file() else root.rglob("*.py")))
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in files}
    helpers = checking_helpers(list(trees.values()))
    found = [problem for path, tree in trees.items() for problem in problems_in(path, tree, helpers)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
