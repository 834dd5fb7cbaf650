"""Forty tests that each create and list conversations: run with `pytest -n 2` (or more
workers), none sees another's data, with no reset between them."""

import pytest

DOCUMENTED_COUNT = 7  # the fixtures' conversations every fresh workspace starts with
MINE = "forty-"


@pytest.mark.parametrize("n", range(40))
def test_a_test_sees_only_its_own_conversations(convmock, n):
    before = convmock.request("GET", "/v1/conversations", query={"limit": 100}).json()["data"]
    assert not [c for c in before if (c["contact_id"] or "").startswith(MINE)], "another test's data"
    assert len(before) == DOCUMENTED_COUNT

    contacts = [f"{MINE}{n}-{i}" for i in range(3)]
    for contact in contacts:
        created = convmock.request("POST", "/v1/conversations", form={"contact_id": contact})
        assert created.status == 201, created.text

    after = convmock.request("GET", "/v1/conversations", query={"limit": 100}).json()["data"]
    assert sorted(c["contact_id"] for c in after if (c["contact_id"] or "").startswith(MINE)) == contacts
    assert len(after) == DOCUMENTED_COUNT + len(contacts)
    assert len(convmock.conversations()) == DOCUMENTED_COUNT + len(contacts)
