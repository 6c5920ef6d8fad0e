"""The live server the browser tests drive answers as `make run`'s does: no Server header."""

import urllib.request


def test_the_live_server_does_not_name_its_software(live_server):
    with urllib.request.urlopen(f"{live_server}/login", timeout=10) as response:
        assert response.status == 200
        assert response.headers.get("Server") is None
