"""The development server that `make run` starts (`flask shop serve`) and the browser tests use:
Werkzeug's, without the `Server` header that names Werkzeug and Python with their versions.
Production runs gunicorn, whose header gunicorn.conf.py removes."""

from werkzeug.serving import WSGIRequestHandler, run_simple


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, minus the Server header (Werkzeug adds it after the app has
    answered, so no middleware or after_request can take it out)."""

    def send_response(self, code: int, message: str | None = None) -> None:
        # http.server's send_response without its `Server: Werkzeug/3.x Python/3.x` line.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


def serve(app, host: str, port: int) -> None:
    """Serve `app` until interrupted, one thread per request, as `flask run` does."""
    run_simple(host, port, app, threaded=True, request_handler=RequestHandler)
