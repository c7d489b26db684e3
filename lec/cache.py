"""Django's Redis cache with one client object per connection pool.

Django's backend builds a new `redis.Redis` around the pool for every cache call (a dozen objects and a
case-insensitive dict of response callbacks each time); a page that reads the bell, the totals' counters and
parts makes several such calls. A `redis.Redis` is safe to share between threads (each command takes its own
connection from the pool), so the client is made once per pool and kept (issue 16)."""

from django.core.cache.backends import redis as django_redis


class _Client(django_redis.RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_lec_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client
