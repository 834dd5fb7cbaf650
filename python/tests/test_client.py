"""The `Client` over the `convmock` fixture: the API as a user calls it, and the admin API."""

import pytest

import convmock as cm

DOCUMENTED = "xgQQXg3hrtjh7AvZ"


def create(client, contact_id="WAz8eIbvDR60rouK"):
    answer = client.request("POST", "/v1/conversations", form={"contact_id": contact_id})
    assert answer.status == 201, answer.text
    return answer.json()


def test_a_created_conversation_is_listed_and_retrieved(convmock):
    created = create(convmock, "contact-1")
    listed = convmock.request("GET", "/v1/conversations", query={"limit": 100})
    assert listed.status == 200
    assert created["id"] in [c["id"] for c in listed.json()["data"]]
    got = convmock.request("GET", f"/v1/conversations/{created['id']}")
    assert got.status == 200
    assert got.json()["contact_id"] == "contact-1"


def test_headers_are_read_in_any_case(convmock):
    created = convmock.request("POST", "/v1/conversations", form={"contact_id": "c"})
    location = f"/v1/conversations/{created.json()['id']}"
    assert created.headers["Location"] == location
    assert created.headers["location"] == location
    assert created.headers["LOCATION"] == location


def test_a_json_body_and_a_query_are_sent(convmock):
    created = convmock.request("POST", "/v1/conversations", json={"contact_id": "json-contact"})
    assert created.status == 201, created.text
    muted = convmock.request(
        "PUT", f"/v1/conversations/{created.json()['id']}", json={"is_muted": True}
    )
    assert muted.status == 200, muted.text
    for muted, listed in (("true", True), ("false", False)):
        page = convmock.request("GET", "/v1/conversations", query={"muted": muted, "limit": 100})
        assert ("json-contact" in [c["contact_id"] for c in page.json()["data"]]) is listed


def test_a_4xx_is_an_answer_not_an_exception(convmock):
    missing = convmock.request("GET", "/v1/conversations/nope")
    assert missing.status == 404
    assert "nope" in missing.json()["error_message"]
    assert "nope" in missing.text


def test_an_injected_status_then_recovery(convmock):
    rule = convmock.add_fault(method="GET", path="/v1/conversations", status=503, count=1)
    assert rule["id"].startswith("fault_")
    assert convmock.request("GET", "/v1/conversations").status == 503
    assert convmock.request("GET", "/v1/conversations").status == 200


def test_a_dropped_connection_raises_as_for_any_client(convmock):
    convmock.add_fault(method="GET", path="/v1/conversations", drop=True, count=1)
    with pytest.raises(ConnectionError):
        convmock.request("GET", "/v1/conversations")
    assert convmock.request("GET", "/v1/conversations").status == 200


def test_a_refused_admin_call_raises_with_the_servers_message(convmock):
    with pytest.raises(cm.AdminError) as refused:
        convmock.add_fault(path="/v1/conversations", status=200)
    assert refused.value.status == 400
    assert "status" in str(refused.value)


def test_the_journal_shows_this_clients_requests(convmock, convmock_server):
    other = convmock_server.client()
    create(convmock, "mine")
    create(other, "theirs")
    convmock.request("GET", "/v1/conversations")
    [entry] = convmock.journal(method="POST", path="/v1/conversations")
    assert entry["body"] == "contact_id=mine"
    assert entry["token"] == convmock.token
    assert entry["status"] == 201
    assert [e["method"] for e in convmock.journal()] == ["POST", "GET"]
    everyone = convmock.journal(method="POST", all_tokens=True)
    assert {convmock.token, other.token} <= {e["token"] for e in everyone}
    other.close()


def test_under_listed_tokens_the_journal_still_finds_this_clients_requests():
    with cm.start("--token", "secret-a", "--token", "secret-b") as server:
        mine, theirs = server.client("secret-a"), server.client("secret-b")
        create(mine, "mine")
        create(theirs, "theirs")
        [entry] = mine.journal()
        assert entry["body"] == "contact_id=mine"
        assert entry["token"] == "<token 1>"  # the secret itself is never shown


def test_the_clock_freezes_advances_and_is_put_back_by_close(convmock_server):
    with convmock_server.client() as client:
        before = client.clock()
        assert client.clock(now=1_000_000) == {"now": 1_000_000, "frozen": True}
        assert create(client)["created_at"] == 1_000_000
        assert client.clock(advance=60)["now"] == 1_000_060
        with pytest.raises(ValueError):
            client.clock(now=1, advance=1)
    after = convmock_server.client().clock()
    assert after["frozen"] == before["frozen"]
    if before["frozen"]:
        assert after["now"] == before["now"]


def test_close_removes_the_clients_fault_rules(convmock_server):
    with convmock_server.client() as client:
        client.add_fault(method="GET", path="/v1/conversations", status=500)
        client.add_fault(method="GET", path="/v1/conversations", status=502, count=1)
        assert client.request("GET", "/v1/conversations").status == 500
    assert convmock_server.client().request("GET", "/v1/conversations").status == 200


def test_queued_ids_name_this_clients_next_creates(convmock, convmock_server):
    convmock.next_ids(["conv-mine-1", "conv-mine-2"])
    other = convmock_server.client()
    assert create(other)["id"] not in ("conv-mine-1", "conv-mine-2")
    assert create(convmock)["id"] == "conv-mine-1"
    assert create(convmock)["id"] == "conv-mine-2"
    other.close()


def test_two_clients_do_not_see_each_others_changes(convmock, convmock_server):
    other = convmock_server.client()
    assert convmock.request("DELETE", f"/v1/conversations/{DOCUMENTED}").status == 204
    created = create(convmock, "only-mine")
    assert convmock.request("GET", f"/v1/conversations/{DOCUMENTED}").status == 404
    assert other.request("GET", f"/v1/conversations/{DOCUMENTED}").status == 200
    assert other.request("GET", f"/v1/conversations/{created['id']}").status == 404
    mine = {c["id"] for c in convmock.conversations()}
    theirs = {c["id"] for c in other.conversations()}
    assert created["id"] in mine and DOCUMENTED not in mine
    assert created["id"] not in theirs and DOCUMENTED in theirs
    other.close()


def test_every_client_gets_a_token_of_its_own(convmock_server):
    tokens = {convmock_server.client().token for _ in range(100)}
    assert len(tokens) == 100
    assert convmock_server.client("given").token == "given"


def test_close_frees_the_clients_workspace(convmock_server):
    client = convmock_server.client()
    created = create(client, "freed")
    client.close()
    again = convmock_server.client(client.token)
    assert again.request("GET", f"/v1/conversations/{created['id']}").status == 404
    assert created["id"] not in [c["id"] for c in again.conversations()]


def test_python_booleans_are_sent_as_the_api_reads_them(convmock):
    updated = convmock.request("PUT", f"/v1/conversations/{DOCUMENTED}", form={"is_muted": True})
    assert updated.status == 200, updated.text
    assert updated.json()["is_muted"] is True
    listed = convmock.request("GET", "/v1/conversations", query={"muted": True, "limit": 100})
    assert listed.status == 200, listed.text
    assert DOCUMENTED in [c["id"] for c in listed.json()["data"]]
