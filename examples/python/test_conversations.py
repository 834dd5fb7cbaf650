"""Tests a client of the Conversations API would write against convmock."""

DOCUMENTED = "xgQQXg3hrtjh7AvZ"


def test_the_documented_conversations_are_there(convmock, token):
    status, _, page = convmock.request("GET", "/v1/conversations?limit=10", token=token)
    assert status == 200
    assert page["has_more"] is False
    assert [c["id"] for c in page["data"][:2]] == [DOCUMENTED, "hSIhXBhNe8X1d8Et"]


def test_what_the_client_sent_is_in_the_journal(convmock, token):
    status, headers, created = convmock.request(
        "POST", "/v1/conversations", token=token, form={"contact_id": "WAz8eIbvDR60rouK"}
    )
    assert status == 201
    assert headers["Location"] == f"/v1/conversations/{created['id']}"
    [entry] = convmock.journal(method="POST", path="/v1/conversations")
    assert entry["body"] == "contact_id=WAz8eIbvDR60rouK"
    assert entry["token"] == token
    assert entry["status"] == 201


def test_tokens_do_not_see_each_others_changes(convmock, token):
    assert convmock.request("DELETE", f"/v1/conversations/{DOCUMENTED}", token=token)[0] == 204
    assert convmock.request("GET", f"/v1/conversations/{DOCUMENTED}", token=token)[0] == 404
    assert convmock.request("GET", f"/v1/conversations/{DOCUMENTED}", token="someone-else")[0] == 200


def test_an_injected_outage_then_recovery(convmock, token):
    convmock.add_fault(method="GET", path="/v1/conversations", status=503, count=1)
    status, _, error = convmock.request("GET", "/v1/conversations", token=token)
    assert status == 503
    assert error["type"] == "api_error"
    assert convmock.request("GET", "/v1/conversations", token=token)[0] == 200


def test_each_test_starts_from_the_fixtures(convmock, token):
    # The previous tests deleted and created conversations; the reset undid it.
    shared = "shared-token"
    convmock.request("DELETE", f"/v1/conversations/{DOCUMENTED}", token=shared)
    convmock.reset()
    assert convmock.journal() == []
    assert convmock.request("GET", f"/v1/conversations/{DOCUMENTED}", token=shared)[0] == 200
