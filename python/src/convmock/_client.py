"""A client of one convmock server, as one bearer token: the API and the admin API, over urllib."""

from __future__ import annotations

import json as _json
import urllib.parse
import urllib.request
import uuid
from email.message import Message
from typing import Any, Iterable, Mapping, Optional, Union

from ._errors import AdminError
from ._webhooks import WebhookReceiver

Query = Union[Mapping[str, Any], Iterable[tuple]]

#: Seconds a request may take before `TimeoutError` (a delay fault can be longer: pass `timeout=`).
DEFAULT_TIMEOUT = 60.0
#: Seconds a flush's request may take beyond the wait it asks the server for.
FLUSH_MARGIN = 10.0


class _KeepEveryAnswer(urllib.request.HTTPErrorProcessor):
    """A 4xx or 5xx is an answer to look at, not an exception; nothing is redirected."""

    def http_response(self, request, response):
        return response

    https_response = http_response


# No proxy: the server is local, and an `http_proxy` variable must not send requests elsewhere.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _KeepEveryAnswer())


def new_token() -> str:
    """A bearer token no other client has: under `--isolate`, a workspace of its own."""
    return "t-" + uuid.uuid4().hex


class Response:
    """An answer: `status`, `headers` (case-insensitive), `body` (bytes), `text`, `json()`."""

    def __init__(self, status: int, headers: Message, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; `None` for an empty body (a 204)."""
        return _json.loads(self.body) if self.body else None

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.text[:80]!r}>"


class Client:
    """Calls to the server at `url` as `token`, and its admin API.

    Every API request carries `Authorization: Bearer <token>`. Under `--isolate` the token
    is a workspace of its own: what this client creates, deletes and queues no other token
    sees. The journal it reads is its own requests'. Fault rules and the clock are the
    server's, shared by every client: `close()` removes the rules this client added, puts
    back a clock it changed and frees its workspace (the `convmock` fixture calls it).
    """

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        *,
        admin_token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.url = url.rstrip("/")
        self.token = token if token is not None else new_token()
        self.admin_token = admin_token
        self.timeout = timeout
        self._faults: list[str] = []
        self._clock_before: Optional[dict] = None
        self._isolated: Optional[bool] = None

    def __repr__(self) -> str:
        return f"<convmock.Client {self.url} token={self.token!r}>"

    # The API

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        form: Optional[Query] = None,
        query: Optional[Query] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Response:
        """Sends one request as this client's token; any status comes back as a `Response`.

        `json` is sent as `application/json`, `form` as `application/x-www-form-urlencoded`
        (one of them at most); `query` (a mapping or pairs) is appended to `path`; `headers`
        are added last (an `Authorization` there replaces the token's). A dropped connection
        raises urllib's error, as it would for any client.
        """
        sent = {"Authorization": f"Bearer {self.token}"}
        sent.update(headers or {})
        return self._send(method, path, json=json, form=form, query=query, headers=sent)

    # The admin API

    def reset(self) -> None:
        """Every workspace, the clock, the journal and the fault rules as at start-up (the whole server's)."""
        self._admin("POST", "/__admin/reset")

    def journal(
        self, method: Optional[str] = None, path: Optional[str] = None, *, all_tokens: bool = False
    ) -> list:
        """This client's requests in the journal, oldest first (`all_tokens=True`: everyone's).

        `path` takes the fault rules' patterns (`/v1/conversations/*`).
        """
        token = None if all_tokens else self.token
        wanted = (("method", method), ("path", path), ("token", token))
        query = {k: v for k, v in wanted if v is not None}
        # The server matches the token as sent, also under --token, where it shows <token N>.
        return self._admin("GET", "/__admin/requests", query=query)["requests"]

    def add_fault(self, **rule: Any) -> dict:
        """Adds a fault rule (`method`, `path`, and one of `status`, `delay_ms`, `drop`;
        `probability`, `count`) and returns it with its `id`. It applies to every client of
        the server until it expires, `remove_fault(id)` or `close()`."""
        created = self._admin("POST", "/__admin/faults", body=rule, expect=201)
        self._faults.append(created["id"])
        return created

    def remove_fault(self, fault_id: str) -> None:
        """Removes a fault rule; one that already expired is not an error."""
        self._admin("DELETE", f"/__admin/faults/{_segment(fault_id)}", expect=(204, 404))
        if fault_id in self._faults:
            self._faults.remove(fault_id)

    def clock(
        self, now: Optional[int] = None, advance: Optional[int] = None, system: bool = False
    ) -> dict:
        """Reads the server's clock, or sets it: `now=T` freezes at T, `advance=S` moves a
        frozen clock by S seconds, `system=True` follows the system clock. Returns
        `{"now": T, "frozen": bool}`."""
        given = {
            k: v
            for k, v in (("now", now), ("advance", advance), ("system", system or None))
            if v is not None
        }
        if not given:
            return self._admin("GET", "/__admin/clock")
        if len(given) > 1:
            raise ValueError(f"clock() takes one of now, advance or system, got {sorted(given)}")
        if self._clock_before is None:
            self._clock_before = self._admin("GET", "/__admin/clock")
        return self._admin("PUT", "/__admin/clock", body=given)

    def next_ids(self, ids: Iterable[str]) -> None:
        """Queues IDs for this client's next creates (its own workspace's queue under `--isolate`)."""
        self._admin("POST", "/__admin/next-ids", body={"ids": list(ids)}, query=self._workspace())

    def conversations(self) -> list:
        """Every conversation in this client's workspace, in list order, without paging."""
        return self._admin("GET", "/__admin/conversations", query=self._workspace())["conversations"]

    def events(self, type: Optional[str] = None) -> list:
        """The events this client's workspace emitted (every event without `--isolate`),
        oldest first, from the server's ring of the last 1,000. `type` keeps one type
        (`message.created`) or family (`conversation.*`)."""
        query = {k: v for k, v in (("type", type),) if v is not None}
        if self._is_isolated():
            query["token"] = self.token
        return self._admin("GET", "/__admin/events", query=query)["events"]

    def webhook_receiver(self, events: Optional[Iterable[str]] = None) -> "WebhookReceiver":
        """Starts a receiver on 127.0.0.1 and registers it as a webhook endpoint for this
        client's workspace (every workspace's without `--isolate`), taking the event types
        `events` names (`["message.*"]`; all when not given). It verifies each delivery's
        signature and keeps the events in `receiver.events`, in order; a context manager
        that unregisters and stops it at the end (or `receiver.close()`)."""
        return WebhookReceiver(self, events)

    def flush(self, timeout_ms: int = 5000) -> dict:
        """Waits until the server has no delivery pending (every endpoint's, so every
        client's) and returns `{"delivered": n, "failed": n, "pending": 0}`, counted since
        start-up or the last reset. Raises `AdminError` (status 504, the counts in its body)
        if some are still pending after `timeout_ms`."""
        timeout = max(self.timeout, timeout_ms / 1000 + FLUSH_MARGIN)
        body = {"timeout_ms": timeout_ms}
        return self._admin("POST", "/__admin/webhooks/flush", body=body, timeout=timeout)

    def simulate_message(
        self,
        conversation_id: str,
        message: str,
        contact_id: Optional[str] = None,
        delay_ms: Optional[int] = None,
    ) -> dict:
        """A message from the other participant in one of this client's conversations, sent
        as the API sends: returns the message (its `contact` is the sender). `contact_id` is
        required in a group's conversation (a member). With `delay_ms` it is sent later and
        this returns `{"status": "scheduled", ...}` instead."""
        body = {"conversation_id": conversation_id, "message": message}
        optional = (("contact_id", contact_id), ("delay_ms", delay_ms))
        body.update({k: v for k, v in optional if v is not None})
        path, query = "/__admin/simulate/message", self._workspace()
        return self._admin("POST", path, body=body, query=query, expect=(201, 202))

    def simulate_read(self, message_id: str) -> dict:
        """Marks one of this client's messages read by the other participant (`read_at`
        becomes the server clock's now) and returns the message."""
        body = {"message_id": message_id}
        return self._admin("POST", "/__admin/simulate/read", body=body, query=self._workspace())

    def close(self) -> None:
        """Undoes what this client changed on a shared server: removes its fault rules, puts
        back the clock it changed, frees its workspace. Calling it again does nothing."""
        for fault_id in list(self._faults):
            self.remove_fault(fault_id)
        if self._clock_before is not None:
            before, self._clock_before = self._clock_before, None
            restore = {"now": before["now"]} if before["frozen"] else {"system": True}
            self._admin("PUT", "/__admin/clock", body=restore)
        # A server without this call (404, 405) keeps the workspace until a reset.
        self._admin("DELETE", f"/__admin/workspaces/{_segment(self.token)}", expect=(200, 204, 404, 405))

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # Plumbing

    def _workspace(self) -> dict:
        # Without --isolate the server ignores the token and answers about its one store.
        return {"token": self.token}

    def _is_isolated(self) -> bool:
        # Under --isolate a queue of IDs belongs to a token, so asking for one without a
        # token is refused (400); otherwise it is the one store's. Asked once, read only.
        if self._isolated is None:
            answer = self._send("GET", "/__admin/next-ids", headers=self._admin_headers())
            if answer.status not in (200, 400):
                raise AdminError("GET", "/__admin/next-ids", answer.status, answer.text)
            self._isolated = answer.status == 400
        return self._isolated

    def _register_webhook(self, url: str, secret: str, events: Optional[Iterable[str]]) -> dict:
        body: dict = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = list(events)
        if self._is_isolated():
            body["token"] = self.token
        return self._admin("POST", "/__admin/webhooks", body=body, expect=201)

    def _unregister_webhook(self, webhook_id: str) -> None:
        # 404: a reset already removed it.
        self._admin("DELETE", f"/__admin/webhooks/{_segment(webhook_id)}", expect=(204, 404))

    def _admin_headers(self) -> dict:
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    def _admin(self, method, path, body=None, query=None, expect=200, timeout=None):
        answer = self._send(
            method, path, json=body, query=query, headers=self._admin_headers(), timeout=timeout
        )
        expected = (expect,) if isinstance(expect, int) else expect
        if answer.status not in expected:
            raise AdminError(method, path, answer.status, answer.text)
        return answer.json() if answer.status in (200, 201, 202) else None

    def _send(
        self, method, path, json=None, form=None, query=None, headers=None, timeout=None
    ) -> Response:
        if json is not None and form is not None:
            raise ValueError("send either json or form, not both")
        data, content_type = None, None
        if json is not None:
            data, content_type = _json.dumps(json).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(_wire(form), doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        headers = dict(headers or {})
        if content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
        target = self.url + path
        if query:
            target += ("&" if "?" in path else "?") + urllib.parse.urlencode(_wire(query), doseq=True)
        req = urllib.request.Request(target, data=data, method=method.upper(), headers=headers)
        with _OPENER.open(req, timeout=timeout or self.timeout) as answer:
            return Response(answer.status, answer.headers, answer.read())


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _wire(values):
    """Form and query values as the API reads them: booleans as `true`/`false`, not Python's
    `True`/`False`."""
    items = values.items() if hasattr(values, "items") else values
    return [(k, ("true" if v else "false") if isinstance(v, bool) else v) for k, v in items]
