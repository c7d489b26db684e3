"""After every test that wrote learners, the live counters must equal a recount (api.md verify_counts)."""

import pytest


@pytest.fixture(autouse=True)
def _verify_counts_after(request):
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if "transactional_db" in names or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    elif marker or "db" in names:
        request.getfixturevalue("db")
    else:
        yield
        return
    yield
    from students.models import Learner
    from students.selectors import count_differences

    if not Learner.objects.exists():
        return
    _, lines = count_differences()
    assert not lines, "live counters differ from the learners:\n" + "\n".join(lines)
