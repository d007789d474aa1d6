"""The sandbox's machinery: health, JSON 404, clock endpoints, faults and request log administration, and its
server's life tied to the test process that started it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests


def test_unknown_path_answers_json_404(sandbox_server):
    response = requests.get(sandbox_server.root + "/v1.0/nowhere", timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


def test_clock_reads_business_date_in_tokyo(sandbox_server):
    clock = sandbox_server.clock()
    assert clock["timeZone"] == "Asia/Tokyo"
    assert clock["appliedThrough"] == clock["today"]


def test_faults_can_be_set_listed_and_cleared(sandbox_server):
    fault = sandbox_server.set_fault("getCustomer", errorRate=1, errorStatus=503, remaining=1)
    assert fault["errorStatus"] == 503 and fault["remaining"] == 1
    listed = sandbox_server.admin("GET", "faults")["faults"]
    assert [f["operationId"] for f in listed] == ["getCustomer"]
    sandbox_server.clear_faults()
    assert sandbox_server.admin("GET", "faults")["faults"] == []


#: A test process in miniature: it starts a sandbox, says where, and waits to be killed.
_TEST_PROCESS = """
import sys, time
from sandbox.testing import start_sandbox
server = start_sandbox()
print(server.process.pid, server.root, flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Whether the process runs (a zombie left for its new parent to reap has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent's death signal is Linux's")
def test_a_sandbox_ends_with_the_test_process_that_started_it_even_when_that_is_killed():
    """A test run stopped by a signal to its test processes alone (SIGKILL: nothing of theirs runs) leaves no
    sandbox server listening behind it."""
    starter = subprocess.Popen(
        [sys.executable, "-c", _TEST_PROCESS],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pid, root = starter.stdout.readline().split()
        assert requests.get(f"{root}/_sandbox/health", timeout=10).status_code == 200
    finally:
        starter.kill()
        starter.wait(timeout=10)
    deadline = time.monotonic() + 20
    while _running(int(pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not _running(int(pid)), "the sandbox outlived the process that started it"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{root}/_sandbox/health", timeout=5)
    finally:
        if _running(int(pid)):  # not left running after a failure
            os.kill(int(pid), signal.SIGTERM)
