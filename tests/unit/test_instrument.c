/*
 * test_instrument.c — unit tests for the instrument master (src/core/instrument.c):
 * the freeze table parser (and data/freeze_qty.csv itself), the token index, add's
 * validation, the Kite instruments-CSV loader on Zerodha's mock file and on a
 * handmade 2026 file, every row error with its exact message (each leaving the
 * table as it was), exact decimal-to-paise conversion, civil dates and ticks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legato/instrument.h"

#ifndef LG_TEST_DATA
#error "LG_TEST_DATA (the tests/data directory) must be defined"
#endif

#define HEADER                                                                         \
    "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,"     \
    "tick_size,lot_size,instrument_type,segment,exchange\n"
#define GOOD_ROW "10240258,40001,NIFTY26AUG24000CE,NIFTY,412.35,2026-08-25,24000.0,0.05,65,CE,NFO-OPT,NFO\n"

/* Underlyings of the mock file (old lots) plus the index ones. */
static const char mock_freeze[] = "# test table\n"
                                  "underlying,freeze_qty\n"
                                  "BANKNIFTY,900\n"
                                  "ADANIPORTS,25000\n"
                                  "INDIACEM,35000\n"
                                  "INDIANB,20000\n"
                                  "NIFTY,1800\n";

static char *read_file(const char *name, size_t *len) {
    char rel[256];
    snprintf(rel, sizeof rel, "%s", name);
    return lg_test_read(rel, len);
}

static void freeze_from(lg_freeze_table_t *t, const char *text) {
    char err[160];
    int rc = lg_freeze_table_parse(t, text, strlen(text), err, sizeof err);
    if (rc != LG_OK) fail_msg("freeze table: %s", err);
}

/* ---- freeze table -------------------------------------------------------------------- */

static void test_freeze_data_file(void **state) {
    (void)state;
    size_t len;
    char *text = read_file("../../data/freeze_qty.csv", &len);
    lg_freeze_table_t t;
    char err[160] = "x";
    assert_int_equal(lg_freeze_table_parse(&t, text, len, err, sizeof err), LG_OK);
    assert_string_equal(err, "");
    assert_int_equal(t.n, 5);
    assert_int_equal(lg_freeze_lookup(&t, "NIFTY"), 1800);
    assert_int_equal(lg_freeze_lookup(&t, "BANKNIFTY"), 600);
    assert_int_equal(lg_freeze_lookup(&t, "FINNIFTY"), 1800);
    assert_int_equal(lg_freeze_lookup(&t, "MIDCPNIFTY"), 2800);
    assert_int_equal(lg_freeze_lookup(&t, "NIFTYNXT50"), 600);
    assert_int_equal(lg_freeze_lookup(&t, "SENSEX"), 0);
    assert_int_equal(lg_freeze_lookup(&t, "nifty"), 0);
    assert_int_equal(lg_freeze_lookup(&t, "NIFT"), 0);
    assert_int_equal(lg_freeze_lookup(&t, ""), 0);
    free(text);
}

static void test_freeze_forms(void **state) {
    (void)state;
    static const char text[] = "\r\n# comment only\r\n"
                               "  NIFTY , 1800  # trailing comment\r\n"
                               "\t\n"
                               "M&M,2000\n"
                               "BAJAJ-AUTO,1500"; /* no final newline */
    lg_freeze_table_t t;
    freeze_from(&t, text);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.rows[0].underlying, "NIFTY");
    assert_int_equal(t.rows[0].freeze, 1800);
    assert_int_equal(lg_freeze_lookup(&t, "M&M"), 2000);
    assert_int_equal(lg_freeze_lookup(&t, "BAJAJ-AUTO"), 1500);
    freeze_from(&t, "");
    assert_int_equal(t.n, 0);
    freeze_from(&t, "Underlying,Freeze Qty\n");
    assert_int_equal(t.n, 0);
    /* A table of exactly LG_FREEZE_MAX_ROWS rows fits. */
    char big[LG_FREEZE_MAX_ROWS * 16 + 1];
    size_t o = 0;
    for (int i = 0; i < LG_FREEZE_MAX_ROWS; i++) {
        o += (size_t)snprintf(big + o, sizeof big - o, "U%d,%d\n", i, 100 + i);
    }
    freeze_from(&t, big);
    assert_int_equal(t.n, LG_FREEZE_MAX_ROWS);
    assert_int_equal(lg_freeze_lookup(&t, "U63"), 163);
}

static void freeze_bad(const char *text, size_t len, int want, const char *msg) {
    lg_freeze_table_t t, snap;
    freeze_from(&t, "NIFTY,1800\nBANKNIFTY,600\n");
    memcpy(&snap, &t, sizeof snap);
    char err[160] = "";
    int rc = lg_freeze_table_parse(&t, text, len, err, sizeof err);
    if (rc != want) fail_msg("freeze parse of '%s' = %s, want %s", text, lg_errname(rc), lg_errname(want));
    assert_string_equal(err, msg);
    assert_memory_equal(&t, &snap, sizeof t);
}

#define FREEZE_BAD(text, want, msg) freeze_bad(text, sizeof(text) - 1, want, msg)

static void test_freeze_errors(void **state) {
    (void)state;
    FREEZE_BAD("underlying,freeze_qty\nNIFTY,abc\n", LG_EPARSE,
               "freeze line 2: freeze_qty 'abc' must be a whole number in 1..1000000000");
    FREEZE_BAD("NIFTY,0\n", LG_EPARSE,
               "freeze line 1: freeze_qty '0' must be a whole number in 1..1000000000");
    FREEZE_BAD("NIFTY,1800\nBANKNIFTY,-600\n", LG_EPARSE,
               "freeze line 2: freeze_qty '-600' must be a whole number in 1..1000000000");
    FREEZE_BAD("NIFTY,1800x\n", LG_EPARSE,
               "freeze line 1: freeze_qty '1800x' must be a whole number in 1..1000000000");
    FREEZE_BAD("NIFTY,1800.0\n", LG_EPARSE,
               "freeze line 1: freeze_qty '1800.0' must be a whole number in 1..1000000000");
    FREEZE_BAD("NIFTY,1000000001\n", LG_EPARSE,
               "freeze line 1: freeze_qty '1000000001' must be a whole number in 1..1000000000");
    FREEZE_BAD("# c\nNIFTY 1800\n", LG_EPARSE,
               "freeze line 2: expected 'underlying,freeze_qty', got 'NIFTY 1800'");
    FREEZE_BAD("NIFTY,1800,x\n", LG_EPARSE,
               "freeze line 1: expected 'underlying,freeze_qty', got 'NIFTY,1800,x'");
    FREEZE_BAD("nifty,1800\n", LG_EPARSE,
               "freeze line 1: underlying 'nifty' must be 1..15 of A-Z 0-9 & -");
    FREEZE_BAD(",1800\n", LG_EPARSE, "freeze line 1: underlying '' must be 1..15 of A-Z 0-9 & -");
    FREEZE_BAD("ABCDEFGHIJKLMNOP,1800\n", LG_EPARSE,
               "freeze line 1: underlying 'ABCDEFGHIJKLMNOP' must be 1..15 of A-Z 0-9 & -");
    FREEZE_BAD("NIFTY,1800\nBANKNIFTY,600\nNIFTY,1700\n", LG_EPARSE,
               "freeze line 3: underlying 'NIFTY' appears twice");
    FREEZE_BAD("NIFTY,18\0" "00\n", LG_EPARSE, "freeze line 1: NUL byte");
    /* A second header-like line is an error, not a header. */
    FREEZE_BAD("underlying,freeze_qty\nunderlying,freeze_qty\n", LG_EPARSE,
               "freeze line 2: freeze_qty 'freeze_qty' must be a whole number in 1..1000000000");
    char big[(LG_FREEZE_MAX_ROWS + 1) * 16 + 1];
    size_t o = 0;
    for (int i = 0; i <= LG_FREEZE_MAX_ROWS; i++) {
        o += (size_t)snprintf(big + o, sizeof big - o, "U%d,%d\n", i, 100 + i);
    }
    freeze_bad(big, o, LG_ENOSPACE, "freeze line 65: more than 64 rows");
    /* err may be absent. */
    lg_freeze_table_t t;
    assert_int_equal(lg_freeze_table_parse(&t, "x,1\n", 4, NULL, 0), LG_EPARSE);
}

/* ---- table and index ----------------------------------------------------------------- */

static lg_instrument_t mk(uint32_t token, const char *sym, lg_kind_t kind, lg_qty_t lot) {
    lg_instrument_t ins;
    memset(&ins, 0, sizeof ins);
    ins.token = token;
    lg_strlcpy(ins.symbol, sym, sizeof ins.symbol);
    lg_strlcpy(ins.underlying, "NIFTY", sizeof ins.underlying);
    ins.expiry_day = 20690;
    ins.strike = kind == LG_KIND_FUT ? 0 : 2400000;
    ins.kind = kind;
    ins.lot = lot;
    ins.tick = 5;
    ins.freeze = 1800;
    return ins;
}

static void test_init_sizes(void **state) {
    (void)state;
    lg_instruments_t m;
    assert_int_equal(lg_instruments_init(&m, 0), LG_EINVAL);
    assert_null(m.items);
    assert_int_equal(lg_instruments_init(&m, 1), LG_OK);
    assert_int_equal(m.cap, 1);
    assert_int_equal(m.nslots, 2);
    assert_int_equal(m.n, 0);
    lg_instruments_free(&m);
    assert_null(m.items);
    assert_int_equal(m.cap, 0);
    assert_int_equal(lg_instruments_init(&m, 10), LG_OK);
    assert_int_equal(m.nslots, 32);
    assert_null(lg_instruments_find(&m, 1));
    assert_null(lg_instruments_find_symbol(&m, "X"));
    lg_instruments_free(&m);
    assert_int_equal(lg_instruments_init(&m, 16), LG_OK);
    assert_int_equal(m.nslots, 32);
    lg_instruments_free(&m);
    assert_int_equal(lg_instruments_init(&m, 17), LG_OK);
    assert_int_equal(m.nslots, 64);
    lg_instruments_free(&m);
    lg_instruments_free(&m); /* freeing twice is harmless */
}

static void add_bad(lg_instruments_t *m, const lg_instrument_t *ins, int want) {
    uint32_t n = m->n;
    uint32_t *slots = malloc(m->nslots * sizeof *slots);
    assert_non_null(slots);
    memcpy(slots, m->slots, m->nslots * sizeof *slots);
    int rc = lg_instruments_add(m, ins);
    if (rc != want) fail_msg("add(%u) = %s, want %s", ins->token, lg_errname(rc), lg_errname(want));
    assert_int_equal(m->n, n);
    assert_memory_equal(m->slots, slots, m->nslots * sizeof *slots);
    free(slots);
}

static void test_add_validation(void **state) {
    (void)state;
    lg_instruments_t m;
    assert_int_equal(lg_instruments_init(&m, 3), LG_OK);
    lg_instrument_t a = mk(100, "NIFTY26AUG24000CE", LG_KIND_CE, 65);
    assert_int_equal(lg_instruments_add(&m, &a), LG_OK);
    lg_instrument_t b = mk(200, "NIFTY26AUG24000PE", LG_KIND_PE, 65);

    lg_instrument_t x = b;
    x.lot = 0;
    add_bad(&m, &x, LG_EQTY);
    x.lot = -65;
    add_bad(&m, &x, LG_EQTY);
    x = b;
    x.freeze = 64; /* below the lot */
    add_bad(&m, &x, LG_EQTY);
    x = b;
    x.tick = 0;
    add_bad(&m, &x, LG_EPRICE);
    x.tick = -5;
    add_bad(&m, &x, LG_EPRICE);
    x = b;
    x.strike = -1;
    add_bad(&m, &x, LG_EPRICE);
    x = b;
    x.token = 100; /* duplicate */
    add_bad(&m, &x, LG_EINVAL);
    x = b;
    memset(x.symbol, 'A', sizeof x.symbol); /* no terminator */
    add_bad(&m, &x, LG_EINVAL);
    x = b;
    x.symbol[0] = '\0';
    add_bad(&m, &x, LG_EINVAL);
    x = b;
    memset(x.underlying, 'N', sizeof x.underlying);
    add_bad(&m, &x, LG_EINVAL);
    x = b;
    x.underlying[0] = '\0';
    add_bad(&m, &x, LG_EINVAL);
    x = b;
    x.kind = (lg_kind_t)0;
    add_bad(&m, &x, LG_EINVAL);
    x.kind = (lg_kind_t)4;
    add_bad(&m, &x, LG_EINVAL);

    x = b;
    x.freeze = x.lot; /* freeze == lot is fine */
    assert_int_equal(lg_instruments_add(&m, &x), LG_OK);
    lg_instrument_t c = mk(300, "NIFTY26AUGFUT", LG_KIND_FUT, 65);
    assert_int_equal(lg_instruments_add(&m, &c), LG_OK);
    lg_instrument_t d = mk(400, "NIFTY26AUG24100CE", LG_KIND_CE, 65);
    add_bad(&m, &d, LG_EPOOL_FULL);
    assert_int_equal(m.n, 3);

    const lg_instrument_t *f = lg_instruments_find(&m, 200);
    assert_non_null(f);
    assert_string_equal(f->symbol, "NIFTY26AUG24000PE");
    assert_int_equal(f->freeze, 65);
    assert_ptr_equal(lg_instruments_find_symbol(&m, "NIFTY26AUGFUT"), lg_instruments_find(&m, 300));
    assert_null(lg_instruments_find(&m, 400));
    assert_null(lg_instruments_find_symbol(&m, "NIFTY26AUG24100CE"));
    assert_null(lg_instruments_find_symbol(&m, "NIFTY26AUGFU"));
    assert_null(lg_instruments_find_symbol(&m, ""));
    lg_instruments_free(&m);
}

/* Kite tokens share their low byte (the segment): the index must still work. */
static void test_index_many(void **state) {
    (void)state;
    enum { N = 5000 };
    lg_instruments_t m;
    assert_int_equal(lg_instruments_init(&m, N), LG_OK);
    assert_int_equal(m.nslots, 16384);
    for (uint32_t i = 0; i < N; i++) {
        char sym[LG_SYMBOL_MAX];
        snprintf(sym, sizeof sym, "NIFTY26AUG%uCE", 10000 + i);
        lg_instrument_t ins = mk(((40000 + i) << 8) | 2, sym, LG_KIND_CE, 65);
        assert_int_equal(lg_instruments_add(&m, &ins), LG_OK);
    }
    assert_int_equal(m.n, N);
    for (uint32_t i = 0; i < N; i++) {
        const lg_instrument_t *f = lg_instruments_find(&m, ((40000 + i) << 8) | 2);
        assert_non_null(f);
        assert_ptr_equal(f, &m.items[i]);
        assert_null(lg_instruments_find(&m, ((40000 + i) << 8) | 1));
    }
    assert_null(lg_instruments_find(&m, 0));
    assert_null(lg_instruments_find(&m, UINT32_MAX));
    /* The hash spreads them: no long runs of occupied slots (probe chains stay short). */
    uint32_t run = 0, longest = 0;
    for (uint32_t k = 0; k < m.nslots; k++) {
        run = m.slots[k] != 0 ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    if (longest > 64) fail_msg("longest run of occupied slots: %u", longest);
    const lg_instrument_t *s = lg_instruments_find_symbol(&m, "NIFTY26AUG14999CE");
    assert_non_null(s);
    assert_int_equal(s->token, ((40000u + 4999) << 8) | 2);
    lg_instruments_free(&m);
}

/* ---- CSV: the mock file and the handmade one ----------------------------------------- */

static void test_load_mock(void **state) {
    (void)state;
    size_t len;
    char *csv = read_file("instruments_all.csv", &len);
    lg_freeze_table_t fz;
    freeze_from(&fz, mock_freeze);
    lg_instruments_t m;
    assert_int_equal(lg_instruments_init(&m, 64), LG_OK);
    uint32_t skipped = 999;
    char err[200] = "x";
    int rc = lg_instruments_load_csv(&m, csv, len, &fz, &skipped, err, sizeof err);
    if (rc != LG_OK) fail_msg("load: %s", err);
    assert_string_equal(err, "");
    assert_int_equal(m.n, 25);
    assert_int_equal(skipped, 74); /* 55 NSE + 19 BSE rows */

    const lg_instrument_t *i = lg_instruments_find(&m, 12073986);
    assert_non_null(i);
    assert_string_equal(i->symbol, "BANKNIFTY18JAN23500CE");
    assert_string_equal(i->underlying, "BANKNIFTY"); /* derived: the name column is empty */
    assert_int_equal(i->kind, LG_KIND_CE);
    assert_int_equal(i->strike, 2350000);
    assert_int_equal(i->tick, 5);
    assert_int_equal(i->lot, 40);
    assert_int_equal(i->freeze, 900);
    assert_int_equal(i->expiry_day, 17556); /* 2018-01-25 */

    i = lg_instruments_find_symbol(&m, "ADANIPORTS17DEC490PE");
    assert_non_null(i);
    assert_int_equal(i->token, 13693186);
    assert_string_equal(i->underlying, "ADANIPORTS");
    assert_int_equal(i->kind, LG_KIND_PE);
    assert_int_equal(i->strike, 49000);
    assert_int_equal(i->lot, 2500);
    assert_int_equal(i->freeze, 25000);
    assert_int_equal(i->expiry_day, 17528); /* 2017-12-28 */

    i = lg_instruments_find_symbol(&m, "INDIANB17DEC150CE");
    assert_non_null(i);
    assert_int_equal(i->token, 21231106);
    assert_int_equal(i->strike, 15000);
    assert_int_equal(i->lot, 2000);
    assert_null(lg_instruments_find(&m, 3813889)); /* an NSE equity: skipped */
    assert_null(lg_instruments_find_symbol(&m, "CENTRALBK-BE"));

    /* Without ADANIPORTS in the freeze table: an error naming it, nothing loaded. */
    lg_instruments_free(&m);
    assert_int_equal(lg_instruments_init(&m, 64), LG_OK);
    freeze_from(&fz, "BANKNIFTY,900\nINDIACEM,35000\nINDIANB,20000\n");
    skipped = 999;
    rc = lg_instruments_load_csv(&m, csv, len, &fz, &skipped, err, sizeof err);
    assert_int_equal(rc, LG_EPARSE);
    assert_string_equal(err, "instruments line 9: no freeze quantity for underlying 'ADANIPORTS' "
                             "(ADANIPORTS17DEC490PE)");
    assert_int_equal(m.n, 0);
    assert_int_equal(skipped, 999);
    assert_null(lg_instruments_find(&m, 12073986)); /* line 8 was taken back */
    lg_instruments_free(&m);
    free(csv);
}

static void test_load_2026(void **state) {
    (void)state;
    size_t len;
    char *csv = read_file("instruments_nfo_2026.csv", &len);
    size_t flen;
    char *ftext = read_file("../../data/freeze_qty.csv", &flen);
    lg_freeze_table_t fz;
    assert_int_equal(lg_freeze_table_parse(&fz, ftext, flen, NULL, 0), LG_OK);
    lg_instruments_t m;
    assert_int_equal(lg_instruments_init(&m, 8), LG_OK);
    uint32_t skipped = 0;
    char err[200];
    int rc = lg_instruments_load_csv(&m, csv, len, &fz, &skipped, err, sizeof err);
    if (rc != LG_OK) fail_msg("load: %s", err);
    assert_int_equal(m.n, 8); /* exactly the capacity */
    assert_int_equal(skipped, 3);

    const lg_instrument_t *i = lg_instruments_find(&m, 10240258);
    assert_non_null(i);
    assert_string_equal(i->symbol, "NIFTY26AUG24000CE");
    assert_string_equal(i->underlying, "NIFTY");
    assert_int_equal(i->kind, LG_KIND_CE);
    assert_int_equal(i->strike, 2400000);
    assert_int_equal(i->lot, 65);
    assert_int_equal(i->tick, 5);
    assert_int_equal(i->freeze, 1800);
    assert_int_equal(i->expiry_day, 20690); /* 2026-08-25 */

    i = lg_instruments_find_symbol(&m, "NIFTY2681124500CE");
    assert_non_null(i);
    assert_int_equal(i->expiry_day, 20676); /* weekly, 2026-08-11 */
    assert_int_equal(i->strike, 2450000);

    i = lg_instruments_find(&m, 10241026);
    assert_non_null(i);
    assert_string_equal(i->symbol, "NIFTY26AUGFUT");
    assert_int_equal(i->kind, LG_KIND_FUT);
    assert_int_equal(i->strike, 0);
    assert_int_equal(i->lot, 65);

    i = lg_instruments_find(&m, 12801026);
    assert_non_null(i);
    assert_string_equal(i->symbol, "BANKNIFTY26AUGFUT");
    assert_string_equal(i->underlying, "BANKNIFTY");
    assert_int_equal(i->kind, LG_KIND_FUT);
    assert_int_equal(i->lot, 30);
    assert_int_equal(i->freeze, 600);

    i = lg_instruments_find(&m, 12800514); /* empty name: derived */
    assert_non_null(i);
    assert_string_equal(i->underlying, "BANKNIFTY");
    assert_int_equal(i->kind, LG_KIND_PE);
    assert_int_equal(i->strike, 5200000);

    i = lg_instruments_find_symbol(&m, "BANKNIFTY26SEP52500CE");
    assert_non_null(i);
    assert_int_equal(i->expiry_day, 20725); /* 2026-09-29 */
    assert_null(lg_instruments_find(&m, 408065));    /* NSE */
    assert_null(lg_instruments_find(&m, 256265));    /* INDICES */
    assert_null(lg_instruments_find(&m, 213405701)); /* BFO */

    /* Loading again: every token is a duplicate; the table stays as it was. */
    rc = lg_instruments_load_csv(&m, csv, len, &fz, NULL, err, sizeof err);
    assert_int_equal(rc, LG_EPARSE);
    assert_string_equal(err, "instruments line 2: instrument_token 10240258 appears twice");
    assert_int_equal(m.n, 8);
    lg_instruments_free(&m);

    /* One short of room: LG_EPOOL_FULL on the eighth NFO row, nothing kept. */
    assert_int_equal(lg_instruments_init(&m, 7), LG_OK);
    rc = lg_instruments_load_csv(&m, csv, len, &fz, NULL, err, sizeof err);
    assert_int_equal(rc, LG_EPOOL_FULL);
    assert_string_equal(err, "instruments line 9: instrument table full (capacity 7)");
    assert_int_equal(m.n, 0);
    assert_null(lg_instruments_find(&m, 10240258));
    lg_instruments_free(&m);
    free(csv);
    free(ftext);
}

/* Loads text into a fresh table (capacity 8) with the mock freeze table. */
static int load_text(lg_instruments_t *m, const char *text, uint32_t *skipped, char *err,
                     size_t errcap) {
    lg_freeze_table_t fz;
    freeze_from(&fz, mock_freeze);
    assert_int_equal(lg_instruments_init(m, 8), LG_OK);
    return lg_instruments_load_csv(m, text, strlen(text), &fz, skipped, err, errcap);
}

static void test_csv_forms(void **state) {
    (void)state;
    lg_instruments_t m;
    uint32_t skipped = 7;
    char err[200];
    /* Empty input, header only, blank lines, no header, BOM, CRLF, quoted fields. */
    assert_int_equal(load_text(&m, "", &skipped, err, sizeof err), LG_OK);
    assert_int_equal(m.n, 0);
    assert_int_equal(skipped, 0);
    lg_instruments_free(&m);
    assert_int_equal(load_text(&m, HEADER, &skipped, err, sizeof err), LG_OK);
    assert_int_equal(m.n, 0);
    lg_instruments_free(&m);
    static const char text[] =
        "\xEF\xBB\xBF\r\n"
        "\"100\",\"1\",\"NIFTY26AUG24050CE\",\"NIFTY\",\"1.5\",\"2026-08-25\",\"24050.50\","
        "\"0.050\",\"65\",\"CE\",\"NFO-OPT\",\"NFO\"\r\n"
        "\r\n"
        "200,2,NIFTY26AUG24100PE,NIFTY,0,2026-08-25,24100,0.1,65,PE,NFO-OPT,NFO\r\n"
        "300,3,X,\"A, \"\"quoted\"\" name\",0,,0,0.05,1,EQ,NSE,NSE\r\n"
        "500,5,\"NIFTY26AUG\"\"Q\"\"CE\",\"NIFTY\",0,2026-08-25,1,1,65,CE,NFO-OPT,NFO\n"
        "400,4,NIFTY26AUG100.5CE,,0,2026-02-28,100.5,1,65,CE,NFO-OPT,NFO";
    int rc = load_text(&m, text, &skipped, err, sizeof err);
    if (rc != LG_OK) fail_msg("%s", err);
    assert_int_equal(m.n, 4);
    assert_int_equal(skipped, 1);
    assert_non_null(lg_instruments_find_symbol(&m, "NIFTY26AUG\"Q\"CE")); /* "" unescaped */
    const lg_instrument_t *i = lg_instruments_find(&m, 100);
    assert_non_null(i);
    assert_int_equal(i->strike, 2405050);
    assert_int_equal(i->tick, 5);
    i = lg_instruments_find(&m, 200);
    assert_non_null(i);
    assert_int_equal(i->strike, 2410000);
    assert_int_equal(i->tick, 10);
    i = lg_instruments_find(&m, 400);
    assert_non_null(i);
    assert_string_equal(i->underlying, "NIFTY");
    assert_int_equal(i->strike, 10050);
    assert_int_equal(i->tick, 100);
    assert_int_equal(i->expiry_day, lg_days_from_civil(2026, 2, 28));
    lg_instruments_free(&m);
}

/* One bad row after a good one: the exact error, and the good row taken back. */
static void csv_bad(const char *row, int want, const char *msg) {
    char text[1024];
    snprintf(text, sizeof text, HEADER GOOD_ROW "%s", row);
    lg_instruments_t m;
    uint32_t skipped = 12345;
    char err[200] = "";
    int rc = load_text(&m, text, &skipped, err, sizeof err);
    if (rc != want) fail_msg("load of '%s' = %s (%s), want %s", row, lg_errname(rc), err, lg_errname(want));
    if (strcmp(err, msg) != 0) fail_msg("error\n  got  '%s'\n  want '%s'", err, msg);
    assert_int_equal(m.n, 0);
    assert_int_equal(skipped, 12345);
    assert_null(lg_instruments_find(&m, 10240258));
    for (uint32_t s = 0; s < m.nslots; s++) assert_int_equal(m.slots[s], 0);
    lg_instruments_free(&m);
}

#define ROW(tok, sym, name, expiry, strike, tick, lot, type, seg, exch)                  \
    tok ",1," sym "," name ",0.0," expiry "," strike "," tick "," lot "," type "," seg "," \
        exch "\n"
#define OPT(expiry, strike, tick, lot) \
    ROW("200", "NIFTY26AUG24100CE", "NIFTY", expiry, strike, tick, lot, "CE", "NFO-OPT", "NFO")

static void test_csv_row_errors(void **state) {
    (void)state;
    csv_bad(OPT("2026-08-25", "24100.0", "0.05", "0"), LG_EPARSE,
            "instruments line 3: lot_size '0' must be > 0");
    csv_bad(OPT("2026-08-25", "24100.0", "0.05", "-65"), LG_EPARSE,
            "instruments line 3: lot_size '-65' must be > 0");
    csv_bad(OPT("2026-08-25", "24100.0", "0.05", "6S"), LG_EPARSE,
            "instruments line 3: lot_size '6S' is not a whole number");
    csv_bad(OPT("2026-08-25", "24100.0", "0.05", "65.0"), LG_EPARSE,
            "instruments line 3: lot_size '65.0' is not a whole number");
    csv_bad(OPT("2026-08-25", "24100.0", "0.05", ""), LG_EPARSE,
            "instruments line 3: lot_size '' is not a whole number");
    csv_bad(OPT("2026-08-25", "24100.0", "0", "65"), LG_EPARSE,
            "instruments line 3: tick_size '0' must be > 0");
    csv_bad(OPT("2026-08-25", "24100.0", "0.0025", "65"), LG_EPARSE,
            "instruments line 3: tick_size '0.0025' is not a whole number of paise");
    csv_bad(OPT("2026-08-25", "24100.0", "5e-2", "65"), LG_EPARSE,
            "instruments line 3: tick_size '5e-2' is not a decimal number");
    csv_bad(OPT("2026-08-25", "-24100.0", "0.05", "65"), LG_EPARSE,
            "instruments line 3: strike '-24100.0' must be >= 0");
    csv_bad(OPT("2026-08-25", "24,100", "0.05", "65"), LG_EPARSE,
            "instruments line 3: expected 12 fields, found 13");
    csv_bad(OPT("2026-08-25", "", "0.05", "65"), LG_EPARSE,
            "instruments line 3: strike '' is not a decimal number");
    csv_bad(OPT("2026-08-25", "24100.", "0.05", "65"), LG_EPARSE,
            "instruments line 3: strike '24100.' is not a decimal number");
    csv_bad(OPT("2026-08-25", ".5", "0.05", "65"), LG_EPARSE,
            "instruments line 3: strike '.5' is not a decimal number");
    csv_bad(OPT("2026-08-25", "1.2.3", "0.05", "65"), LG_EPARSE,
            "instruments line 3: strike '1.2.3' is not a decimal number");
    csv_bad(OPT("2026-08-25", "24100.005", "0.05", "65"), LG_EPARSE,
            "instruments line 3: strike '24100.005' is not a whole number of paise");
    csv_bad(OPT("2026-08-25", "1234567890123456", "0.05", "65"), LG_EPARSE,
            "instruments line 3: strike '1234567890123456' is not a decimal number");
    csv_bad(OPT("2026-02-29", "24100.0", "0.05", "65"), LG_EPARSE,
            "instruments line 3: expiry '2026-02-29' is not a YYYY-MM-DD date");
    csv_bad(OPT("2026/08/25", "24100.0", "0.05", "65"), LG_EPARSE,
            "instruments line 3: expiry '2026/08/25' is not a YYYY-MM-DD date");
    csv_bad(OPT("2026-13-01", "24100.0", "0.05", "65"), LG_EPARSE,
            "instruments line 3: expiry '2026-13-01' is not a YYYY-MM-DD date");
    csv_bad(OPT("26-08-25", "24100.0", "0.05", "65"), LG_EPARSE,
            "instruments line 3: expiry '26-08-25' is not a YYYY-MM-DD date");
    csv_bad(OPT("", "24100.0", "0.05", "65"), LG_EPARSE,
            "instruments line 3: expiry '' is not a YYYY-MM-DD date");
    csv_bad(ROW("abc", "NIFTY26AUG24100CE", "NIFTY", "2026-08-25", "24100.0", "0.05", "65", "CE",
                "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: instrument_token 'abc' is not a 32-bit unsigned integer");
    csv_bad(ROW("4294967296", "NIFTY26AUG24100CE", "NIFTY", "2026-08-25", "24100.0", "0.05", "65",
                "CE", "NFO-OPT", "NFO"),
            LG_EPARSE,
            "instruments line 3: instrument_token '4294967296' is not a 32-bit unsigned integer");
    csv_bad(ROW("-5", "NIFTY26AUG24100CE", "NIFTY", "2026-08-25", "24100.0", "0.05", "65", "CE",
                "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: instrument_token '-5' is not a 32-bit unsigned integer");
    csv_bad(ROW("200", "", "NIFTY", "2026-08-25", "24100.0", "0.05", "65", "CE", "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: tradingsymbol '' must be 1..39 characters");
    csv_bad(ROW("200", "NIFTY26AUG24100CEXXXXXXXXXXXXXXXXXXXXXXX", "NIFTY", "2026-08-25",
                "24100.0", "0.05", "65", "CE", "NFO-OPT", "NFO"),
            LG_EPARSE,
            "instruments line 3: tradingsymbol 'NIFTY26AUG24100CEXXXXXXXXXXXXXXXXXXXXXXX' must be "
            "1..39 characters");
    csv_bad(ROW("200", "NIFTY26AUG24100CE", "NIFTYNIFTYNIFTYX", "2026-08-25", "24100.0", "0.05",
                "65", "CE", "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: name 'NIFTYNIFTYNIFTYX' must be 1..15 of A-Z 0-9 & -");
    csv_bad(ROW("200", "NIFTY26AUG24100CE", "Nifty", "2026-08-25", "24100.0", "0.05", "65", "CE",
                "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: name 'Nifty' must be 1..15 of A-Z 0-9 & -");
    csv_bad(ROW("200", "26AUG24100CE", "", "2026-08-25", "24100.0", "0.05", "65", "CE", "NFO-OPT",
                "NFO"),
            LG_EPARSE,
            "instruments line 3: name is empty and no underlying in tradingsymbol '26AUG24100CE'");
    csv_bad(ROW("200", "NIFTY", "", "2026-08-25", "24100.0", "0.05", "65", "CE", "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: name is empty and no underlying in tradingsymbol 'NIFTY'");
    csv_bad(ROW("200", "NIFTY_26AUG", "", "2026-08-25", "24100.0", "0.05", "65", "CE", "NFO-OPT",
                "NFO"),
            LG_EPARSE,
            "instruments line 3: name is empty and no underlying in tradingsymbol 'NIFTY_26AUG'");
    csv_bad(ROW("200", "NIFTY26AUG24100CE", "NIFTY", "2026-08-25", "24100.0", "0.05", "65", "FUT",
                "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: instrument_type 'FUT' is not CE or PE for segment NFO-OPT");
    csv_bad(ROW("200", "NIFTY26AUGFUT", "NIFTY", "2026-08-25", "0.0", "0.05", "65", "CE", "NFO-FUT",
                "NFO"),
            LG_EPARSE, "instruments line 3: instrument_type 'CE' is not FUT for segment NFO-FUT");
    csv_bad(ROW("200", "NIFTY26AUG24100CE", "NIFTY", "2026-08-25", "24100.0", "0.05", "65", "ce",
                "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: instrument_type 'ce' is not CE or PE for segment NFO-OPT");
    csv_bad(ROW("200", "NIFTY26AUG24100CE", "NIFTY", "2026-08-25", "24100.0", "0.05", "65", "CE",
                "NFO-OPT", "BFO"),
            LG_EPARSE, "instruments line 3: exchange 'BFO' must be NFO for segment NFO-OPT");
    csv_bad(ROW("200", "SENSEX26AUG81000CE", "SENSEX", "2026-08-25", "81000.0", "0.05", "20",
                "CE", "NFO-OPT", "NFO"),
            LG_EPARSE,
            "instruments line 3: no freeze quantity for underlying 'SENSEX' (SENSEX26AUG81000CE)");
    csv_bad(ROW("200", "NIFTY26AUG24100CE", "NIFTY", "2026-08-25", "24100.0", "0.05", "1850", "CE",
                "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: freeze quantity 1800 of NIFTY is below lot_size 1850");
    csv_bad(ROW("10240258", "NIFTY26AUG24100CE", "NIFTY", "2026-08-25", "24100.0", "0.05", "65",
                "CE", "NFO-OPT", "NFO"),
            LG_EPARSE, "instruments line 3: instrument_token 10240258 appears twice");
    csv_bad("200,1,NIFTY26AUG24100CE,NIFTY,0.0,2026-08-25,24100.0,0.05,65,CE,NFO-OPT\n", LG_EPARSE,
            "instruments line 3: expected 12 fields, found 11");
    csv_bad("200,1,NIFTY26AUG24100CE,\"NIFTY,0.0,2026-08-25,24100.0,0.05,65,CE,NFO-OPT,NFO\n",
            LG_EPARSE, "instruments line 3: unterminated or stray quote");
    csv_bad("200,1,NIFTY26AUG24100CE,\"NIFTY\"X,0.0,2026-08-25,24100.0,0.05,65,CE,NFO-OPT,NFO\n",
            LG_EPARSE, "instruments line 3: unterminated or stray quote");
    csv_bad(HEADER, LG_EPARSE, "instruments line 3: header line repeated");
    csv_bad("\n\n" OPT("2026-08-25", "24100.0", "0.05", "0"), LG_EPARSE,
            "instruments line 5: lot_size '0' must be > 0");
}

static void test_csv_header_and_nul(void **state) {
    (void)state;
    lg_instruments_t m;
    char err[200];
    static const char bad_header[] =
        "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,"
        "lot_size,tick_size,instrument_type,segment,exchange\n" GOOD_ROW;
    assert_int_equal(load_text(&m, bad_header, NULL, err, sizeof err), LG_EPARSE);
    assert_string_equal(err, "instruments line 1: header column 8 is 'lot_size', expected 'tick_size'");
    lg_instruments_free(&m);

    char text[512];
    int k = snprintf(text, sizeof text, "%s", HEADER GOOD_ROW);
    text[k - 20] = '\0'; /* a NUL inside the row */
    lg_freeze_table_t fz;
    freeze_from(&fz, mock_freeze);
    assert_int_equal(lg_instruments_init(&m, 8), LG_OK);
    assert_int_equal(lg_instruments_load_csv(&m, text, (size_t)k, &fz, NULL, err, sizeof err),
                     LG_EPARSE);
    assert_string_equal(err, "instruments line 2: NUL byte");
    assert_int_equal(m.n, 0);
    /* err may be absent; a short err buffer is cut, still terminated. */
    assert_int_equal(lg_instruments_load_csv(&m, text, (size_t)k, &fz, NULL, NULL, 0), LG_EPARSE);
    char small[12];
    assert_int_equal(lg_instruments_load_csv(&m, text, (size_t)k, &fz, NULL, small, sizeof small),
                     LG_EPARSE);
    assert_string_equal(small, "instruments");
    lg_instruments_free(&m);
}

/* A failed load keeps what an earlier load put in, index included. */
static void test_failed_load_keeps_earlier(void **state) {
    (void)state;
    lg_instruments_t m;
    char err[200];
    assert_int_equal(load_text(&m, HEADER GOOD_ROW, NULL, err, sizeof err), LG_OK);
    assert_int_equal(m.n, 1);
    uint32_t slots[64];
    assert_true(m.nslots <= 64);
    memcpy(slots, m.slots, m.nslots * sizeof *slots);
    lg_instrument_t first = m.items[0];
    lg_freeze_table_t fz;
    freeze_from(&fz, mock_freeze);
    static const char more[] =
        OPT("2026-08-25", "24100.0", "0.05", "65")
        ROW("300", "NIFTY26AUG24200CE", "NIFTY", "2026-08-25", "24200.0", "0.05", "65", "CE",
            "NFO-OPT", "NFO")
        ROW("400", "NIFTY26AUG24300CE", "NIFTY", "2026-08-25", "24300.0", "0.05", "x", "CE",
            "NFO-OPT", "NFO");
    assert_int_equal(lg_instruments_load_csv(&m, more, strlen(more), &fz, NULL, err, sizeof err),
                     LG_EPARSE);
    assert_string_equal(err, "instruments line 3: lot_size 'x' is not a whole number");
    assert_int_equal(m.n, 1);
    assert_memory_equal(m.slots, slots, m.nslots * sizeof *slots);
    assert_memory_equal(&m.items[0], &first, sizeof first);
    assert_null(lg_instruments_find(&m, 200));
    assert_null(lg_instruments_find(&m, 300));
    assert_non_null(lg_instruments_find(&m, 10240258));
    /* The same rows without the bad one load on top. */
    static const char good[] =
        OPT("2026-08-25", "24100.0", "0.05", "65")
        ROW("300", "NIFTY26AUG24200CE", "NIFTY", "2026-08-25", "24200.0", "0.05", "65", "CE",
            "NFO-OPT", "NFO");
    assert_int_equal(lg_instruments_load_csv(&m, good, strlen(good), &fz, NULL, err, sizeof err),
                     LG_OK);
    assert_int_equal(m.n, 3);
    assert_int_equal(lg_instruments_find(&m, 300)->strike, 2420000);
    lg_instruments_free(&m);
}

/* ---- dates and ticks -------------------------------------------------------------------- */

static void test_civil_dates(void **state) {
    (void)state;
    assert_int_equal(lg_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(lg_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(lg_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(lg_days_from_civil(2024, 2, 29), 19782);
    assert_int_equal(lg_days_from_civil(2026, 8, 3), 20668);
    assert_int_equal(lg_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(lg_days_from_civil(0, 3, 1), -719468);
    assert_int_equal(lg_days_from_civil(0, 1, 1), -719528);
    assert_int_equal(lg_days_from_civil(-1, 12, 31), -719529);
    assert_int_equal(lg_days_from_civil(-400, 1, 1), -719528 - 146097);
    int y, m, d;
    lg_civil_from_days(20690, &y, &m, &d);
    assert_int_equal(y, 2026);
    assert_int_equal(m, 8);
    assert_int_equal(d, 25);
    lg_civil_from_days(-1, &y, &m, &d);
    assert_int_equal(y, 1969);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
    lg_civil_from_days(-719468, &y, &m, &d);
    assert_int_equal(y, 0);
    assert_int_equal(m, 3);
    assert_int_equal(d, 1);
    lg_civil_from_days(-719529, &y, &m, &d);
    assert_int_equal(y, -1);
    assert_int_equal(m, 12);
    assert_int_equal(d, 31);
    lg_civil_from_days(-719528 - 146097, &y, &m, &d);
    assert_int_equal(y, -400);
    assert_int_equal(m, 1);
    assert_int_equal(d, 1);
    /* Every day from 1600 to 2400: consecutive, and back again. */
    int32_t first = lg_days_from_civil(1600, 1, 1), last = lg_days_from_civil(2400, 12, 31);
    int py = 1599, pm = 12, pd = 31;
    for (int32_t z = first; z <= last; z++) {
        lg_civil_from_days(z, &y, &m, &d);
        assert_int_equal(lg_days_from_civil(y, m, d), z);
        bool next_day = (y == py && m == pm && d == pd + 1);
        bool next_month = (y == py && m == pm + 1 && d == 1);
        bool next_year = (y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31);
        assert_true(next_day || next_month || next_year);
        if (m == 2 && d == 29) assert_true((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
        py = y;
        pm = m;
        pd = d;
    }
    assert_int_equal(last - first + 1, 801 * 365 + 195); /* 195 leap days in 1600..2400 */
}

static void test_price_on_tick(void **state) {
    (void)state;
    lg_instrument_t ins = mk(1, "NIFTY26AUG24000CE", LG_KIND_CE, 65);
    assert_true(lg_price_on_tick(&ins, 5));
    assert_true(lg_price_on_tick(&ins, 2350));
    assert_true(lg_price_on_tick(&ins, 41235));
    assert_false(lg_price_on_tick(&ins, 2352));
    assert_false(lg_price_on_tick(&ins, 1));
    assert_false(lg_price_on_tick(&ins, 0));
    assert_false(lg_price_on_tick(&ins, -5));
    ins.tick = 10;
    assert_true(lg_price_on_tick(&ins, 2419000));
    assert_false(lg_price_on_tick(&ins, 2418995));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freeze_data_file),
        cmocka_unit_test(test_freeze_forms),
        cmocka_unit_test(test_freeze_errors),
        cmocka_unit_test(test_init_sizes),
        cmocka_unit_test(test_add_validation),
        cmocka_unit_test(test_index_many),
        cmocka_unit_test(test_load_mock),
        cmocka_unit_test(test_load_2026),
        cmocka_unit_test(test_csv_forms),
        cmocka_unit_test(test_csv_row_errors),
        cmocka_unit_test(test_csv_header_and_nul),
        cmocka_unit_test(test_failed_load_keeps_earlier),
        cmocka_unit_test(test_civil_dates),
        cmocka_unit_test(test_price_on_tick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
