"""gunicorn's settings for CLiQQ Shop: `gunicorn -c gunicorn.conf.py 'shop:create_app()'` (run
from the repository root, gunicorn also reads this file by itself).

It sets no bind, workers or timeouts: those come from the command line (README, bench/run.sh).
It only keeps gunicorn from naming itself: every HTTP/1 response it writes starts with
`Server: gunicorn`, which tells a scanner what to try; the shop sends no Server header at all.
tests/integration/test_server_header.py starts gunicorn with this file and checks.
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server
