#!/usr/bin/env python3
"""
example_strategy.py — an example strategy on the legato control API (legato.py).

It sends an intent without a quantity and lets the daemon's risk engine size it:

  1. reads the status (refuses to trade unless ACTIVE) and the positions;
  2. picks the structure: the option symbols given on the command line — four make an
     iron condor (the outer strikes bought, the inner sold), two a credit spread (the
     strike nearer the money sold) — or, with none given, the legs' shape of the newest
     condor or spread the daemon holds (its own strategies'), one lot ratio per leg;
  3. submits it as an intent (retrying while the daemon has no prices yet), waits for
     HEDGED, prints the sizing and the state timeline;
  4. exits it, waits for CLOSED, prints the timeline again.

    python3 clients/python/example_strategy.py --url http://127.0.0.1:7878 \\
        --token-file var/api.token NIFTY26D1525700PE NIFTY26D1525900PE \\
        NIFTY26D1526100CE NIFTY26D1526300CE

Exit status 0 when the group went in and came out, 1 otherwise, 2 on bad arguments.
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from legato import Client, LegatoError, leg  # noqa: E402

# Kite's option names: NIFTY26DEC26000CE (monthly) or NIFTY26D1526000CE (weekly).
OPTION = re.compile(r"^([A-Z]+)(\d{2})([A-Z]{3}|[1-9OND]\d{2})(\d+(?:\.\d+)?)(CE|PE)$")


def parse_option(symbol):
    """(underlying, strike, "CE" or "PE") of an option symbol, or ValueError."""
    m = OPTION.match(symbol)
    if m is None:
        raise ValueError(f"{symbol}: not an option symbol (like NIFTY26D1526000CE)")
    return m.group(1), float(m.group(4)), m.group(5)


def structure_from_symbols(symbols):
    """Legs (symbol, side) of a condor (4 symbols: 2 PE, 2 CE) or a credit spread
    (2 symbols of one kind), and the structure's name."""
    opts = sorted((parse_option(s) + (s,) for s in symbols), key=lambda o: (o[2], o[1]))
    if len({o[0] for o in opts}) != 1:
        raise ValueError("every leg must be on the same underlying")
    puts = [o[3] for o in opts if o[2] == "PE"]
    calls = [o[3] for o in opts if o[2] == "CE"]
    if len(puts) == 2 and len(calls) == 2:   # buy low put, sell high put, sell low call, buy high call
        return "iron condor", [(puts[0], "buy"), (puts[1], "sell"), (calls[0], "sell"),
                               (calls[1], "buy")]
    if len(puts) == 2 and not calls:         # bull put spread: the higher put sold
        return "put credit spread", [(puts[0], "buy"), (puts[1], "sell")]
    if len(calls) == 2 and not puts:         # bear call spread: the lower call sold
        return "call credit spread", [(calls[0], "sell"), (calls[1], "buy")]
    raise ValueError("give 4 options (2 PE and 2 CE) for a condor or 2 of one kind for a spread")


def structure_from_groups(groups):
    """The legs' shape of the newest group that is a condor or a spread of options."""
    for g in groups:  # newest first
        legs = g.get("legs", [])
        if len(legs) not in (2, 4) or not all(OPTION.match(l["symbol"]) for l in legs):
            continue
        name = "iron condor" if len(legs) == 4 else "spread"
        return f"{name} shaped as group {g['id']}", [(l["symbol"], l["side"]) for l in legs]
    raise ValueError("no condor or spread in the daemon to copy: give the symbols")


def submit_when_priced(client, legs, confidence, wait_s):
    """Submits the intent, retrying for wait_s seconds while the daemon has no price yet
    for a leg (LG_ENODATA: the first ticks come a second or so after the start)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return client.submit_intent(legs, confidence=confidence)
        except LegatoError as e:
            retry = e.status == 429 or (e.status == 422 and e.code == "LG_ENODATA")
            if not retry or time.monotonic() >= deadline:
                raise
            time.sleep(e.retry_after or 0.2)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Sends a condor or a spread as an intent, "
                                 "waits for HEDGED, then exits it.")
    ap.add_argument("symbols", nargs="*", help="4 options (condor) or 2 (spread)")
    ap.add_argument("--url", default=None, help="the API (default $LEGATO_API_URL or "
                    "http://127.0.0.1:7878)")
    ap.add_argument("--token-file", default=None,
                    help="default: $LEGATO_API_TOKEN, else ./var/api.token")
    ap.add_argument("--confidence", type=float, default=0.2, help="scales the size, (0, 1]")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per wait")
    args = ap.parse_args(argv)
    shape = None
    if args.symbols:
        try:
            name, shape = structure_from_symbols(args.symbols)
        except ValueError as e:
            print(f"example_strategy: {e}", file=sys.stderr)
            return 2

    try:
        c = Client(args.url, token_file=args.token_file)
        st = c.status()
        print(f"trading {st['trading_state']}, {st['counters']['groups_live']} groups live, "
              f"day P&L Rs {st['risk']['day_pnl']:.2f}")
        if st["trading_state"] != "ACTIVE":
            print("not trading: the daemon is not ACTIVE", file=sys.stderr)
            return 1
        pos = c.positions()
        held = ", ".join(f"{p['symbol']} {p['qty']:+d}" for p in pos["positions"]) or "nothing"
        print(f"held: {held}")
        for und, g in sorted(pos["greeks"].items()):
            print(f"  {und}: delta {g['delta']:.1f} vega {g['vega']:.1f}")
        if shape is None:
            try:
                name, shape = structure_from_groups(c.groups())
            except ValueError as e:
                print(f"example_strategy: {e}", file=sys.stderr)
                return 2
        legs = [leg(sym, side, ratio=1) for sym, side in shape]
        print(f"intent: {name}: " + ", ".join(f"{side} {sym}" for sym, side in shape))

        g = submit_when_priced(c, legs, args.confidence, args.timeout)
        gid = g["id"]
        print(f"group {gid}: {g['state']}")
        g = c.wait_group(gid, ["HEDGED"], timeout=args.timeout)
        sz = g.get("sizing") or {}
        print(f"group {gid}: HEDGED, sized {sz.get('units')} units (bound by "
              f"{sz.get('bound')}), legs " +
              ", ".join(f"{l['side']} {l['held']} {l['symbol']}" for l in g["legs"]))
        print(f"  timeline: {' -> '.join(g['timeline'])}")

        c.exit_group(gid)
        g = c.wait_group(gid, ["CLOSED"], timeout=args.timeout)
        print(f"group {gid}: CLOSED, cash Rs {g['cash']:.2f}, {len(g['orders'])} orders")
        print(f"  timeline: {' -> '.join(g['timeline'])}")
        return 0
    except (LegatoError, TimeoutError) as e:
        print(f"example_strategy: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
