"""Page tests of issue 14 (what each role must do next): the confirmation fixtures are shared."""

import pytest
from django.core.cache import cache

from tests.confirmations.conftest import rnd  # noqa: F401  (the open round fixture)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The bell's counts are cached per user id, and ids come round again from test to test."""
    cache.clear()
    yield
    cache.clear()
