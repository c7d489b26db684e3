"""gunicorn settings read from the working directory (the image's /app) and by `make cluster` (--config).

The access log names the path without its query string (%(U)s, not the request line %(r)s): the API's GET
contract keeps `?search=` (api.md), which may carry a national ID, and access logs must not (issue 12)."""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "-" "%(a)s"'
