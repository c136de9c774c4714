/*
 * api_int.h — inside the control API (api.h): the JSON codec of api_json.c, used by
 * the routes of api.c.
 */
#ifndef LEGATO_API_INT_H
#define LEGATO_API_INT_H

#include "legato/api.h"

#include <jansson.h>

#define LG_API_ERR_MAX 256

/* Body → group spec / intent, strictly: err is "field: what is wrong" (LG_EINVAL). */
int lg_api_decode_group(const lg_instruments_t *m, const char *body, size_t len,
                        lg_group_spec_t *out, char *err, size_t cap);
/* An intent; decision_price omitted: the structure's price now from the engine. */
int lg_api_decode_intent(const lg_engine_t *e, const char *body, size_t len, lg_intent_t *out,
                         char *err, size_t cap);

/* Answers (new references; NULL only when memory runs out). */
json_t *lg_api_group_json(const lg_engine_t *e, uint32_t id, bool full);
json_t *lg_api_positions_json(const lg_engine_t *e, int64_t unix_ns);
json_t *lg_api_risk_json(const lg_engine_t *e);
/* An instrument of the master with its last price and implied volatility (null before
 * the first tick). */
json_t *lg_api_instrument_json(const lg_engine_t *e, const lg_instrument_t *in);
/* Paise as a JSON number of rupees. */
json_t *lg_api_rupees(int64_t paise);

#endif
