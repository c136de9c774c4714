#!/usr/bin/env python3
"""
test_client.py — the Python client (clients/python/legato.py) and the example strategy
against a real paper daemon:

    python3 tests/python/test_client.py <path to the legato binary>

A `legato run` is started on a fresh data directory with the API on any free port (read
from its first log line); the NIFTY chain's symbols are taken from `legato sim`'s
instruments CSV (the same simulated market the paper daemon runs in-process). Then,
through the client:

  a wrong token is 401 (LG_EAUTH); a token file others may read is refused by the client;
  status; malformed bodies (unknown field, wrong type, qty in an intent) are 400 naming
  the field, and add no group; an unknown group is 404;
  an iron condor as an explicit group reaches HEDGED, its legs held, then exits to CLOSED
  with HEDGED, CLOSING and CLOSED in its timeline;
  an intent (ratios, no quantity) is sized: its group has a sizing record and whole-lot
  targets; /metrics has legato_orders_sent_total;
  the kill switch: HALTED, a submit refused 422, resume back to ACTIVE;
  the example strategy runs end to end (exit code 0);
  SIGTERM stops the daemon with exit code 0 within 10 s.

The daemon runs example strategies of its own, so only groups this test made are looked
at. Exits non-zero on any failure.
"""

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENTS = os.path.join(ROOT, "clients", "python")
sys.path.insert(0, CLIENTS)
from legato import Client, LegatoError, leg  # noqa: E402

LEGATO = None  # the binary, from the command line
START_S = 15   # the daemon's first log line must come by then
PRICE_S = 10   # a submit refused for want of prices is retried this long


class Process:
    """A child whose output lines are read on a thread (the pipe never fills) and kept."""

    def __init__(self, argv, stream):
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
                                  stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL,
                                  text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.eof = False
        pipe = self.p.stdout if stream == "stdout" else self.p.stderr
        self.t = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.t.start()

    def _read(self, pipe):
        for line in pipe:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_line(self, pattern, timeout):
        """The first match of pattern in a line, or None after timeout or at EOF."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = 0
            while True:
                for line in self.lines[i:]:
                    m = rx.search(line)
                    if m:
                        return m
                i = len(self.lines)
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    return None
                self.cond.wait(left)

    def output(self):
        with self.cond:
            return "\n".join(self.lines)

    def stop(self, timeout=10):
        """SIGTERM, then the exit code (None if it had to be killed)."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        self.t.join(2)
        for pipe in (self.p.stdout, self.p.stderr):
            if pipe is not None:
                pipe.close()
        return rc


def nifty_chain(legato):
    """{(kind, strike): symbol} of the NIFTY options of the nearest expiry, and the lot,
    from `legato sim`'s instruments CSV (the paper daemon's market is the same)."""
    sim = Process([legato, "sim", "--port", "0"], "stdout")
    try:
        m = sim.wait_line(r"rest (http://127\.0\.0\.1:\d+)", START_S)
        if m is None:
            raise RuntimeError("legato sim did not start:\n" + sim.output())
        req = urllib.request.Request(m.group(1) + "/instruments/NFO",
                                     headers={"Authorization": "token legato_sim:legato_sim_token"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as r:
            rows = list(csv.DictReader(io.StringIO(r.read().decode())))
    finally:
        sim.stop()
    opts = [r for r in rows if r["name"] == "NIFTY" and r["instrument_type"] in ("CE", "PE")]
    nearest = min(r["expiry"] for r in opts)
    chain = {(r["instrument_type"], round(float(r["strike"]))): r["tradingsymbol"]
             for r in opts if r["expiry"] == nearest}
    lot = int(opts[0]["lot_size"])
    bank = next(r["tradingsymbol"] for r in rows
                if r["name"] == "BANKNIFTY" and r["instrument_type"] == "CE")
    return chain, lot, bank


class DaemonTest(unittest.TestCase):
    """One paper daemon for every test, in order (their names are numbered)."""

    @classmethod
    def setUpClass(cls):
        cls.chain, cls.lot, cls.bank_symbol = nifty_chain(LEGATO)
        strikes = sorted({k for _, k in cls.chain})
        cls.mid = strikes[len(strikes) // 2]  # the chain is centred on the spot at start
        cls.tmp = tempfile.TemporaryDirectory(prefix="legato-py-")
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.data = cls.tmp.name
        cls.token_file = os.path.join(cls.data, "api.token")
        ini = os.path.join(cls.data, "legato.ini")
        with open(ini, "w") as f:
            # a wide loss limit: the daemon's own strategies and the kill switch's
            # flattening cost money, and the throttle past half would shrink intents
            f.write(f"[daemon]\ndata_dir = {cls.data}\nsummary_s = 0\n[api]\nport = 0\n"
                    "[risk]\ndaily_loss_limit = 1000000\n")
        cls.daemon = Process([LEGATO, "run", "--config", ini], "stderr")
        cls.addClassCleanup(cls._stop_daemon)
        m = cls.daemon.wait_line(r"control API on (http://127\.0\.0\.1:\d+)", START_S)
        if m is None:
            raise AssertionError("the daemon did not print its API address within "
                                 f"{START_S} s; stderr:\n" + cls.daemon.output())
        cls.url = m.group(1)
        cls.c = Client(cls.url, token_file=cls.token_file)

    @classmethod
    def _stop_daemon(cls):
        if cls.daemon.p.poll() is None:
            cls.daemon.stop()

    # ---- helpers --------------------------------------------------------------------------

    def sym(self, kind, strike):
        s = self.chain.get((kind, strike))
        self.assertIsNotNone(s, f"no NIFTY {strike} {kind} in the chain")
        return s

    def condor_symbols(self):
        m = self.mid
        return [self.sym("PE", m - 300), self.sym("PE", m - 100), self.sym("CE", m + 100),
                self.sym("CE", m + 300)]

    def condor_legs(self):
        sides = ["buy", "sell", "sell", "buy"]
        return [leg(s, side, qty=self.lot) for s, side in zip(self.condor_symbols(), sides)]

    def until_priced(self, submit):
        """submit() retried while the daemon refuses for want of prices (first ticks)."""
        deadline = time.monotonic() + PRICE_S
        while True:
            try:
                return submit()
            except LegatoError as e:
                if e.status not in (422, 429) or e.code == "LG_EHALTED" or \
                        time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def fail_with_log(self, msg):
        self.fail(msg + "\ndaemon stderr (last lines):\n" +
                  "\n".join(self.daemon.output().splitlines()[-30:]))

    # ---- the tests, in order ----------------------------------------------------------------

    def test_01_token(self):
        with self.assertRaises(LegatoError) as cm:
            Client(self.url, token="0" * 64).status()
        self.assertEqual(cm.exception.status, 401)
        self.assertEqual(cm.exception.code, "LG_EAUTH")
        self.assertEqual(os.stat(self.token_file).st_mode & 0o777, 0o600)
        loose = os.path.join(self.data, "loose.token")
        with open(self.token_file) as src, open(loose, "w") as f:
            f.write(src.read())
        os.chmod(loose, 0o644)
        with self.assertRaises(LegatoError) as cm:
            Client(self.url, token_file=loose)
        self.assertIn(loose, str(cm.exception))
        self.assertIn("644", cm.exception.message)

    def test_02_status(self):
        st = self.c.status()
        self.assertEqual(st["trading_state"], "ACTIVE")
        self.assertFalse(st["recovering"])
        for k in ("steps", "groups_live", "groups_submitted", "intents", "intents_sized"):
            self.assertIn(k, st["counters"])
        self.assertEqual(st["risk"]["daily_loss_limit"], 1000000)
        r = self.c.risk()
        self.assertIn("available", r)
        self.assertIn("positions", self.c.positions())
        self.assertIsInstance(self.c.groups(), list)
        near = {i["symbol"]: i for i in self.c.instruments("NIFTY", "nearest")}
        for symbol in self.chain.values():  # the daemon lists the chain the market has
            self.assertIn(symbol, near)
            self.assertEqual(near[symbol]["lot"], self.lot)
        with self.assertRaises(LegatoError) as e:
            self.c.instruments("NIFTY", "someday")
        self.assertEqual(e.exception.status, 400)

    def test_03_malformed(self):
        bank = self.bank_symbol  # no strategy of the daemon trades it: no group may have it
        cases = [
            ({"legs": [{"symbol": bank, "side": "buy", "qty": 30}], "colour": 1}, "colour"),
            ({"legs": [{"symbol": bank, "side": "buy", "qty": "x"}]}, "legs[0].qty"),
            ({"legs": [{"symbol": bank, "side": "buy", "qty": 30, "size": 2}]}, "legs[0].size"),
            ({"legs": [{"symbol": bank, "side": "up", "qty": 30}]}, "legs[0].side"),
            ({"legs": {"symbol": bank}}, "legs"),
        ]
        for body, field in cases:
            with self.subTest(field=field):
                with self.assertRaises(LegatoError) as cm:
                    self.c.request("POST", "/v1/groups", body)
                self.assertEqual(cm.exception.status, 400, cm.exception)
                self.assertEqual(cm.exception.code, "LG_EINVAL")
                self.assertTrue(cm.exception.message.startswith(field + ":"), cm.exception.message)
        with self.assertRaises(LegatoError) as cm:  # through the method, a wrong type
            self.c.submit_group([leg(bank, "buy", qty=30)], entry_timeout_ms="soon")
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("entry_timeout_ms", cm.exception.message)
        with self.assertRaises(LegatoError) as cm:  # an intent takes ratios, not qty
            self.c.submit_intent([leg(bank, "buy", qty=30)])
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("legs[0].qty", cm.exception.message)
        with self.assertRaises(LegatoError) as cm:
            self.c.submit_intent([leg(bank, "buy", ratio=1)], confidence=2)
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("confidence", cm.exception.message)
        for g in self.c.groups():
            self.assertNotIn(bank, [l["symbol"] for l in g["legs"]], f"group {g['id']} added")
        with self.assertRaises(LegatoError) as cm:
            self.c.group(999999)
        self.assertEqual(cm.exception.status, 404)
        with self.assertRaises(LegatoError) as cm:
            self.c.exit_group(999999)
        self.assertEqual(cm.exception.status, 404)

    def test_04_condor(self):
        stream = self.c.events(timeout=10)
        self.assertEqual(next(stream)["type"], "hello")
        g = self.until_priced(lambda: self.c.submit_group(self.condor_legs(), policy="ratchet"))
        gid = g["id"]
        self.assertEqual([l["symbol"] for l in g["legs"]], self.condor_symbols())
        try:
            g = self.c.wait_group(gid, "HEDGED", timeout=15)
        except (TimeoutError, LegatoError) as e:
            self.fail_with_log(str(e))
        self.assertTrue(all(l["held"] == self.lot for l in g["legs"]), g["legs"])
        held = {p["symbol"] for p in self.c.positions()["positions"]}
        self.assertTrue(set(self.condor_symbols()) <= held, held)
        ans = self.c.exit_group(gid)
        self.assertEqual(ans["group"]["id"], gid)
        try:
            g = self.c.wait_group(gid, ["CLOSED"], timeout=15)
        except (TimeoutError, LegatoError) as e:
            self.fail_with_log(str(e))
        tl = g["timeline"]
        for s in ("CREATED", "HEDGED", "CLOSING", "CLOSED"):
            self.assertIn(s, tl)
        self.assertLess(tl.index("HEDGED"), tl.index("CLOSING"))
        self.assertTrue(g["orders"])
        self.assertTrue(all(l["held"] == 0 for l in g["legs"]), g["legs"])
        # the event stream told the same story: fills, HEDGED, then CLOSED
        seen, fills = [], 0
        for ev in stream:
            if ev.get("group") != gid:
                continue
            fills += ev["type"] == "fill"
            if ev["type"] == "group":
                seen.append(ev["to"])
            if "CLOSED" in seen:
                break
        stream.close()
        self.assertIn("HEDGED", seen)
        self.assertLess(seen.index("HEDGED"), seen.index("CLOSED"))
        self.assertGreaterEqual(fills, 4)
        with self.assertRaises(LegatoError) as e:
            next(Client(self.c.base_url, token="0" * 64).events())
        self.assertEqual(e.exception.status, 401)

    def test_05_intent(self):
        m = self.mid
        legs = [leg(self.sym("PE", m - 400), "buy", ratio=1),
                leg(self.sym("PE", m - 200), "sell", ratio=1)]
        g = self.until_priced(lambda: self.c.submit_intent(legs, direction=1, confidence=0.2))
        g = self.c.group(g["id"])
        sz = g.get("sizing")
        self.assertIsNotNone(sz, g)
        self.assertGreaterEqual(sz["units"], 1)
        self.assertTrue(sz["bound"])
        self.assertEqual([l["target"] for l in g["legs"]], [sz["units"] * self.lot] * 2)
        try:
            g = self.c.wait_group(g["id"], ["HEDGED", "FILLED"], timeout=15)
            self.c.exit_group(g["id"])
            self.c.wait_group(g["id"], "CLOSED", timeout=15)
        except (TimeoutError, LegatoError) as e:
            self.fail_with_log(str(e))

    def test_06_metrics(self):
        text = self.c.metrics()
        m = re.search(r"^legato_orders_sent_total (\d+)$", text, re.M)
        self.assertIsNotNone(m, text)
        self.assertGreater(int(m.group(1)), 0)
        self.assertIn("legato_trading_state ", text)

    def test_07_kill_resume(self):
        ans = self.c.kill()
        self.assertEqual(ans["trading_state"], "HALTED")
        self.assertEqual(self.c.status()["trading_state"], "HALTED")
        with self.assertRaises(LegatoError) as cm:
            self.c.submit_group(self.condor_legs())
        self.assertEqual(cm.exception.status, 422)
        self.assertIn("HALTED", cm.exception.message)
        with self.assertRaises(LegatoError) as cm:
            self.c.submit_intent([leg(self.sym("PE", self.mid), "buy", ratio=1)])
        self.assertEqual(cm.exception.status, 422)
        ans = self.c.resume()
        self.assertEqual(ans["trading_state"], "ACTIVE")
        self.assertEqual(self.c.status()["trading_state"], "ACTIVE")

    def test_08_example_strategy(self):
        script = os.path.join(CLIENTS, "example_strategy.py")
        r = subprocess.run([sys.executable, script, "--url", self.url, "--token-file",
                            self.token_file, "--timeout", "15", *self.condor_symbols()],
                           capture_output=True, text=True, timeout=45)
        out = r.stdout + r.stderr
        if r.returncode != 0:
            self.fail_with_log(f"example_strategy.py exit {r.returncode}:\n{out}")
        self.assertIn("iron condor", out)
        self.assertRegex(out, r"HEDGED, sized \d+ units")
        self.assertRegex(out, r"CLOSED.*\n  timeline: .*HEDGED -> CLOSING -> CLOSED")

    def test_99_sigterm(self):
        rc = self.daemon.stop(timeout=10)
        self.assertEqual(rc, 0, "the daemon did not exit 0 within 10 s of SIGTERM; stderr:\n" +
                         "\n".join(self.daemon.output().splitlines()[-20:]))
        lines = [json.loads(l) for l in self.daemon.output().splitlines() if l.startswith("{")]
        self.assertTrue(lines and all("msg" in l and "level" in l for l in lines))


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: test_client.py <path to the legato binary>")
    LEGATO = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
