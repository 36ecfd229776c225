/* Unit tests for the error and alert table (err.c). */
#include "../err.h"
#include "t.h"

static void every_error_has_name_and_message(void)
{
    for (int i = 1; i < MT_E_COUNT_; i++) {
        const char *n = mt_err_name(-i);
        const char *m = mt_err_message(-i);
        CHECK(n != NULL && n[0] != '\0');
        CHECK(m != NULL && m[0] != '\0');
        CHECK(strcmp(n, "unknown_error") != 0);
        /* positive and negated codes name the same error */
        CHECK(strcmp(n, mt_err_name(i)) == 0);
        /* names are unique */
        for (int j = 1; j < i; j++) {
            if (strcmp(n, mt_err_name(j)) == 0) {
                printf("# duplicate error name %s\n", n);
                CHECK(0);
            }
        }
    }
}

static void out_of_range_codes(void)
{
    CHECK(strcmp(mt_err_name(MT_E_COUNT_), "unknown_error") == 0);
    CHECK(strcmp(mt_err_name(-MT_E_COUNT_ - 5), "unknown_error") == 0);
    CHECK(strcmp(mt_err_message(1 << 30), "unknown error") == 0);
    CHECK_EQ(mt_err_alert(-100000), MT_ALERT_INTERNAL_ERROR);
    CHECK(strcmp(mt_err_name(0), "ok") == 0);
    CHECK_EQ(mt_err_alert(0), MT_ALERT_NONE);
}

static void alert_mapping(void)
{
    CHECK_EQ(mt_err_alert(-MT_E_TRUNCATED), 50);
    CHECK_EQ(mt_err_alert(-MT_E_TRAILING), 50);
    CHECK_EQ(mt_err_alert(-MT_E_BAD_LENGTH), 50);
    CHECK_EQ(mt_err_alert(-MT_E_DECODE), 50);
    CHECK_EQ(mt_err_alert(-MT_E_BAD_RECORD_MAC), 20);
    CHECK_EQ(mt_err_alert(-MT_E_RECORD_OVERFLOW), 22);
    CHECK_EQ(mt_err_alert(-MT_E_UNEXPECTED_MESSAGE), 10);
    CHECK_EQ(mt_err_alert(-MT_E_HANDSHAKE_FAILURE), 40);
    CHECK_EQ(mt_err_alert(-MT_E_ILLEGAL_PARAMETER), 47);
    CHECK_EQ(mt_err_alert(-MT_E_PROTOCOL_VERSION), 70);
    CHECK_EQ(mt_err_alert(-MT_E_INAPPROPRIATE_FALLBACK), 86);
    CHECK_EQ(mt_err_alert(-MT_E_NO_APPLICATION_PROTOCOL), 120);
    CHECK_EQ(mt_err_alert(-MT_E_NOMEM), 80);
    CHECK_EQ(mt_err_alert(-MT_E_WANT_READ), MT_ALERT_NONE);
    CHECK_EQ(mt_err_alert(-MT_E_CLOSED), MT_ALERT_NONE);
    /* every error that sends an alert sends one that has a name */
    for (int i = 1; i < MT_E_COUNT_; i++) {
        int a = mt_err_alert(i);
        CHECK(a == MT_ALERT_NONE || mt_alert_name(a) != NULL);
    }
}

static void alert_names(void)
{
    CHECK(strcmp(mt_alert_name(0), "close_notify") == 0);
    CHECK(strcmp(mt_alert_name(50), "decode_error") == 0);
    CHECK(strcmp(mt_alert_name(86), "inappropriate_fallback") == 0);
    CHECK(strcmp(mt_alert_name(120), "no_application_protocol") == 0);
    CHECK(mt_alert_name(1) == NULL);
    CHECK(mt_alert_name(255) == NULL);
    CHECK(mt_alert_name(-1) == NULL);
    int named = 0;
    for (int v = 0; v < 256; v++) {
        named += mt_alert_name(v) != NULL;
    }
    CHECK_EQ(named, 34);
}

static void names_used_by_lua(void)
{
    /* The Lua layer returns these names for transient states; they are API. */
    CHECK(strcmp(mt_err_name(-MT_E_WANT_READ), "wantread") == 0);
    CHECK(strcmp(mt_err_name(-MT_E_WANT_WRITE), "wantwrite") == 0);
    CHECK(strcmp(mt_err_name(-MT_E_CLOSED), "closed") == 0);
    CHECK(strcmp(mt_err_name(-MT_E_DECODE), "decode_error") == 0);
}

static void lookup_by_name(void)
{
    for (int i = 1; i < MT_E_COUNT_; i++) {
        CHECK_EQ(mt_err_by_name(mt_err_name(i)), i);
    }
    CHECK_EQ(mt_err_by_name("no such error"), 0);
    CHECK_EQ(mt_err_by_name("ok"), 0);
}

int main(void)
{
    RUN(lookup_by_name);
    RUN(every_error_has_name_and_message);
    RUN(out_of_range_codes);
    RUN(alert_mapping);
    RUN(alert_names);
    RUN(names_used_by_lua);
    return t_done();
}
