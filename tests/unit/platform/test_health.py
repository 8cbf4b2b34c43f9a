"""GET /v1/health: what a monitor or a deploy check sees."""


def test_health_answers_ok_with_version_and_stage_when_table_is_reachable(aws, call_route):
    # Given the table exists / When the health route is called
    res = call_route("GET", "/v1/health")
    # Then it is healthy, says which build and stage answered, and carries a request id
    assert res.status == 200
    assert res.json == {"status": "ok", "version": "test", "stage": "local"}
    assert res.headers["x-request-id"]


def test_health_is_503_in_the_envelope_when_the_table_is_missing(call_route, monkeypatch):
    # Given no DynamoDB answers (nothing listens on the endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    from tests.support.aws import reset_caches

    reset_caches()
    # When the health route is called
    res = call_route("GET", "/v1/health")
    # Then a monitor sees 503 in the error envelope, with no internal detail
    assert res.status == 503
    assert res.json["error"]["code"] == "dependency_unavailable"
    assert "Traceback" not in res.text and "botocore" not in res.text
    assert res.headers["retry-after"]
