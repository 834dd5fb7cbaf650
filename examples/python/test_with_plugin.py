"""Tests a client of the Conversations API would write, with convmock's pytest plugin.

`pip install convmock` is the whole set-up: no conftest, no path to a binary. The `convmock`
fixture is a client with a bearer token of the test's own, on a server started once per
session (per pytest-xdist worker) with --isolate: each test works in its own workspace.
Copy this file into your project and run `pytest` (or `pytest -n auto`).
"""

DOCUMENTED = "xgQQXg3hrtjh7AvZ"


def test_the_documented_conversations_are_there(convmock):
    page = convmock.request("GET", "/v1/conversations", query={"limit": 10})
    assert page.status == 200
    assert page.json()["has_more"] is False
    assert [c["id"] for c in page.json()["data"][:2]] == [DOCUMENTED, "hSIhXBhNe8X1d8Et"]


def test_a_created_conversation_is_listed_and_retrieved(convmock):
    created = convmock.request("POST", "/v1/conversations", form={"contact_id": "WAz8eIbvDR60rouK"})
    assert created.status == 201
    assert created.headers["Location"] == f"/v1/conversations/{created.json()['id']}"
    listed = convmock.request("GET", "/v1/conversations", query={"limit": 100}).json()["data"]
    assert created.json()["id"] in [c["id"] for c in listed]
    again = convmock.request("GET", f"/v1/conversations/{created.json()['id']}")
    assert again.json() == created.json()


def test_what_the_client_sent_is_in_the_journal(convmock):
    convmock.request("POST", "/v1/conversations", form={"contact_id": "WAz8eIbvDR60rouK"})
    [entry] = convmock.journal(method="POST", path="/v1/conversations")
    assert entry["body"] == "contact_id=WAz8eIbvDR60rouK"
    assert entry["token"] == convmock.token
    assert entry["status"] == 201


def test_an_injected_outage_then_recovery(convmock):
    convmock.add_fault(method="GET", path="/v1/conversations", status=503, count=1)
    outage = convmock.request("GET", "/v1/conversations")
    assert outage.status == 503
    assert outage.json()["type"] == "api_error"
    assert convmock.request("GET", "/v1/conversations").status == 200


def test_a_frozen_clock_and_a_queued_id_make_a_create_exact(convmock):
    convmock.clock(now=1700000000)
    convmock.next_ids(["conv-from-my-test"])
    created = convmock.request("POST", "/v1/conversations", form={"contact_id": "c1"}).json()
    assert (created["id"], created["created_at"]) == ("conv-from-my-test", 1700000000)


def test_tokens_do_not_see_each_others_changes(convmock, convmock_server):
    assert convmock.request("DELETE", f"/v1/conversations/{DOCUMENTED}").status == 204
    assert convmock.request("GET", f"/v1/conversations/{DOCUMENTED}").status == 404
    someone_else = convmock_server.client()
    assert someone_else.request("GET", f"/v1/conversations/{DOCUMENTED}").status == 200
