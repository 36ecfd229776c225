/*
 * err.h -- the one list of moontls errors and TLS alerts.
 *
 * MT_ALERT_LIST gives every TLS alert description (RFC 8446 6, RFC 5246 7.2,
 * RFC 6066, RFC 7301, RFC 7507). MT_ERROR_LIST gives every error code the core
 * returns: its name (what `nil, message, code` shows in Lua), a message a user
 * can act on, and the fatal alert we send when the error ends a connection.
 * Functions return the negated code, so `-MT_E_DECODE` is "decode_error".
 *
 * To add an error, add a row; the enum, names, messages and alert mapping
 * follow. Codes are positions in the list and are not stable across versions:
 * compare names, not numbers, outside the core.
 */
#ifndef MT_ERR_H
#define MT_ERR_H

#include "mt.h"

/* X(identifier, wire value, name) */
#define MT_ALERT_LIST(X)                                                                           \
    X(CLOSE_NOTIFY, 0, "close_notify")                                                             \
    X(UNEXPECTED_MESSAGE, 10, "unexpected_message")                                                \
    X(BAD_RECORD_MAC, 20, "bad_record_mac")                                                        \
    X(DECRYPTION_FAILED, 21, "decryption_failed")                                                  \
    X(RECORD_OVERFLOW, 22, "record_overflow")                                                      \
    X(DECOMPRESSION_FAILURE, 30, "decompression_failure")                                          \
    X(HANDSHAKE_FAILURE, 40, "handshake_failure")                                                  \
    X(NO_CERTIFICATE, 41, "no_certificate")                                                        \
    X(BAD_CERTIFICATE, 42, "bad_certificate")                                                      \
    X(UNSUPPORTED_CERTIFICATE, 43, "unsupported_certificate")                                      \
    X(CERTIFICATE_REVOKED, 44, "certificate_revoked")                                              \
    X(CERTIFICATE_EXPIRED, 45, "certificate_expired")                                              \
    X(CERTIFICATE_UNKNOWN, 46, "certificate_unknown")                                              \
    X(ILLEGAL_PARAMETER, 47, "illegal_parameter")                                                  \
    X(UNKNOWN_CA, 48, "unknown_ca")                                                                \
    X(ACCESS_DENIED, 49, "access_denied")                                                          \
    X(DECODE_ERROR, 50, "decode_error")                                                            \
    X(DECRYPT_ERROR, 51, "decrypt_error")                                                          \
    X(EXPORT_RESTRICTION, 60, "export_restriction")                                                \
    X(PROTOCOL_VERSION, 70, "protocol_version")                                                    \
    X(INSUFFICIENT_SECURITY, 71, "insufficient_security")                                          \
    X(INTERNAL_ERROR, 80, "internal_error")                                                        \
    X(INAPPROPRIATE_FALLBACK, 86, "inappropriate_fallback")                                        \
    X(USER_CANCELED, 90, "user_canceled")                                                          \
    X(NO_RENEGOTIATION, 100, "no_renegotiation")                                                   \
    X(MISSING_EXTENSION, 109, "missing_extension")                                                 \
    X(UNSUPPORTED_EXTENSION, 110, "unsupported_extension")                                         \
    X(CERTIFICATE_UNOBTAINABLE, 111, "certificate_unobtainable")                                   \
    X(UNRECOGNIZED_NAME, 112, "unrecognized_name")                                                 \
    X(BAD_CERTIFICATE_STATUS_RESPONSE, 113, "bad_certificate_status_response")                     \
    X(BAD_CERTIFICATE_HASH_VALUE, 114, "bad_certificate_hash_value")                               \
    X(UNKNOWN_PSK_IDENTITY, 115, "unknown_psk_identity")                                           \
    X(CERTIFICATE_REQUIRED, 116, "certificate_required")                                           \
    X(NO_APPLICATION_PROTOCOL, 120, "no_application_protocol")

enum mt_alert {
#define MT_ALERT_ENUM_(id, value, name) MT_ALERT_##id = value,
    MT_ALERT_LIST(MT_ALERT_ENUM_)
#undef MT_ALERT_ENUM_
};

/* Marks an error that sends no alert (local failures, transient states). */
#define MT_ALERT_NONE (-1)

/*
 * X(identifier, name, message, alert). The name is stable and short; the
 * message says what went wrong in words a user can act on. Errors that are
 * not about the peer (out of memory, misuse) map to internal_error or none.
 */
#define MT_ERROR_LIST(X)                                                                           \
    X(NOMEM, "out_of_memory", "out of memory", INTERNAL_ERROR)                                     \
    X(INVALID_ARG, "invalid_argument", "invalid argument", NONE)                                   \
    X(INTERNAL, "internal_error", "internal error", INTERNAL_ERROR)                                \
    X(RANDOM, "random_failure", "the random generator could not be seeded", INTERNAL_ERROR)        \
    X(TRUNCATED, "truncated", "message truncated: a field runs past the end", DECODE_ERROR)        \
    X(TRAILING, "trailing_data", "unexpected bytes after the end of a message", DECODE_ERROR)      \
    X(BAD_LENGTH, "bad_length", "length field out of the allowed range", DECODE_ERROR)             \
    X(BUFFER_FULL, "buffer_full", "output would exceed its size limit", INTERNAL_ERROR)            \
    X(NESTING, "nesting_error", "length scopes opened and closed out of order", INTERNAL_ERROR)    \
    X(DECODE, "decode_error", "malformed message", DECODE_ERROR)                                   \
    X(ILLEGAL_PARAMETER, "illegal_parameter", "a field holds a value not allowed here",            \
      ILLEGAL_PARAMETER)                                                                           \
    X(UNEXPECTED_MESSAGE, "unexpected_message", "message not expected in this state",              \
      UNEXPECTED_MESSAGE)                                                                          \
    X(BAD_RECORD_MAC, "bad_record_mac", "record failed authentication", BAD_RECORD_MAC)            \
    X(RECORD_OVERFLOW, "record_overflow", "record larger than the negotiated limit",               \
      RECORD_OVERFLOW)                                                                             \
    X(HANDSHAKE_FAILURE, "handshake_failure", "no acceptable parameters in common",                \
      HANDSHAKE_FAILURE)                                                                           \
    X(PROTOCOL_VERSION, "protocol_version", "no protocol version in common", PROTOCOL_VERSION)     \
    X(INAPPROPRIATE_FALLBACK, "inappropriate_fallback",                                            \
      "fallback to a lower version refused (downgrade attack?)", INAPPROPRIATE_FALLBACK)           \
    X(DECRYPT_ERROR, "decrypt_error", "signature or Finished verification failed", DECRYPT_ERROR)  \
    X(INSUFFICIENT_SECURITY, "insufficient_security", "peer parameters too weak",                  \
      INSUFFICIENT_SECURITY)                                                                       \
    X(BAD_CERTIFICATE, "bad_certificate", "certificate is malformed or its signature is bad",      \
      BAD_CERTIFICATE)                                                                             \
    X(UNSUPPORTED_CERTIFICATE, "unsupported_certificate", "certificate type not supported",        \
      UNSUPPORTED_CERTIFICATE)                                                                     \
    X(CERTIFICATE_EXPIRED, "certificate_expired", "certificate has expired or is not yet valid",   \
      CERTIFICATE_EXPIRED)                                                                         \
    X(CERTIFICATE_UNKNOWN, "certificate_unknown", "certificate could not be verified",             \
      CERTIFICATE_UNKNOWN)                                                                         \
    X(UNKNOWN_CA, "unknown_ca", "certificate chain does not lead to a trusted root", UNKNOWN_CA)   \
    X(CERTIFICATE_REQUIRED, "certificate_required", "the peer sent no certificate",                \
      CERTIFICATE_REQUIRED)                                                                        \
    X(NO_CLIENT_CERTIFICATE, "no_client_certificate",                                              \
      "the client sent no certificate and one is required", HANDSHAKE_FAILURE)                     \
    X(MISSING_EXTENSION, "missing_extension", "a required extension is missing",                   \
      MISSING_EXTENSION)                                                                           \
    X(UNSUPPORTED_EXTENSION, "unsupported_extension", "extension not offered or not allowed here", \
      UNSUPPORTED_EXTENSION)                                                                       \
    X(UNRECOGNIZED_NAME, "unrecognized_name", "no certificate for the requested server name",      \
      UNRECOGNIZED_NAME)                                                                           \
    X(NO_APPLICATION_PROTOCOL, "no_application_protocol", "no application protocol in common",     \
      NO_APPLICATION_PROTOCOL)                                                                     \
    X(NO_RENEGOTIATION, "no_renegotiation", "renegotiation refused", NO_RENEGOTIATION)             \
    X(BAD_RENEGOTIATION_INFO, "bad_renegotiation_info",                                            \
      "renegotiation_info does not match the previous handshake (RFC 5746)", HANDSHAKE_FAILURE)    \
    X(RENEGOTIATION_UNSAFE, "renegotiation_unsafe",                                                \
      "the peer does not support secure renegotiation (RFC 5746)", NONE)                           \
    X(RENEGOTIATION_DISABLED, "renegotiation_disabled",                                            \
      "renegotiation is disabled by the context", NONE)                                            \
    X(RENEGOTIATION_PENDING, "renegotiation_pending", "a renegotiation is already running", NONE)  \
    X(RENEGOTIATION_TLS13, "renegotiation_tls13", "TLS 1.3 has no renegotiation", NONE)            \
    X(PEER_CERT_CHANGED, "peer_certificate_changed",                                               \
      "the peer's certificate changed in a renegotiation", ILLEGAL_PARAMETER)                      \
    X(PHA_NOT_OFFERED, "post_handshake_auth_not_offered",                                          \
      "the client did not offer post-handshake authentication", NONE)                              \
    X(AUTH_PENDING, "client_auth_pending", "a client authentication is already running", NONE)     \
    X(EARLY_DATA_UNAVAILABLE, "early_data_unavailable",                                            \
      "early data cannot be sent on this connection now", NONE)                                    \
    X(ASN1, "asn1_error", "malformed DER encoding", DECODE_ERROR)                                  \
    X(ASN1_DEPTH, "asn1_too_deep", "DER nesting deeper than allowed", DECODE_ERROR)                \
    X(PEM, "pem_error", "malformed PEM armour", NONE)                                              \
    X(PEM_NONE, "pem_not_found", "no PEM block with the expected label", NONE)                     \
    X(KEY_UNSUPPORTED, "key_unsupported", "unsupported key type or parameters", NONE)              \
    X(KEY_INVALID, "key_invalid", "the key is malformed or inconsistent", NONE)                    \
    X(BAD_PASSWORD, "bad_password", "wrong password or corrupt encrypted key", NONE)               \
    X(PASSWORD_NEEDED, "password_needed", "the key is encrypted: a password is needed", NONE)      \
    X(SIGNATURE, "bad_signature", "signature verification failed", DECRYPT_ERROR)                  \
    X(SIG_UNSUPPORTED, "signature_unsupported", "signature algorithm not supported for this key",  \
      HANDSHAKE_FAILURE)                                                                           \
    X(CERT_PARSE, "certificate_malformed", "certificate is malformed", BAD_CERTIFICATE)            \
    X(CERT_EXPIRED, "certificate_expired_at", "certificate has expired", CERTIFICATE_EXPIRED)      \
    X(CERT_NOT_YET_VALID, "certificate_not_yet_valid", "certificate is not yet valid",             \
      CERTIFICATE_EXPIRED)                                                                         \
    X(CERT_SIGNATURE, "certificate_signature_failure", "certificate signature failure",            \
      BAD_CERTIFICATE)                                                                             \
    X(CERT_WEAK_SIGNATURE, "weak_signature_algorithm",                                             \
      "certificate signed with a weak algorithm (MD5 or SHA-1)", BAD_CERTIFICATE)                  \
    X(CERT_NO_ISSUER, "unable_to_get_issuer", "unable to get local issuer certificate",            \
      UNKNOWN_CA)                                                                                  \
    X(CERT_UNTRUSTED_ROOT, "self_signed_in_chain", "self-signed certificate in certificate chain", \
      UNKNOWN_CA)                                                                                  \
    X(CERT_SELF_SIGNED, "self_signed_leaf", "self-signed certificate", UNKNOWN_CA)                 \
    X(CERT_NOT_CA, "invalid_ca", "invalid CA certificate (basicConstraints CA is not set)",        \
      BAD_CERTIFICATE)                                                                             \
    X(CERT_PATHLEN, "path_length_exceeded", "path length constraint exceeded", BAD_CERTIFICATE)    \
    X(CERT_KEY_USAGE, "key_usage", "key usage does not allow this use of the key",                 \
      BAD_CERTIFICATE)                                                                             \
    X(CERT_PURPOSE, "unsuitable_purpose", "unsuitable certificate purpose (extended key usage)",   \
      UNSUPPORTED_CERTIFICATE)                                                                     \
    X(CERT_CRITICAL, "unhandled_critical_extension", "unsupported critical extension",             \
      UNSUPPORTED_CERTIFICATE)                                                                     \
    X(CERT_NAME_CONSTRAINTS, "name_constraints", "name constraints violated", BAD_CERTIFICATE)     \
    X(CERT_HOSTNAME, "hostname_mismatch", "host name mismatch", BAD_CERTIFICATE)                   \
    X(CERT_IP, "ip_mismatch", "IP address mismatch", BAD_CERTIFICATE)                              \
    X(CERT_CHAIN_TOO_LONG, "chain_too_long", "certificate chain too long", BAD_CERTIFICATE)        \
    X(CERT_INVALID, "certificate_invalid", "certificate violates RFC 5280", BAD_CERTIFICATE)       \
    X(CERT_WEAK_KEY, "weak_key", "certificate key too weak (RSA or DSA below 2048 bits)",          \
      INSUFFICIENT_SECURITY)                                                                       \
    X(KEY_MISMATCH, "key_mismatch", "the private key does not belong to the certificate", NONE)    \
    X(SESSION_FORMAT, "session_format", "not an encoded moontls session of a known format", NONE)  \
    X(SESSION_DAMAGED, "session_damaged", "encoded session damaged (or sealed with another key)",  \
      NONE)                                                                                        \
    X(SESSION_KEY, "session_key",                                                                  \
      "encoded session sealed: a key is needed (or given for a plain one)", NONE)                  \
    X(PEER_ALERT, "peer_alert", "the peer sent a fatal alert", NONE)                               \
    X(CLOSED, "closed", "connection closed", NONE)                                                 \
    X(WANT_READ, "wantread", "more input is needed", NONE)                                         \
    X(WANT_WRITE, "wantwrite", "output must be flushed first", NONE)

enum mt_err {
    MT_OK = 0,
#define MT_ERR_ENUM_(id, name, msg, alert) MT_E_##id,
    MT_ERROR_LIST(MT_ERR_ENUM_)
#undef MT_ERR_ENUM_
        MT_E_COUNT_
};

/* Short stable name of error `code` (positive or negated); "unknown_error" if out of range. */
const char *mt_err_name(int code);

/* Human-readable message of error `code` (positive or negated); never NULL. */
const char *mt_err_message(int code);

/* Fatal alert to send for error `code`, or MT_ALERT_NONE when none is sent. */
int mt_err_alert(int code);

/* The error code (positive) whose name is `name`, or 0 when there is none. */
int mt_err_by_name(const char *name);

/* Name of alert `value` as the RFCs spell it ("decode_error"), or NULL if unknown. */
const char *mt_alert_name(int value);

#endif
