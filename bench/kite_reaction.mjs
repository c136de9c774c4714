// kite_reaction.mjs — the reaction of Zerodha's official client (npm `kiteconnect`, as
// pinned in tests/conformance) to a rejected short, against `legato sim`: an
// order_update handler that places the reverse of the filled protection at once. The
// same flow as legato's bench_reaction, so the two reactions compare.
//
// Each round: the protection (BUY, MARKET with protection) fills; the short (SELL) is
// rejected by the exchange (a scripted RMS rejection: a REJECTED order frame); the
// handler places the reversal. The simulator times each reaction from the REJECTED
// frame written to its socket to the reversal's request read (GET /admin/reaction),
// the same clock for both clients.
//
// Env: LEGATO_REST_ROOT, LEGATO_WS_ROOT, LEGATO_API_KEY, LEGATO_ACCESS_TOKEN, ROUNDS
// (default 60). Prints one JSON line: {"name":"reaction_kiteconnect", ...}.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/conformance/package.json', import.meta.url));
const { KiteConnect, KiteTicker } = require('kiteconnect');

const rest = process.env.LEGATO_REST_ROOT;
const wsRoot = process.env.LEGATO_WS_ROOT;
const apiKey = process.env.LEGATO_API_KEY;
const token = process.env.LEGATO_ACCESS_TOKEN;
const rounds = Number(process.env.ROUNDS || 60);
const auth = { Authorization: `token ${apiKey}:${token}` };

const kc = new KiteConnect({ api_key: apiKey, root: rest });
kc.setAccessToken(token);

async function admin(path, body) {
  const r = await fetch(rest + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()).data;
}

// Two NIFTY calls near the money: the protection and the short.
const csv = await kc.getInstruments('NFO');
const calls = csv.filter((i) => i.name === 'NIFTY' && i.instrument_type === 'CE');
const prot = calls[Math.floor(calls.length / 2) + 4].tradingsymbol;
const short = calls[Math.floor(calls.length / 2)].tradingsymbol;

const waiting = new Map(); // order_id or tag -> resolve
let round = 0;
const ticker = new KiteTicker({ api_key: apiKey, access_token: token, root: wsRoot });
ticker.autoReconnect(false);
ticker.on('order_update', (o) => {
  if (o.status === 'REJECTED' && o.tag === `s${round}`) { // the reaction under test
    kc.placeOrder('regular', {
      exchange: 'NFO', tradingsymbol: prot, transaction_type: 'SELL', quantity: 65,
      product: 'NRML', order_type: 'MARKET', market_protection: 5, tag: `r${round}`,
    }).catch((e) => console.error('reversal refused', e));
    return;
  }
  if (o.status === 'COMPLETE' && waiting.has(o.tag)) {
    waiting.get(o.tag)();
    waiting.delete(o.tag);
  }
});
await new Promise((resolve, reject) => {
  ticker.on('connect', resolve);
  ticker.on('error', reject);
  ticker.connect();
});

const complete = (tag) => new Promise((resolve) => waiting.set(tag, resolve));
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

await admin('/admin/reaction', '');
for (round = 1; round <= rounds; round++) {
  await admin('/admin/reject', `tradingsymbol=${short}&reason=rms&n=1`);
  const filled = complete(`p${round}`);
  await kc.placeOrder('regular', {
    exchange: 'NFO', tradingsymbol: prot, transaction_type: 'BUY', quantity: 65,
    product: 'NRML', order_type: 'MARKET', market_protection: 5, tag: `p${round}`,
  });
  await filled;
  const reversed = complete(`r${round}`);
  await kc.placeOrder('regular', {
    exchange: 'NFO', tradingsymbol: short, transaction_type: 'SELL', quantity: 65,
    product: 'NRML', order_type: 'MARKET', market_protection: 5, tag: `s${round}`,
  });
  await reversed;
  await pause(350); // three order requests a round: stay under 10 a second
}
const r = await admin('/admin/reaction');
console.log(JSON.stringify({
  name: 'reaction_kiteconnect', rounds, n: r.n, p50_us: r.p50_us, p90_us: r.p90_us,
  p99_us: r.p99_us, max_us: r.max_us, measured: 'REJECTED frame written -> reversal request read, at the simulator',
}));
ticker.disconnect();
process.exit(0);
