#include "err.h"

#include <stddef.h>
#include <string.h>

struct err_row {
    const char *name;
    const char *message;
    int alert;
};

#define ROW_(id, name, msg, alert) {name, msg, MT_ALERT_##alert},
static const struct err_row rows[MT_E_COUNT_] = {{"ok", "success", MT_ALERT_NONE},
                                                 MT_ERROR_LIST(ROW_)};
#undef ROW_

static const struct err_row *row(int code)
{
    if (code < 0) {
        code = -code;
    }
    if (code >= MT_E_COUNT_) {
        return NULL;
    }
    return &rows[code];
}

const char *mt_err_name(int code)
{
    const struct err_row *r = row(code);
    return r ? r->name : "unknown_error";
}

const char *mt_err_message(int code)
{
    const struct err_row *r = row(code);
    return r ? r->message : "unknown error";
}

int mt_err_alert(int code)
{
    const struct err_row *r = row(code);
    return r ? r->alert : MT_ALERT_INTERNAL_ERROR;
}

const char *mt_alert_name(int value)
{
    switch (value) {
#define CASE_(id, v, name)                                                                         \
    case v:                                                                                        \
        return name;
        MT_ALERT_LIST(CASE_)
#undef CASE_
    default:
        return NULL;
    }
}

int mt_err_by_name(const char *name)
{
    for (int i = 1; i < MT_E_COUNT_; i++) {
        if (strcmp(rows[i].name, name) == 0) {
            return i;
        }
    }
    return 0;
}
