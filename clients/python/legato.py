"""
legato.py — a Python client for the control API of the legato daemon (`legato run`).

Standard library only. The API itself is described in docs/API.md; this module has one
method per route and hands back the daemon's JSON answers as dicts and lists, unchanged.

    from legato import Client, LegatoError, leg

    c = Client()                      # http://127.0.0.1:7878, token from ./var/api.token
    print(c.status()["trading_state"])
    g = c.submit_intent([leg("NIFTY26D1525900PE", "sell", ratio=1),
                         leg("NIFTY26D1525700PE", "buy", ratio=1)], confidence=0.5)
    g = c.wait_group(g["id"], ["HEDGED"], timeout=10)
    c.exit_group(g["id"])

Where the client points:
  - base_url: the argument, else $LEGATO_API_URL, else http://127.0.0.1:7878;
  - the token: the `token` argument, else the `token_file` argument, else $LEGATO_API_TOKEN
    (the token itself), else the file ./var/api.token. A token file is refused, as the
    daemon refuses it, when group or others may read it (chmod 600 it).

Errors: every answer of status 400 or more raises LegatoError, carrying the HTTP `status`,
the daemon's error `code` (e.g. "LG_EINVAL", "LG_EAUTH", "LG_EHALTED") and `message` (a
400 names the field: "legs[0].qty: must be a whole number"), and `retry_after` (seconds)
on a 429. A daemon that cannot be reached, or a token file that cannot be used, is also a
LegatoError, with status 0 (code LG_ECONN when there was no answer: a POST that timed out
waiting may still have been applied, so look at groups() before sending it again).

Money is rupees, times are Unix milliseconds, as on the wire. Each request opens its own
connection (no keep-alive), so a POST is never silently sent twice; a Client is not meant
to be shared between threads.
"""

import base64
import http.client
import json
import os
import socket
import ssl
import stat
import struct
import time
import urllib.parse

__all__ = ["Client", "LegatoError", "leg", "DEFAULT_URL", "DEFAULT_TOKEN_FILE",
           "FINISHED_STATES"]

DEFAULT_URL = "http://127.0.0.1:7878"
DEFAULT_TOKEN_FILE = "./var/api.token"

# Group states that no longer change on their own (docs/STATE_MACHINES.md).
FINISHED_STATES = ("CLOSED", "EMERGENCY_HEDGED", "REJECTED")


class LegatoError(Exception):
    """An error answer of the API (status >= 400), or no answer at all (status 0)."""

    def __init__(self, status, code, message, retry_after=None, body=None):
        super().__init__(f"{status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status            # HTTP status; 0 when there was no answer
        self.code = code                # the daemon's code, e.g. "LG_EINVAL"
        self.message = message          # what is wrong; a 400 names the field
        self.retry_after = retry_after  # seconds, on a 429
        self.body = body                # the raw answer text, when there was one


def leg(symbol, side, qty=None, ratio=None, limit=None, covered_by=None, token=None):
    """One leg as the API takes it: an explicit group gives `qty` (units), an intent
    `ratio` (lots per unit). Give `symbol` or `token`. Fields left None are not sent."""
    d = {"symbol": symbol, "token": token, "side": side, "qty": qty, "ratio": ratio,
         "limit": limit, "covered_by": covered_by}
    return {k: v for k, v in d.items() if v is not None}


def read_token_file(path):
    """The token in `path`, refused (LegatoError) unless only its owner may read it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as e:
        raise LegatoError(0, "LG_EAUTH", f"token file {path}: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LegatoError(0, "LG_EAUTH", f"token file {path}: not a regular file")
        if st.st_mode & 0o077:
            raise LegatoError(0, "LG_EAUTH",
                              f"token file {path} may be read by group or others (mode "
                              f"{st.st_mode & 0o777:03o}): chmod 600 it")
        raw = os.read(fd, 4096)
    finally:
        os.close(fd)
    token = raw.decode("utf-8", "replace").strip()
    if len(token) < 16:
        raise LegatoError(0, "LG_EAUTH", f"token file {path}: no token in it")
    return token


class Client:
    """The control API of one daemon. Methods return the decoded JSON answer."""

    def __init__(self, base_url=None, token=None, token_file=None, timeout=10):
        url = base_url or os.environ.get("LEGATO_API_URL") or DEFAULT_URL
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"base_url {url!r}: expected http://host:port")
        self.base_url = url.rstrip("/")
        self._https = u.scheme == "https"
        self._host = u.hostname
        self._port = u.port or (443 if self._https else 80)
        self._prefix = u.path.rstrip("/")
        self.timeout = timeout
        if token is None and token_file is None:
            token = os.environ.get("LEGATO_API_TOKEN") or None
            token_file = None if token else DEFAULT_TOKEN_FILE
        self._token = token if token is not None else read_token_file(token_file)

    def __repr__(self):
        return f"Client({self.base_url!r})"

    # ---- transport ------------------------------------------------------------------

    def request(self, method, path, body=None, text=False):
        """One request as given (path from the API root, body any JSON value or None):
        the decoded answer, or the text with text=True. The methods below use it."""
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=self.timeout)
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json",
                   "Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        elif method == "POST":
            headers["Content-Length"] = "0"
        try:
            conn.request(method, self._prefix + path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read().decode("utf-8", "replace")
            status, retry = resp.status, resp.getheader("Retry-After")
        except (OSError, http.client.HTTPException) as e:
            raise LegatoError(0, "LG_ECONN", f"{method} {self.base_url}{path}: {e}") from None
        finally:
            conn.close()
        if status >= 400:
            raise self._error(status, raw, retry)
        if text:
            return raw
        try:
            return json.loads(raw)
        except ValueError:
            raise LegatoError(status, "LG_EPROTO", f"{method} {path}: answer is not JSON",
                              body=raw) from None

    def events(self, timeout=None):
        """GET /v1/events: the event stream, as a generator of decoded messages ({"type":
        "hello"|"group"|"fill"|"pnl"|"trading"|"alert", ...}). A minimal RFC 6455 client:
        masked frames out, pings answered, ends when the daemon closes. timeout: seconds
        to wait for the next message (socket.timeout past it); None waits for ever.
        Close it with .close() (the connection goes with it)."""
        sock = socket.create_connection((self._host, self._port), timeout=self.timeout)
        if self._https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self._host)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            sock.sendall((f"GET {self._prefix}/v1/events HTTP/1.1\r\nHost: {self._host}\r\n"
                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                          f"Authorization: Bearer {self._token}\r\n\r\n").encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    raise LegatoError(0, "LG_ECONN", "GET /v1/events: closed during the handshake")
                head += chunk
            head, rest = head.split(b"\r\n\r\n", 1)
            status = int(head.split(b" ", 2)[1])
            if status != 101:
                raise self._error(status, rest.decode("utf-8", "replace"), None)
            sock.settimeout(timeout)
            buf = bytearray(rest)

            def need(n):
                while len(buf) < n:
                    chunk = sock.recv(65536)
                    if not chunk:
                        raise EOFError
                    buf.extend(chunk)
                out = bytes(buf[:n])
                del buf[:n]
                return out

            message = bytearray()
            while True:
                try:
                    b0, b1 = need(2)
                    n = b1 & 0x7F
                    if n == 126:
                        n = struct.unpack(">H", need(2))[0]
                    elif n == 127:
                        n = struct.unpack(">Q", need(8))[0]
                    payload = need(n)
                except EOFError:
                    return
                op = b0 & 0x0F
                if op == 8:  # close
                    return
                if op == 9:  # ping: a masked pong with the same payload
                    mask = os.urandom(4)
                    sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask +
                                 bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))
                    continue
                if op in (0, 1, 2):
                    message.extend(payload)
                    if b0 & 0x80:
                        yield json.loads(message.decode())
                        message = bytearray()
        finally:
            sock.close()

    @staticmethod
    def _error(status, raw, retry):
        code, message = "", raw.strip()
        try:
            err = json.loads(raw)["error"]
            code, message = err.get("code", ""), err.get("message", "")
        except (ValueError, KeyError, TypeError, AttributeError):
            pass
        retry_after = None
        if retry is not None:
            try:
                retry_after = float(retry)
            except ValueError:
                pass
        return LegatoError(status, code, message, retry_after=retry_after, body=raw)

    @staticmethod
    def _options(policy, on_incomplete, entry_timeout_ms):
        d = {"policy": policy, "on_incomplete": on_incomplete,
             "entry_timeout_ms": entry_timeout_ms}
        return {k: v for k, v in d.items() if v is not None}

    # ---- reads ------------------------------------------------------------------------

    def status(self):
        """GET /v1/status: trading_state, recovering, unix_ms, counters, risk."""
        return self.request("GET", "/v1/status")

    def risk(self):
        """GET /v1/risk: margins, reserved, day P&L, the loss limit."""
        return self.request("GET", "/v1/risk")

    def groups(self):
        """GET /v1/groups: the list of every group the engine holds, newest first.
        The daemon's own strategies add groups too: filter by the ids you hold."""
        return self.request("GET", "/v1/groups")["groups"]

    def group(self, group_id):
        """GET /v1/groups/{id}: one group with its timeline, orders and sizing."""
        return self.request("GET", f"/v1/groups/{int(group_id)}")

    def positions(self):
        """GET /v1/positions: held instruments, greeks per underlying, the risk picture."""
        return self.request("GET", "/v1/positions")

    def instruments(self, underlying, expiry=None):
        """GET /v1/instruments: the instruments of one underlying (expiry: "nearest" or
        "YYYY-MM-DD"), each with token, symbol, kind, expiry, strike, lot and last price."""
        q = "underlying=" + urllib.parse.quote(underlying, safe="")
        if expiry is not None:
            q += "&expiry=" + urllib.parse.quote(expiry, safe="")
        return self.request("GET", "/v1/instruments?" + q)["instruments"]

    def metrics(self):
        """GET /metrics: Prometheus text."""
        return self.request("GET", "/metrics", text=True)

    # ---- changes ------------------------------------------------------------------------

    def submit_group(self, legs, policy=None, on_incomplete=None, entry_timeout_ms=None):
        """POST /v1/groups: an explicit group (each leg with `qty`); the new group (201)."""
        body = {"legs": list(legs)}
        body.update(self._options(policy, on_incomplete, entry_timeout_ms))
        return self.request("POST", "/v1/groups", body)

    def submit_intent(self, legs, direction=1, confidence=None, decision_price=None,
                      broker_margin=None, policy=None, on_incomplete=None,
                      entry_timeout_ms=None):
        """POST /v1/intents: legs with `ratio` and no quantity, sized by the risk engine;
        the new group (201). decision_price absent: the market now."""
        body = {"legs": list(legs), "direction": direction}
        extra = {"confidence": confidence, "decision_price": decision_price,
                 "broker_margin": broker_margin}
        body.update({k: v for k, v in extra.items() if v is not None})
        body.update(self._options(policy, on_incomplete, entry_timeout_ms))
        return self.request("POST", "/v1/intents", body)

    def exit_group(self, group_id):
        """POST /v1/groups/{id}/exit: close a live group in unwind order (202);
        the answer has trading_state and the group."""
        return self.request("POST", f"/v1/groups/{int(group_id)}/exit")

    def kill(self):
        """POST /v1/kill: cancel everything, flatten, HALTED."""
        return self.request("POST", "/v1/kill")

    def resume(self):
        """POST /v1/resume: back to ACTIVE (REDUCING once the day's loss limit is reached)."""
        return self.request("POST", "/v1/resume")

    # ---- conveniences -----------------------------------------------------------------

    def wait_group(self, group_id, states, timeout=30.0, poll_s=0.1):
        """Polls GET /v1/groups/{id} every poll_s seconds until the group's state is one of
        `states` (a name or a list of names) and returns the group. The API has no event
        stream yet, so this helper polls; keep poll_s at 0.05 or more (the API's rate is
        shared by every client) — a 429 is waited out. Raises TimeoutError after `timeout`
        seconds, and LegatoError (status 0, code LG_ESTATE) when the group finishes in a
        state that is not one of `states`."""
        want = {states} if isinstance(states, str) else set(states)
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                g = self.group(group_id)
            except LegatoError as e:
                if e.status != 429:
                    raise
                time.sleep(min(e.retry_after or poll_s, max(0.0, deadline - time.monotonic())))
            else:
                last = g["state"]
                if last in want:
                    return g
                if last in FINISHED_STATES:
                    err = LegatoError(0, "LG_ESTATE", f"group {group_id} finished {last}, "
                                      f"not {' or '.join(sorted(want))}")
                    err.group = g
                    raise err
                time.sleep(poll_s)
            if time.monotonic() >= deadline:
                raise TimeoutError(f"group {group_id}: still {last} after {timeout} s, "
                                   f"not {' or '.join(sorted(want))}")
