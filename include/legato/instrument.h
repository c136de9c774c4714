/*
 * instrument.h — the instrument master: NFO options and futures with their lot
 * size, tick size and exchange freeze quantity.
 *
 * Loaded at start-up from a Kite instruments CSV (GET /instruments) plus a
 * freeze-quantity table kept as data (data/freeze_qty.csv), because the exchange
 * revises freeze limits monthly and there is no API for them. Parsing works on a
 * buffer: reading the file is the shell's job. After loading the table is
 * read-only; lookups by token are O(1).
 */
#ifndef LEGATO_INSTRUMENT_H
#define LEGATO_INSTRUMENT_H

#include "legato/base.h"

typedef enum lg_kind { LG_KIND_CE = 1, LG_KIND_PE = 2, LG_KIND_FUT = 3 } lg_kind_t;

#define LG_SYMBOL_MAX 40
#define LG_UNDERLYING_MAX 16

typedef struct lg_instrument {
    uint32_t token;                       /* instrument_token */
    char symbol[LG_SYMBOL_MAX];           /* tradingsymbol, e.g. NIFTY26DEC24000CE */
    char underlying[LG_UNDERLYING_MAX];   /* name column, e.g. NIFTY */
    int32_t expiry_day;                   /* days since 1970-01-01 (UTC date) */
    lg_paise_t strike;                    /* 0 for futures */
    lg_kind_t kind;
    lg_qty_t lot;                         /* lot size in units, > 0 */
    lg_paise_t tick;                      /* tick size in paise, > 0 */
    lg_qty_t freeze;                      /* freeze quantity in units, >= lot */
} lg_instrument_t;

#define LG_FREEZE_MAX_ROWS 64

/* Freeze quantities per underlying, parsed from "underlying,freeze_qty" lines
 * ('#' comments and a header line allowed). */
typedef struct lg_freeze_table {
    struct {
        char underlying[LG_UNDERLYING_MAX];
        lg_qty_t freeze;
    } rows[LG_FREEZE_MAX_ROWS];
    uint32_t n;
} lg_freeze_table_t;

int lg_freeze_table_parse(lg_freeze_table_t *t, const char *text, size_t len, char *err,
                          size_t errcap);
/* 0 when the underlying is not in the table. */
lg_qty_t lg_freeze_lookup(const lg_freeze_table_t *t, const char *underlying);

typedef struct lg_instruments {
    lg_instrument_t *items; /* cap entries, n used */
    uint32_t n, cap;
    uint32_t *slots;        /* open-addressing token index: slot -> item index + 1 */
    uint32_t nslots;        /* power of two, >= 2 * cap */
} lg_instruments_t;

/* Allocates room for cap instruments (the only allocation). */
int lg_instruments_init(lg_instruments_t *m, uint32_t cap);
void lg_instruments_free(lg_instruments_t *m);
/* Validates (lot > 0, tick > 0, freeze >= lot, strike >= 0, token unique) then adds. */
int lg_instruments_add(lg_instruments_t *m, const lg_instrument_t *ins);
const lg_instrument_t *lg_instruments_find(const lg_instruments_t *m, uint32_t token);
const lg_instrument_t *lg_instruments_find_symbol(const lg_instruments_t *m,
                                                  const char *symbol);

/* Loads NFO-OPT and NFO-FUT rows of a Kite instruments CSV; other segments are
 * skipped and counted in *skipped (may be NULL). An option row whose underlying has
 * no freeze-quantity entry is an error naming the row. */
int lg_instruments_load_csv(lg_instruments_t *m, const char *csv, size_t len,
                            const lg_freeze_table_t *freeze, uint32_t *skipped, char *err,
                            size_t errcap);

/* Days since epoch for a civil date, and back. */
int32_t lg_days_from_civil(int y, int m, int d);
void lg_civil_from_days(int32_t days, int *y, int *m, int *d);

/* True when price is a positive multiple of the instrument's tick. */
bool lg_price_on_tick(const lg_instrument_t *ins, lg_paise_t price);

#endif
