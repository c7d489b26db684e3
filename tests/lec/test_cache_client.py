"""The Redis cache keeps one client per connection pool (lec/cache.py, issue 16) and still reads and writes."""

import pytest
from django.core.cache import cache

from tests.conftest import require_redis


@pytest.mark.redis
def test_one_client_per_pool_and_the_cache_still_works(settings):
    require_redis()
    assert settings.CACHES["default"]["BACKEND"] == "lec.cache.RedisCache"
    client = cache._cache
    assert client.get_client("a") is client.get_client("b")
    assert client.get_client(write=True) is client.get_client(write=True)
    cache.set("lec-test:one-client", {"n": 1}, 30)
    assert cache.get("lec-test:one-client") == {"n": 1}
    cache.set("lec-test:counter", 1, 30)
    assert cache.incr("lec-test:counter") == 2
    assert cache.get_many(["lec-test:one-client", "lec-test:absent"]) == {"lec-test:one-client": {"n": 1}}
    cache.delete_many(["lec-test:one-client", "lec-test:counter"])
    assert cache.get("lec-test:one-client") is None
