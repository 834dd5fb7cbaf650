"""Events, webhook receivers, flush and the other participant, as a test suite uses them."""

import hashlib
import hmac
import socket
import urllib.error
import urllib.request

import pytest

import convmock as cm

DOCUMENTED = "xgQQXg3hrtjh7AvZ"
CONTACT_TYPES = [
    "contact.created",
    "conversation.created",
    "message.created",
    "conversation.updated",
    "contact.deleted",
    "conversation.deleted",
    "message.deleted",
]


def ok(answer, status=201):
    assert answer.status == status, answer.text
    return answer.json()


def contact_life(client):
    """A contact (with its conversation) created, written to, deleted: seven events."""
    contact = ok(client.request("POST", "/v1/contacts", json={"username": "Kevin", "phone_number": "1"}))
    conversation = contact["conversation_id"]
    ok(client.request("POST", "/v1/messages", json={"conversation_id": conversation, "message": "Hi"}))
    ok(client.request("DELETE", f"/v1/contacts/{contact['id']}"), 204)
    return contact


def test_a_change_reaches_the_receiver_signed_and_in_order(convmock):
    with convmock.webhook_receiver() as receiver:
        contact = contact_life(convmock)
        counts = convmock.flush()
        assert counts["delivered"] >= len(CONTACT_TYPES) and counts["pending"] == 0
        assert [e["type"] for e in receiver.events] == CONTACT_TYPES
        assert receiver.events[0]["payload"]["id"] == contact["id"]
        # The same events, in the same order, as the server lists them.
        assert receiver.events == convmock.events()
        # Each body is signed with the receiver's secret, as the standard library computes it.
        for delivery in receiver.deliveries:
            expected = hmac.new(receiver.secret.encode(), delivery.body, hashlib.sha256).hexdigest()
            assert delivery.signature == expected
            assert delivery.verified
        assert receiver.refused == []


def test_a_delivery_signed_with_another_secret_is_refused():
    # No retries, so that the refused delivery is failed at once and flush returns.
    with cm.start("--isolate", "--quiet", "--webhook-retries", "0") as server:
        client = server.client()
        with client.webhook_receiver() as receiver:
            wrong = {"url": receiver.url, "secret": "not-the-receivers", "token": client.token}
            impostor = ok(client.request("POST", "/__admin/webhooks", json=wrong))
            created = ok(client.request("POST", "/v1/conversations", form={"contact_id": "c1"}))
            assert client.flush() == {"delivered": 1, "failed": 1, "pending": 0}
            assert [e["payload"]["id"] for e in receiver.events] == [created["id"]]
            [refused] = receiver.refused
            assert not refused.verified and len(receiver.deliveries) == 2
            query = {"webhook": impostor["id"]}
            listed = client.request("GET", "/__admin/webhooks/deliveries", query=query)
            [failed] = ok(listed, 200)["deliveries"]
            assert (failed["state"], failed["status"]) == ("failed", 401)


def test_events_are_the_workspaces_own_and_filter_by_type(convmock, convmock_server):
    other = convmock_server.client()
    ok(other.request("POST", "/v1/conversations", form={"contact_id": "theirs"}))
    assert convmock.events() == []
    contact_life(convmock)
    assert [e["type"] for e in convmock.events()] == CONTACT_TYPES
    assert [e["type"] for e in convmock.events(type="conversation.*")] == [
        "conversation.created",
        "conversation.updated",
        "conversation.deleted",
    ]
    assert [e["type"] for e in other.events()] == ["conversation.created"]
    other.close()


def test_a_receiver_takes_only_its_workspaces_events_of_the_types_asked(convmock, convmock_server):
    other = convmock_server.client()
    with convmock.webhook_receiver(events=["message.*"]) as receiver:
        theirs = {"conversation_id": DOCUMENTED, "message": "theirs"}
        ok(other.request("POST", "/v1/messages", json=theirs))
        contact_life(convmock)
        convmock.flush()
        assert [e["type"] for e in receiver.events] == ["message.created", "message.deleted"]
        assert receiver.events[0]["payload"]["message"] == "Hi"
    other.close()


def test_the_receiver_unregisters_and_stops_at_the_end(convmock):
    with convmock.webhook_receiver() as receiver:
        listed = ok(convmock.request("GET", "/__admin/webhooks"), 200)["webhooks"]
        assert receiver.id in [w["id"] for w in listed]
    listed = ok(convmock.request("GET", "/__admin/webhooks"), 200)["webhooks"]
    assert receiver.id not in [w["id"] for w in listed]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(receiver.url, data=b"{}", timeout=5)
    receiver.close()  # again: nothing happens


def test_the_fixture_is_a_receiver_for_the_tests_workspace(convmock, convmock_receiver):
    created = ok(convmock.request("POST", "/v1/conversations", form={"contact_id": "c1"}))
    convmock.flush()
    assert [(e["type"], e["payload"]["id"]) for e in convmock_receiver.events] == [
        ("conversation.created", created["id"])
    ]


def test_the_other_participant_writes_and_reads(convmock, convmock_receiver):
    message = convmock.simulate_message(DOCUMENTED, "Merry Christmas, ya filthy animal")
    assert message["contact"]["id"] == "WAz8eIbvDR60rouK"
    read = convmock.simulate_read(message["id"])
    assert read["read_at"] is not None
    convmock.flush()
    assert [(e["type"], e["payload"]["id"]) for e in convmock_receiver.events] == [
        ("message.created", message["id"]),
        ("conversation.updated", DOCUMENTED),
        ("message.updated", message["id"]),
    ]
    scheduled = convmock.simulate_message(DOCUMENTED, "later", delay_ms=60_000)
    assert scheduled["status"] == "scheduled"
    with pytest.raises(cm.AdminError) as refused:
        convmock.simulate_message("nope", "hello")
    assert refused.value.status == 404


def test_without_isolate_every_change_is_the_clients():
    with cm.start("--quiet") as server:
        mine, theirs = server.client(), server.client()
        with mine.webhook_receiver() as receiver:
            ok(theirs.request("POST", "/v1/conversations", form={"contact_id": "c1"}))
            mine.flush()
            assert [e["type"] for e in receiver.events] == ["conversation.created"]
        assert mine.events() == theirs.events() == receiver.events


def test_a_flush_that_times_out_raises_with_the_counts():
    # A receiver that accepts the connection and never answers: the delivery stays pending.
    with socket.socket() as silent, cm.start("--isolate", "--quiet", "--webhook-retries", "0") as server:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        client = server.client()
        hook = {"url": f"http://127.0.0.1:{silent.getsockname()[1]}/", "token": client.token}
        ok(client.request("POST", "/__admin/webhooks", json=hook))
        ok(client.request("POST", "/v1/conversations", form={"contact_id": "c1"}))
        with pytest.raises(cm.AdminError) as timed_out:
            client.flush(timeout_ms=1)
        assert timed_out.value.status == 504
        assert '"pending": 1' in timed_out.value.body
