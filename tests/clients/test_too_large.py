"""Python's urllib sends the whole body before it reads the answer: it must still see the
413 for a body over the 1 MiB limit."""

import json
import os
import subprocess
import urllib.error
import urllib.request

import pytest


@pytest.fixture(scope="module")
def url():
    proc = subprocess.Popen(
        [os.environ["CONVMOCK_BIN"], "--port", "0", "--quiet"], stdout=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line
    yield line.removeprefix("listening on ").strip()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("mib", [2, 16])
def test_urllib_reads_the_413_twenty_times_in_a_row(url, mib):
    body = b"a" * (mib << 20)
    for attempt in range(20):
        req = urllib.request.Request(
            url + "/v1/conversations",
            data=body,
            method="POST",
            headers={"Authorization": "Bearer t", "Content-Type": "application/x-www-form-urlencoded"},
        )
        with pytest.raises(urllib.error.HTTPError) as answered:
            urllib.request.urlopen(req, timeout=30)
        assert answered.value.code == 413, f"try {attempt + 1}"
        assert "1 MiB" in json.loads(answered.value.read())["error_message"]
