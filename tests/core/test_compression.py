"""Pages travel compressed, with BREACH's preconditions removed (issue 18)."""

import gzip
import re

from tests.conftest import client_for


def test_pages_and_api_answers_are_gzipped_and_never_the_same_bytes_twice(client, tpm, program):
    client_for(client, tpm)
    first = client.get("/programs/", HTTP_ACCEPT_ENCODING="gzip, br")
    second = client.get("/programs/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert first["Content-Encoding"] == "gzip" and "Accept-Encoding" in first["Vary"]
    html = gzip.decompress(first.content).decode()
    assert "Fleet kernel upgrade" in html
    assert len(first.content) < len(html.encode()) / 3  # what the browser downloads
    # BREACH: random padding in the gzip header, and the CSRF token masked per response.
    assert first.content != second.content
    tokens = [
        re.search(r'name="csrf-token" content="([^"]+)"', gzip.decompress(r.content).decode())
        for r in (first, second)
    ]
    assert tokens[0] and tokens[1] and tokens[0].group(1) != tokens[1].group(1)
    api = client.get("/api/v1/programs/", HTTP_ACCEPT_ENCODING="gzip")
    assert api["Content-Encoding"] == "gzip" and b"fleet-kernel-upgrade" in gzip.decompress(
        api.content
    )
    plain = client.get("/programs/")  # a client that does not ask gets plain bytes
    assert "Content-Encoding" not in plain and b"Fleet kernel upgrade" in plain.content
