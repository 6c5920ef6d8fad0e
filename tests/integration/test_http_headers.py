"""Headers every answer gets right: HSTS in production only, `Allow` on every 405, and no
`Server` header naming the software, from gunicorn (with gunicorn.conf.py) or from the
development server (shop/serving.py)."""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import IntegerConverter, PathConverter
from werkzeug.serving import WSGIRequestHandler, make_server

from shop import create_app
from shop.serving import RequestHandler
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
HSTS = "max-age=63072000; includeSubDomains"
SOFTWARE = ("gunicorn", "werkzeug", "python")


def test_production_sends_hsts(tmp_path):
    app = create_app(
        make_config(
            f"sqlite:///{tmp_path / 'unused.db'}",
            ENV="production",
            SECRET_KEY="k" * 32,
            STRIPE_WEBHOOK_SECRET="whsec_x",
        )
    )
    client = app.test_client()
    for path in ("/login", "/no-such-page"):
        assert client.get(path).headers["Strict-Transport-Security"] == HSTS, path


def test_other_environments_send_no_hsts(client):
    """Testing here; development is the same code path (ENV != production)."""
    for path in ("/login", "/no-such-page"):
        assert "Strict-Transport-Security" not in client.get(path).headers


def _sample_path(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, PathConverter):
            values[name] = "a/b.txt"
        else:
            values[name] = "x1"
    return rule.build(values, append_unknown=False)[1]


def test_every_route_answers_a_method_it_does_not_take_with_405_and_allow(app, client):
    """Over the whole URL map, so a route added later is covered: a method the path doesn't
    take gets 405, whose Allow lists exactly the methods that path does take."""
    adapter = app.url_map.bind("localhost")
    tried = 0
    for rule in app.url_map.iter_rules():
        path = _sample_path(rule)
        allowed = set()
        for method in METHODS:
            try:
                adapter.match(path, method=method)
                allowed.add(method)
            except MethodNotAllowed:
                pass
        assert rule.methods <= allowed, (rule.rule, path)
        refused = [m for m in ("POST", "PUT", "PATCH", "DELETE", "GET") if m not in allowed]
        if not refused:
            continue
        response = client.open(path, method=refused[0])
        assert response.status_code == 405, (refused[0], path)
        assert set(response.headers["Allow"].replace(" ", "").split(",")) == allowed, path
        tried += 1
    assert tried >= 15  # the map was really walked


# --- no Server header naming the software --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered on port {port}:\n{log.read_text()}")


def _headers(port: int, path: str, method: str = "GET") -> dict[str, str]:
    """The headers of a real HTTP answer, names lower-cased (a repeated header's values joined)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        response.read()
        headers: dict[str, list[str]] = {}
        for name, value in response.getheaders():
            headers.setdefault(name.lower(), []).append(value)
        return {name: ", ".join(values) for name, values in headers.items()}
    finally:
        connection.close()


def _names_no_software(headers: dict[str, str]) -> bool:
    return "server" not in headers and not any(
        word in value.lower() for value in headers.values() for word in SOFTWARE
    )


PATHS = [("/login", "GET"), ("/no-such-page", "GET"), ("/login", "DELETE"), ("/healthz", "GET")]


@pytest.fixture
def server_env(tmp_path) -> dict[str, str]:
    return os.environ | {
        "SHOP_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "RATELIMIT_STORAGE_URI": "memory://",
        "FLASK_APP": "shop:create_app",
    }


@contextmanager
def _running(command: list[str], port: int, env: dict[str, str], cwd: Path):
    log = Path(env["DATABASE_URL"].removeprefix("sqlite:///")).with_suffix(".log")
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(port, process, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _gunicorn(port: int, *config: str) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        *config,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "shop:create_app()",
    ]


@pytest.mark.parametrize(
    ("config", "cwd"),
    [(["-c", str(ROOT / "gunicorn.conf.py")], "/"), ([], "ROOT")],
    ids=["with -c", "found in the working directory, as bench/run.sh runs it"],
)
def test_gunicorn_with_our_config_sends_no_server_header(server_env, config, cwd):
    port = _free_port()
    with _running(_gunicorn(port, *config), port, server_env, ROOT if cwd == "ROOT" else Path(cwd)):
        for path, method in PATHS:
            headers = _headers(port, path, method)
            assert _names_no_software(headers), (path, method, headers)
            assert "content-security-policy" in headers  # the app's own headers are all there


def test_gunicorn_without_it_names_itself(server_env, tmp_path):
    """The control: the header the config removes is really there without it."""
    empty = tmp_path / "empty.conf.py"
    empty.write_text("")
    port = _free_port()
    with _running(_gunicorn(port, "-c", str(empty)), port, server_env, tmp_path):
        assert _headers(port, "/login")["server"].startswith("gunicorn")


def test_the_development_server_sends_no_server_header(server_env):
    """`flask shop serve`, what `make run` starts."""
    port = _free_port()
    command = [str(BIN / "flask"), "shop", "serve", "--port", str(port)]
    with _running(command, port, server_env, ROOT):
        for path, method in PATHS:
            headers = _headers(port, path, method)
            assert _names_no_software(headers), (path, method, headers)
            assert "date" in headers


@pytest.mark.parametrize("handler", [RequestHandler, WSGIRequestHandler], ids=["ours", "control"])
def test_the_live_servers_handler_sends_no_server_header(app, handler):
    """What tests/e2e's live server runs (make_server with our handler), and the control."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        headers = _headers(server.server_port, "/login")
    finally:
        server.shutdown()
    if handler is RequestHandler:
        assert _names_no_software(headers), headers
    else:
        assert headers["server"].startswith("Werkzeug/")
