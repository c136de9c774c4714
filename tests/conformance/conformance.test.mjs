// Conformance of `legato sim` against the official Kite Connect JS client
// (kiteconnect, pinned in package.json). What this client sends, the simulator
// must accept; what it cannot parse, the simulator must not send. See
// CLIENT_FACTS.md for what the client does on the wire.
//
// Run through run.sh, which starts the sim and sets LEGATO_REST_ROOT,
// LEGATO_WS_ROOT, LEGATO_API_KEY and LEGATO_ACCESS_TOKEN.
//
// The market is simulated: nothing here depends on a price, only on structure
// and relations (bid <= ask, filled <= quantity, ...).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { KiteConnect, KiteTicker } = require('kiteconnect');
// The axios the client itself resolves, to wrap its adapter for a wire log.
const axios = createRequire(require.resolve('kiteconnect'))('axios');

const REST = process.env.LEGATO_REST_ROOT;
const WS = process.env.LEGATO_WS_ROOT;
const API_KEY = process.env.LEGATO_API_KEY;
const TOKEN = process.env.LEGATO_ACCESS_TOKEN;
if (!REST || !WS || !API_KEY || !TOKEN) {
    throw new Error('set LEGATO_REST_ROOT, LEGATO_WS_ROOT, LEGATO_API_KEY, LEGATO_ACCESS_TOKEN (run.sh does)');
}

const KITE_STATUSES = new Set([
    'OPEN', 'TRIGGER PENDING', 'COMPLETE', 'CANCELLED', 'REJECTED',
    'PUT ORDER REQ RECEIVED', 'VALIDATION PENDING', 'OPEN PENDING',
    'MODIFY VALIDATION PENDING', 'MODIFY PENDING', 'MODIFIED', 'CANCEL PENDING',
    'AMO REQ RECEIVED', 'UPDATE',
]);
const TERMINAL = new Set(['COMPLETE', 'CANCELLED', 'REJECTED']);
const NIFTY_LOT = 65;
const NIFTY_FREEZE = 1800;

// ---------------------------------------------------------------- wire log

// Every HTTP exchange of a client: method, url, request body, status, content
// type and raw response body. Printed when a test fails, so a report can say
// exactly what was sent and answered.
function withWireLog(kc) {
    const log = [];
    const base = axios.getAdapter(kc.requestInstance.defaults.adapter);
    kc.requestInstance.defaults.adapter = async (config) => {
        const entry = {
            method: config.method.toUpperCase(),
            url: axios.getUri(config),
            body: config.data ?? '',
        };
        log.push(entry);
        try {
            const r = await base(config);
            Object.assign(entry, { status: r.status, type: r.headers['content-type'], resp: r.data });
            return r;
        } catch (e) {
            if (e.response) {
                Object.assign(entry, {
                    status: e.response.status, type: e.response.headers['content-type'], resp: e.response.data,
                });
            } else {
                entry.error = e.code || e.message;
            }
            throw e;
        }
    };
    kc.wire = log;
    return kc;
}

function client(token = TOKEN) {
    const kc = new KiteConnect({ api_key: API_KEY, root: REST, timeout: 5000 });
    kc.setAccessToken(token);
    return withWireLog(kc);
}

const kc = client();

function lastWire(kcx, n = 1) {
    return kcx.wire.slice(-n).map((e) => {
        const resp = typeof e.resp === 'string' && e.resp.length > 600 ? e.resp.slice(0, 600) + '...' : e.resp;
        return `${e.method} ${e.url} ${e.body ? 'body ' + e.body + ' ' : ''}-> ${e.status ?? e.error} [${e.type}] ${typeof resp === 'string' ? resp : JSON.stringify(resp)}`;
    }).join('\n');
}

// Runs fn; on failure adds the last HTTP exchanges to the message.
async function wired(n, fn, kcx = kc) {
    try {
        return await fn();
    } catch (e) {
        if (e && typeof e === 'object' && 'message' in e) {
            e.message = `${e.message}\n--- last HTTP exchanges ---\n${lastWire(kcx, n)}`;
        }
        throw e;
    }
}

// The client resolves (does not reject) with a DataException object when the
// answer's content type or body is not what it can read; that is a failure.
function notDataException(v, what) {
    assert.ok(!(v && typeof v === 'object' && !Array.isArray(v) && v.error_type === 'DataException'),
        `${what}: the client could not read the answer: ${JSON.stringify(v)}`);
    return v;
}

async function call(what, p, kcx = kc) {
    return wired(1, async () => notDataException(await p, what), kcx);
}

// Awaits a rejection; returns what the client rejected with.
async function rejection(what, p) {
    let v;
    try {
        v = await p;
    } catch (e) {
        return e;
    }
    assert.fail(`${what}: expected a rejection, resolved with ${JSON.stringify(v)}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, ms = 10000, step = 100) {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
        last = await fn();
        if (last) return last;
        await sleep(step);
    }
    assert.fail(`timed out after ${ms} ms waiting for ${what}`);
}

const isNum = (x) => typeof x === 'number' && Number.isFinite(x);
const isDate = (x) => x instanceof Date && !Number.isNaN(x.getTime());

function roundTick(p, tick, up) {
    const n = up ? Math.ceil(p / tick - 1e-9) : Math.floor(p / tick + 1e-9);
    return Number((n * tick).toFixed(2));
}

// A fresh tag per order: alphanumeric, at most 20 characters.
let tagSeq = 0;
const tag = () => `conf${process.pid % 10000}n${++tagSeq}`.slice(0, 20);

// ---------------------------------------------------------------- shared state

const S = {
    rows: null,     // NFO instruments
    ce: null,       // NIFTY CE near the money
    ce2: null,      // the next higher NIFTY CE strike of the same expiry
    fut: null,      // a BANKNIFTY future
    quote: null,    // getQuote of ce
    order: null,    // the resting order
    ticker: null,
    ticks: [],
    frames: [],     // {t, len} of binary frames
    texts: [],      // {t} of text frames
    updates: [],    // order_update payloads
    disconnects: 0,
};

// ---------------------------------------------------------------- instruments

test('getInstruments("NFO"): a CSV the client parses, with NIFTY and BANKNIFTY chains and futures', async () => {
    const rows = await call('getInstruments', kc.getInstruments('NFO'));
    const w = kc.wire.at(-1);
    assert.equal(w.type, 'text/csv', 'the client parses the CSV only for Content-Type exactly "text/csv"');
    assert.ok(Array.isArray(rows), `getInstruments resolved with ${typeof rows}, not rows`);
    // A trailing newline gives one empty last row in this client (Kite's own file does the same).
    const body = rows.filter((r, i) => !(i === rows.length - 1 && r.instrument_token === ''));
    assert.ok(body.length > 10, `only ${body.length} rows`);
    for (const r of body) {
        const where = `row ${JSON.stringify(r)}`;
        assert.match(r.instrument_token, /^[1-9][0-9]*$/, where);
        assert.match(r.exchange_token, /^[0-9]+$/, where);
        assert.equal(Number(r.instrument_token) & 0xff, 2, `${where}: NFO tokens have segment 2`);
        assert.equal(Number(r.instrument_token) >> 8, Number(r.exchange_token), `${where}: token = exchange_token << 8 | segment`);
        assert.equal(r.exchange, 'NFO', where);
        assert.ok(typeof r.tradingsymbol === 'string' && r.tradingsymbol.length > 0, where);
        assert.ok(isNum(r.tick_size) && r.tick_size > 0, where);
        assert.ok(Number.isInteger(r.lot_size) && r.lot_size > 0, where);
        assert.ok(isNum(r.strike) && r.strike >= 0, where);
        assert.ok(isNum(r.last_price), where);
        assert.ok(isDate(r.expiry), `${where}: expiry must be YYYY-MM-DD`);
        assert.ok(['CE', 'PE', 'FUT'].includes(r.instrument_type), where);
        assert.equal(r.segment, r.instrument_type === 'FUT' ? 'NFO-FUT' : 'NFO-OPT', where);
    }
    const tokens = new Set(body.map((r) => r.instrument_token));
    assert.equal(tokens.size, body.length, 'instrument tokens are unique');

    const niftyCE = body.filter((r) => r.name === 'NIFTY' && r.instrument_type === 'CE');
    const niftyPE = body.filter((r) => r.name === 'NIFTY' && r.instrument_type === 'PE');
    const bnOpt = body.filter((r) => r.name === 'BANKNIFTY' && ['CE', 'PE'].includes(r.instrument_type));
    const niftyFut = body.filter((r) => r.name === 'NIFTY' && r.instrument_type === 'FUT');
    const bnFut = body.filter((r) => r.name === 'BANKNIFTY' && r.instrument_type === 'FUT');
    assert.ok(niftyCE.length > 2 && niftyPE.length > 2, 'a NIFTY option chain');
    assert.ok(bnOpt.length > 2, 'a BANKNIFTY option chain');
    assert.ok(niftyFut.length > 0, 'a NIFTY future');
    assert.ok(bnFut.length > 0, 'a BANKNIFTY future');
    for (const r of body.filter((x) => x.name === 'NIFTY')) assert.equal(r.lot_size, NIFTY_LOT, `NIFTY lot ${r.tradingsymbol}`);
    for (const r of body.filter((x) => x.name === 'BANKNIFTY')) assert.equal(r.lot_size, 30, `BANKNIFTY lot ${r.tradingsymbol}`);

    // Near the money: the nearest expiry, the strike closest to the NIFTY future's price.
    const ltp = await call('getLTP future', kc.getLTP([`NFO:${niftyFut[0].tradingsymbol}`]));
    const spot = ltp[`NFO:${niftyFut[0].tradingsymbol}`]?.last_price;
    assert.ok(isNum(spot) && spot > 0, `NIFTY future LTP ${JSON.stringify(ltp)}`);
    const expiry = Math.min(...niftyCE.map((r) => r.expiry.getTime()));
    const chain = niftyCE.filter((r) => r.expiry.getTime() === expiry).sort((a, b) => a.strike - b.strike);
    let i = 0;
    for (let k = 0; k < chain.length; k++) if (Math.abs(chain[k].strike - spot) < Math.abs(chain[i].strike - spot)) i = k;
    if (i === chain.length - 1) i--;
    assert.ok(i >= 0, 'a NIFTY CE strike above the one near the money');
    S.rows = body;
    S.ce = chain[i];
    S.ce2 = chain[i + 1];
    S.fut = bnFut[0];
});

// ---------------------------------------------------------------- quotes

function checkDepthSide(side, what) {
    assert.ok(Array.isArray(side) && side.length === 5, `${what}: 5 levels`);
    for (const l of side) {
        assert.ok(isNum(l.price) && isNum(l.quantity) && isNum(l.orders), `${what}: ${JSON.stringify(l)}`);
    }
}

test('getQuote / getLTP / getOHLC for NFO:<tradingsymbol>', async () => {
    assert.ok(S.ce, 'needs the instruments test');
    const keys = [`NFO:${S.ce.tradingsymbol}`, `NFO:${S.fut.tradingsymbol}`];
    const q = await call('getQuote', kc.getQuote(keys));
    for (const [k, row] of [[keys[0], S.ce], [keys[1], S.fut]]) {
        const e = q[k];
        assert.ok(e, `getQuote has ${k}: ${JSON.stringify(q)}`);
        assert.equal(e.instrument_token, Number(row.instrument_token), `${k} instrument_token is the CSV's, as a number`);
        assert.ok(isNum(e.last_price) && e.last_price > 0, `${k} last_price`);
        for (const f of ['volume', 'buy_quantity', 'sell_quantity', 'average_price', 'net_change', 'oi', 'last_quantity']) {
            assert.ok(isNum(e[f]), `${k}.${f} = ${JSON.stringify(e[f])}`);
        }
        assert.ok(isDate(e.timestamp), `${k}.timestamp must be "YYYY-MM-DD HH:MM:SS": ${JSON.stringify(e.timestamp)}`);
        if (e.last_trade_time !== null) assert.ok(isDate(e.last_trade_time), `${k}.last_trade_time: ${JSON.stringify(e.last_trade_time)}`);
        const o = e.ohlc;
        assert.ok(o && [o.open, o.high, o.low, o.close].every(isNum), `${k}.ohlc ${JSON.stringify(o)}`);
        assert.ok(o.low <= o.high, `${k} low <= high`);
        assert.ok(isNum(e.lower_circuit_limit) && isNum(e.upper_circuit_limit) && e.lower_circuit_limit <= e.upper_circuit_limit, `${k} circuit`);
        checkDepthSide(e.depth?.buy, `${k} depth.buy`);
        checkDepthSide(e.depth?.sell, `${k} depth.sell`);
        const bid = e.depth.buy[0], ask = e.depth.sell[0];
        if (bid.quantity > 0 && ask.quantity > 0) assert.ok(bid.price <= ask.price, `${k} bid ${bid.price} <= ask ${ask.price}`);
        for (let j = 1; j < 5; j++) {
            if (e.depth.buy[j].quantity > 0) assert.ok(e.depth.buy[j].price <= e.depth.buy[j - 1].price, `${k} bids descend`);
            if (e.depth.sell[j].quantity > 0) assert.ok(e.depth.sell[j].price >= e.depth.sell[j - 1].price, `${k} asks ascend`);
        }
    }
    S.quote = q[keys[0]];

    const l = await call('getLTP', kc.getLTP(keys));
    for (const [k, row] of [[keys[0], S.ce], [keys[1], S.fut]]) {
        assert.equal(l[k]?.instrument_token, Number(row.instrument_token), `getLTP ${k}: ${JSON.stringify(l)}`);
        assert.ok(isNum(l[k].last_price) && l[k].last_price > 0, `getLTP ${k} last_price`);
    }
    const h = await call('getOHLC', kc.getOHLC(keys));
    for (const [k, row] of [[keys[0], S.ce], [keys[1], S.fut]]) {
        const e = h[k];
        assert.equal(e?.instrument_token, Number(row.instrument_token), `getOHLC ${k}: ${JSON.stringify(h)}`);
        assert.ok(isNum(e.last_price) && e.last_price > 0, `getOHLC ${k} last_price`);
        assert.ok([e.ohlc?.open, e.ohlc?.high, e.ohlc?.low, e.ohlc?.close].every(isNum), `getOHLC ${k}.ohlc`);
        assert.ok(e.ohlc.low <= e.ohlc.high, `getOHLC ${k} low <= high`);
    }
});

// ---------------------------------------------------------------- ticker

test('KiteTicker: connect, subscribe, full mode ticks with depth', async () => {
    assert.ok(S.ce, 'needs the instruments test');
    const token = Number(S.ce.instrument_token);
    // reconnect:false: with reconnection on, this client exits the process when
    // the caller disconnects (see CLIENT_FACTS.md).
    const t = new KiteTicker({ api_key: API_KEY, access_token: TOKEN, root: WS, reconnect: false });
    S.ticker = t;
    const errors = [];
    t.on('ticks', (ticks) => { for (const k of ticks) S.ticks.push({ t: Date.now(), k }); });
    t.on('message', (buf) => S.frames.push({ t: Date.now(), len: buf.byteLength }));
    t.on('order_update', (u) => S.updates.push(u));
    t.on('error', (e) => errors.push(e && e.message ? e.message : String(e)));
    t.on('disconnect', () => { if (!S.closing) S.disconnects++; });
    const connected = new Promise((resolve) => t.on('connect', resolve));
    t.connect();
    await Promise.race([connected, sleep(5000).then(() => assert.fail(`no connect in 5 s; errors ${JSON.stringify(errors)}`))]);
    assert.ok(t.connected());
    t.subscribe([token]);
    t.setMode('full', [token]);
    const tick = await until('a full tick of the subscribed token',
        () => S.ticks.find((x) => x.k.instrument_token === token && x.k.mode === 'full')?.k, 8000);
    assert.equal(tick.tradable, true);
    assert.ok(tick.last_price > 0, `last_price ${tick.last_price}`);
    assert.ok(isNum(tick.volume_traded) && isNum(tick.total_buy_quantity) && isNum(tick.total_sell_quantity));
    assert.ok(tick.ohlc && [tick.ohlc.open, tick.ohlc.high, tick.ohlc.low, tick.ohlc.close].every(isNum));
    assert.ok(tick.ohlc.low <= tick.ohlc.high, 'tick low <= high');
    assert.ok(tick.exchange_timestamp === null || isDate(tick.exchange_timestamp));
    assert.ok(tick.exchange_timestamp !== null, 'full ticks carry an exchange timestamp');
    assert.ok(tick.depth && tick.depth.buy.length === 5 && tick.depth.sell.length === 5, 'full tick depth');
    const bid = tick.depth.buy[0], ask = tick.depth.sell[0];
    assert.ok(bid.quantity > 0 && ask.quantity > 0, `depth has both sides ${JSON.stringify(tick.depth)}`);
    assert.ok(bid.price <= ask.price, `tick bid ${bid.price} <= ask ${ask.price}`);
    for (const l of [...tick.depth.buy, ...tick.depth.sell]) {
        if (l.quantity > 0) assert.ok(l.price > 0 && l.orders > 0, `depth level ${JSON.stringify(l)}`);
    }
    // Every tick of our token is in the mode we set once the mode took effect,
    // and no tick is for a token we did not ask for.
    for (const x of S.ticks) assert.equal(x.k.instrument_token, token, `tick for an unsubscribed token ${x.k.instrument_token}`);
    assert.deepEqual(errors, []);
});

// ---------------------------------------------------------------- orders

function checkOrder(o, what) {
    assert.equal(typeof o.order_id, 'string', `${what}: order_id is a string`);
    assert.ok(KITE_STATUSES.has(o.status), `${what}: status ${JSON.stringify(o.status)} is not one of Kite's`);
    assert.ok(isDate(o.order_timestamp), `${what}: order_timestamp must be "YYYY-MM-DD HH:MM:SS": ${JSON.stringify(o.order_timestamp)}`);
    if (o.exchange_timestamp !== null) assert.ok(isDate(o.exchange_timestamp), `${what}: exchange_timestamp ${JSON.stringify(o.exchange_timestamp)}`);
    for (const f of ['quantity', 'filled_quantity', 'pending_quantity', 'cancelled_quantity', 'price', 'trigger_price', 'average_price', 'instrument_token']) {
        assert.ok(isNum(o[f]), `${what}: ${f} = ${JSON.stringify(o[f])}`);
    }
    assert.ok(o.filled_quantity >= 0 && o.filled_quantity <= o.quantity, `${what}: 0 <= filled ${o.filled_quantity} <= quantity ${o.quantity}`);
    assert.ok(o.pending_quantity >= 0 && o.filled_quantity + o.pending_quantity + o.cancelled_quantity <= o.quantity,
        `${what}: filled + pending + cancelled <= quantity (${o.filled_quantity}+${o.pending_quantity}+${o.cancelled_quantity} vs ${o.quantity})`);
}

test('placeOrder / modifyOrder / cancelOrder, getOrders, getOrderHistory, order_update', async () => {
    assert.ok(S.quote, 'needs the quote test');
    const tick = S.ce.tick_size;
    const ltp = S.quote.last_price;
    const lo = Math.max(S.quote.lower_circuit_limit, tick);
    // A BUY well below the market: rests OPEN.
    const price = roundTick(Math.max(lo, ltp * 0.8), tick, true);
    const t1 = tag();
    const placed = await call('placeOrder', kc.placeOrder('regular', {
        exchange: 'NFO', tradingsymbol: S.ce.tradingsymbol, transaction_type: 'BUY', quantity: NIFTY_LOT,
        product: 'NRML', order_type: 'LIMIT', price, tag: t1,
    }));
    assert.equal(typeof placed?.order_id, 'string', `placeOrder data ${JSON.stringify(placed)}`);
    assert.match(placed.order_id, /^[0-9]+$/);
    const id = placed.order_id;
    S.order = { id, tag: t1 };

    const open = await until('the order OPEN in getOrders', async () => {
        const os = await call('getOrders', kc.getOrders());
        assert.ok(Array.isArray(os), `getOrders ${JSON.stringify(os)}`);
        const o = os.find((x) => x.order_id === id);
        assert.ok(o, `getOrders has ${id}`);
        checkOrder(o, 'getOrders');
        assert.ok(!TERMINAL.has(o.status), `a resting BUY went ${o.status}: ${o.status_message}`);
        return o.status === 'OPEN' ? o : null;
    });
    assert.equal(open.tag, t1, 'getOrders keeps the tag');
    assert.equal(open.tradingsymbol, S.ce.tradingsymbol);
    assert.equal(open.exchange, 'NFO');
    assert.equal(open.instrument_token, Number(S.ce.instrument_token));
    assert.equal(open.transaction_type, 'BUY');
    assert.equal(open.order_type, 'LIMIT');
    assert.equal(open.product, 'NRML');
    assert.equal(open.variety, 'regular');
    assert.equal(open.quantity, NIFTY_LOT);
    assert.equal(open.price, price);
    assert.equal(open.filled_quantity, 0);
    assert.equal(open.pending_quantity, NIFTY_LOT);

    const newPrice = roundTick(price + tick, tick, true);
    const modified = await call('modifyOrder', kc.modifyOrder('regular', id, { order_type: 'LIMIT', price: newPrice }));
    assert.equal(modified?.order_id, id, `modifyOrder data ${JSON.stringify(modified)}`);
    await until('the new price in getOrders', async () => {
        const o = (await call('getOrders', kc.getOrders())).find((x) => x.order_id === id);
        checkOrder(o, 'getOrders after modify');
        return o.price === newPrice && o.status === 'OPEN';
    });

    const cancelled = await call('cancelOrder', kc.cancelOrder('regular', id));
    assert.equal(cancelled?.order_id, id, `cancelOrder data ${JSON.stringify(cancelled)}`);
    const done = await until('CANCELLED in getOrderHistory', async () => {
        const h = await call('getOrderHistory', kc.getOrderHistory(id));
        assert.ok(Array.isArray(h) && h.length > 0, `getOrderHistory ${JSON.stringify(h)}`);
        for (const r of h) { checkOrder(r, 'history row'); assert.equal(r.order_id, id); }
        return h.at(-1).status === 'CANCELLED' ? h : null;
    });
    const states = done.map((r) => r.status);
    assert.ok(states.includes('OPEN'), `history went through OPEN: ${states}`);
    for (let j = 1; j < done.length; j++) {
        assert.ok(done[j].filled_quantity >= done[j - 1].filled_quantity, 'filled_quantity never decreases');
    }
    const last = done.at(-1);
    assert.equal(last.price, newPrice, 'the last row is the current state (modified price)');
    assert.equal(last.tag, t1);
    assert.equal(last.cancelled_quantity, NIFTY_LOT, 'a cancelled unfilled order cancels all of it');
    assert.equal(last.pending_quantity, 0);
    const inBook = (await call('getOrders', kc.getOrders())).find((x) => x.order_id === id);
    assert.equal(inBook.status, 'CANCELLED', 'getOrders shows the current state');

    if (S.ticker) {
        const u = await until('an order_update on the ticker for the order', () => S.updates.find((x) => x?.order_id === id), 5000);
        assert.ok(KITE_STATUSES.has(u.status), `order_update status ${u.status}`);
        assert.equal(u.tradingsymbol, S.ce.tradingsymbol);
        await until('an order_update with CANCELLED', () => S.updates.find((x) => x?.order_id === id && x.status === 'CANCELLED'), 5000);
    }
});

test('a MARKET order with market_protection fills: getTrades, getPositions', async () => {
    assert.ok(S.ce, 'needs the instruments test');
    const t2 = tag();
    const placed = await call('placeOrder market', kc.placeOrder('regular', {
        exchange: 'NFO', tradingsymbol: S.ce.tradingsymbol, transaction_type: 'BUY', quantity: NIFTY_LOT,
        product: 'NRML', order_type: 'MARKET', market_protection: 5, tag: t2,
    }));
    const id = placed?.order_id;
    assert.equal(typeof id, 'string', `placeOrder data ${JSON.stringify(placed)}`);
    const h = await until('the MARKET order COMPLETE', async () => {
        const rows = await call('getOrderHistory', kc.getOrderHistory(id));
        const l = rows.at(-1);
        checkOrder(l, 'market order');
        assert.notEqual(l.status, 'REJECTED', `market order rejected: ${l.status_message}`);
        assert.notEqual(l.status, 'CANCELLED', `market order cancelled: ${l.status_message}`);
        return l.status === 'COMPLETE' ? l : null;
    });
    assert.equal(h.filled_quantity, NIFTY_LOT);
    assert.equal(h.pending_quantity, 0);
    assert.ok(h.average_price > 0, 'average_price of a fill');
    if (h.exchange_timestamp !== null) assert.ok(isDate(h.exchange_timestamp));

    const trades = await call('getTrades', kc.getTrades());
    assert.ok(Array.isArray(trades), `getTrades ${JSON.stringify(trades)}`);
    const mine = trades.filter((x) => x.order_id === id);
    assert.ok(mine.length > 0, `getTrades has trades of ${id}`);
    let qty = 0, value = 0;
    for (const tr of mine) {
        assert.equal(typeof tr.trade_id, 'string', `trade_id ${JSON.stringify(tr.trade_id)}`);
        assert.equal(tr.tradingsymbol, S.ce.tradingsymbol);
        assert.equal(tr.exchange, 'NFO');
        assert.equal(tr.transaction_type, 'BUY');
        assert.equal(tr.product, 'NRML');
        assert.equal(tr.instrument_token, Number(S.ce.instrument_token));
        assert.ok(isNum(tr.quantity) && tr.quantity > 0 && isNum(tr.average_price) && tr.average_price > 0);
        assert.ok(isDate(tr.fill_timestamp), `fill_timestamp ${JSON.stringify(tr.fill_timestamp)}`);
        assert.ok(isDate(tr.order_timestamp), `trade order_timestamp ${JSON.stringify(tr.order_timestamp)}`);
        qty += tr.quantity;
        value += tr.quantity * tr.average_price;
    }
    assert.equal(qty, NIFTY_LOT, 'the trades add up to the filled quantity');
    assert.ok(Math.abs(value / qty - h.average_price) < 0.01, 'order average_price is the trades\' average');
    const tradesOfOrder = await call('getOrderTrades', kc.getOrderTrades(id));
    assert.equal(tradesOfOrder.length, mine.length, 'getOrderTrades matches getTrades');

    const pos = await call('getPositions', kc.getPositions());
    assert.ok(pos && Array.isArray(pos.net) && Array.isArray(pos.day), `getPositions ${JSON.stringify(pos)}`);
    for (const side of ['net', 'day']) {
        const p = pos[side].find((x) => x.tradingsymbol === S.ce.tradingsymbol && x.product === 'NRML');
        assert.ok(p, `${side} position for ${S.ce.tradingsymbol}`);
        assert.equal(p.quantity, NIFTY_LOT, `${side} quantity`);
        assert.equal(p.exchange, 'NFO');
        assert.equal(p.instrument_token, Number(S.ce.instrument_token));
        for (const f of ['average_price', 'last_price', 'pnl', 'm2m', 'buy_quantity', 'sell_quantity', 'buy_price', 'buy_value', 'multiplier']) {
            assert.ok(isNum(p[f]), `${side}.${f} = ${JSON.stringify(p[f])}`);
        }
        assert.equal(p.buy_quantity, NIFTY_LOT);
        assert.equal(p.sell_quantity, 0);
    }
    if (S.ticker) {
        await until('an order_update COMPLETE for the market order',
            () => S.updates.find((x) => x?.order_id === id && x.status === 'COMPLETE'), 5000);
    }
});

// ---------------------------------------------------------------- margins

test('getMargins, orderMargins, orderBasketMargins with a spread benefit', async () => {
    assert.ok(S.ce2, 'needs the instruments test');
    const m = await call('getMargins', kc.getMargins());
    const eq = m?.equity;
    assert.ok(eq, `getMargins ${JSON.stringify(m)}`);
    assert.equal(typeof eq.enabled, 'boolean');
    assert.ok(isNum(eq.net));
    for (const f of ['adhoc_margin', 'cash', 'opening_balance', 'live_balance', 'collateral', 'intraday_payin']) {
        assert.ok(isNum(eq.available?.[f]), `equity.available.${f} = ${JSON.stringify(eq.available?.[f])}`);
    }
    for (const f of ['debits', 'exposure', 'm2m_realised', 'm2m_unrealised', 'option_premium', 'payout', 'span', 'holding_sales', 'turnover', 'liquid_collateral', 'stock_collateral', 'delivery']) {
        assert.ok(isNum(eq.utilised?.[f]), `equity.utilised.${f} = ${JSON.stringify(eq.utilised?.[f])}`);
    }
    const eq2 = await call('getMargins equity', kc.getMargins('equity'));
    assert.ok(isNum(eq2?.net) && eq2.available, `getMargins("equity") ${JSON.stringify(eq2)}`);

    const leg = (row, side) => ({
        exchange: 'NFO', tradingsymbol: row.tradingsymbol, transaction_type: side, variety: 'regular',
        product: 'NRML', order_type: 'MARKET', quantity: NIFTY_LOT, price: 0, trigger_price: 0,
    });
    const sell = leg(S.ce, 'SELL'), buy = leg(S.ce2, 'BUY');
    const om = await call('orderMargins', kc.orderMargins([sell, buy]));
    assert.ok(Array.isArray(om) && om.length === 2, `orderMargins ${JSON.stringify(om)}`);
    for (const [r, l] of [[om[0], sell], [om[1], buy]]) {
        assert.equal(r.tradingsymbol, l.tradingsymbol);
        assert.equal(r.exchange, 'NFO');
        for (const f of ['span', 'exposure', 'option_premium', 'total']) assert.ok(isNum(r[f]), `orderMargins ${f} = ${JSON.stringify(r[f])}`);
        assert.ok(r.total > 0, 'a margin for each leg');
    }
    assert.ok(om[0].span > 0, 'a short option carries SPAN');

    const b = await call('orderBasketMargins', kc.orderBasketMargins([buy, sell], true));
    assert.ok(b && isNum(b.initial?.total) && isNum(b.final?.total) && Array.isArray(b.orders), `orderBasketMargins ${JSON.stringify(b)}`);
    assert.equal(b.orders.length, 2);
    assert.ok(b.final.total < b.initial.total, `a call spread gets a benefit: final ${b.final.total} < initial ${b.initial.total}`);
    const sum = om[0].total + om[1].total;
    assert.ok(Math.abs(b.initial.total - sum) <= Math.max(1, sum * 0.02), `initial ${b.initial.total} is the sum of the legs ${sum}`);
});

// ---------------------------------------------------------------- errors

test('wrong access token: TokenException, HTTP 403', async () => {
    const bad = client('not_the_token');
    const e = await rejection('getPositions with a wrong token', bad.getPositions());
    await wired(1, async () => {
        assert.equal(e.error_type, 'TokenException', `rejected with ${JSON.stringify(e)}`);
        assert.equal(e.status, 'error');
        assert.ok(typeof e.message === 'string' && e.message.length > 0);
        assert.equal(bad.wire.at(-1).status, 403);
        assert.match(bad.wire.at(-1).type ?? '', /application\/json/);
    }, bad);
    const e2 = await rejection('placeOrder with a wrong token', bad.placeOrder('regular', {
        exchange: 'NFO', tradingsymbol: S.ce.tradingsymbol, transaction_type: 'BUY', quantity: NIFTY_LOT,
        product: 'NRML', order_type: 'LIMIT', price: S.ce.tick_size, tag: tag(),
    }));
    await wired(1, async () => {
        assert.equal(e2.error_type, 'TokenException', `rejected with ${JSON.stringify(e2)}`);
        assert.equal(bad.wire.at(-1).status, 403);
    }, bad);
});

test('MARKET without market_protection: InputException naming market protection', async () => {
    const e = await rejection('MARKET order without protection', kc.placeOrder('regular', {
        exchange: 'NFO', tradingsymbol: S.ce.tradingsymbol, transaction_type: 'BUY', quantity: NIFTY_LOT,
        product: 'NRML', order_type: 'MARKET', tag: tag(),
    }));
    await wired(1, async () => {
        assert.equal(e.error_type, 'InputException', `rejected with ${JSON.stringify(e)}`);
        assert.match(e.message, /market protection/i);
        assert.equal(kc.wire.at(-1).status, 400);
    });
});

test('quantity above the NIFTY freeze limit: refused naming the limit', async () => {
    const qty = NIFTY_LOT * (Math.floor(NIFTY_FREEZE / NIFTY_LOT) + 1); // 1820 > 1800, whole lots
    const before = (await call('getOrders', kc.getOrders())).length;
    const e = await rejection('order above freeze', kc.placeOrder('regular', {
        exchange: 'NFO', tradingsymbol: S.ce.tradingsymbol, transaction_type: 'BUY', quantity: qty,
        product: 'NRML', order_type: 'LIMIT', price: roundTick(S.quote.last_price * 0.8, S.ce.tick_size, true), tag: tag(),
    }));
    await wired(1, async () => {
        assert.ok(typeof e.error_type === 'string' && e.error_type.endsWith('Exception') && e.error_type !== 'NetworkException',
            `rejected with ${JSON.stringify(e)}`);
        assert.match(e.message, new RegExp(String(NIFTY_FREEZE)), 'the message names the freeze limit');
        assert.equal(kc.wire.at(-1).status, 400);
    });
    const afterOrders = await call('getOrders', kc.getOrders());
    assert.equal(afterOrders.length, before, 'a pre-exchange refusal never reaches the order book');
});

test('more than 10 placeOrder calls in a second: at least one 429', async () => {
    await sleep(1100); // a fresh one-second window
    const price = roundTick(Math.max(S.quote.lower_circuit_limit, S.quote.last_price * 0.8, S.ce.tick_size), S.ce.tick_size, true);
    const n = 14;
    const from = kc.wire.length;
    const results = await Promise.allSettled(Array.from({ length: n }, () => kc.placeOrder('regular', {
        exchange: 'NFO', tradingsymbol: S.ce.tradingsymbol, transaction_type: 'BUY', quantity: NIFTY_LOT,
        product: 'NRML', order_type: 'LIMIT', price, tag: tag(),
    })));
    const wire = kc.wire.slice(from);
    const statuses = wire.map((w) => w.status);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const limited = wire.filter((w) => w.status === 429);
    await wired(n, async () => {
        assert.ok(limited.length >= 1, `no 429 among ${n} concurrent placements: statuses ${statuses}`);
        assert.ok(ok.length >= 1 && ok.length <= 10, `${ok.length} placements accepted within one second`);
        for (const r of ok) notDataException(r.value, 'placeOrder');
        for (const r of results.filter((x) => x.status === 'rejected')) {
            assert.ok(typeof r.reason?.error_type === 'string', `rejection ${JSON.stringify(r.reason)}`);
        }
        // A 429 should carry a Kite error body; otherwise this client can only say NetworkException.
        for (const w of limited) {
            assert.match(w.type ?? '', /application\/json/, '429 answered as JSON');
            const body = typeof w.resp === 'string' ? JSON.parse(w.resp) : w.resp;
            assert.equal(body.status, 'error');
            assert.ok(typeof body.error_type === 'string' && body.error_type.length > 0, `429 body ${JSON.stringify(body)}`);
        }
    });
    // Tidy up what rests, at a pace the limiter accepts.
    await sleep(1100);
    for (const r of ok) {
        await kc.cancelOrder('regular', r.value.order_id).catch(() => {});
        await sleep(120);
    }
});

// ---------------------------------------------------------------- liveness

test('KiteTicker stays connected across heartbeats (idle stream, ~3.5 s)', async () => {
    assert.ok(S.ticker, 'needs the ticker test');
    const t = S.ticker;
    assert.ok(t.connected(), 'still connected after the REST tests');
    assert.equal(S.disconnects, 0, 'no disconnect so far');
    t.unsubscribe([Number(S.ce.instrument_token)]);
    await sleep(500);
    const from = Date.now();
    const start = S.frames.length;
    await sleep(3500);
    assert.ok(t.connected(), 'connected after 3.5 s idle');
    assert.equal(S.disconnects, 0, 'no disconnect while idle');
    const frames = S.frames.slice(start);
    const beats = frames.filter((f) => f.len <= 2);
    assert.ok(beats.length >= 1, `heartbeats while idle: frames ${JSON.stringify(frames.map((f) => f.len))}`);
    let prev = from;
    for (const f of frames) { assert.ok(f.t - prev < 3000, `a ${f.t - prev} ms gap between data frames`); prev = f.t; }
    assert.ok(Date.now() - prev < 3000, 'a data frame in the last 3 s');
    const lateTicks = S.ticks.filter((x) => x.t > from);
    assert.equal(lateTicks.length, 0, 'no ticks after unsubscribing');
});

after(() => {
    if (process.env.LEGATO_CONF_VERBOSE) {
        console.log(lastWire(kc, kc.wire.length));
        console.log('frames', S.frames.length, 'heartbeats', S.frames.filter((f) => f.len <= 2).length,
            'ticks', S.ticks.length, 'order_updates', JSON.stringify(S.updates.map((u) => [u.order_id, u.status])));
    }
    if (S.ticker) {
        S.closing = true;
        S.ticker.disconnect();
    }
});
