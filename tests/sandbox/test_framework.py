"""The sandbox's machinery: health, JSON 404, clock endpoints, faults and request log administration."""

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
