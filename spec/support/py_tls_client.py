#!/usr/bin/env python3
"""TLS client on python3's ssl module for the moontls interop specs (spec/support/peers.lua).

Connects to HOST:PORT, does the handshake, prints one JSON line
  {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "alpn": "h2" | null,
   "reused": false, "sni": "localhost" | null}
(or {"error": "..."} and exit status 1), sends stdin, then prints what it receives until the
peer closes, --until appears, or --timeout passes.
"""
import argparse
import json
import socket
import ssl
import sys

VERSIONS = {
    "tls1.2": ssl.TLSVersion.TLSv1_2,
    "tls1.3": ssl.TLSVersion.TLSv1_3,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--sni", help="server name to send and (when verifying) to check")
    ap.add_argument("--cafile", help="trust anchors; default: the system store")
    ap.add_argument("--insecure", action="store_true", help="no certificate verification")
    ap.add_argument("--ciphers", help="OpenSSL cipher list for TLS 1.2")
    ap.add_argument("--alpn", help="comma-separated ALPN protocols")
    ap.add_argument("--min-version", choices=VERSIONS)
    ap.add_argument("--max-version", choices=VERSIONS)
    ap.add_argument("--cert", help="client certificate (PEM)")
    ap.add_argument("--key", help="client key (PEM)")
    ap.add_argument("--until", help="stop reading once this text has been received")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if args.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        if args.cafile:
            ctx.load_verify_locations(cafile=args.cafile)
        else:
            ctx.load_default_certs()
        # without a server name only the chain is checked (the host is an IP literal)
        ctx.check_hostname = args.sni is not None
    if args.ciphers:
        ctx.set_ciphers(args.ciphers)
    if args.alpn:
        ctx.set_alpn_protocols(args.alpn.split(","))
    if args.min_version:
        ctx.minimum_version = VERSIONS[args.min_version]
    if args.max_version:
        ctx.maximum_version = VERSIONS[args.max_version]
    if args.cert:
        ctx.load_cert_chain(args.cert, args.key)

    data = b"" if sys.stdin.isatty() else sys.stdin.buffer.read()
    try:
        raw = socket.create_connection((args.host, args.port), timeout=args.timeout)
        tls = ctx.wrap_socket(raw, server_hostname=args.sni)
    except (OSError, ssl.SSLError) as e:
        print(json.dumps({"error": str(e)}), flush=True)
        return 1
    print(json.dumps({
        "version": tls.version(),
        "cipher": tls.cipher()[0],
        "alpn": tls.selected_alpn_protocol(),
        "reused": tls.session_reused,
        "sni": args.sni,
    }), flush=True)
    out = sys.stdout.buffer
    status = 0
    try:
        if data:
            tls.sendall(data)
        got = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            out.write(chunk)
            out.flush()
            got += chunk
            if args.until and args.until.encode() in got:
                break
    except socket.timeout:
        print("py_tls_client: read timed out", file=sys.stderr)
        status = 2
    except (OSError, ssl.SSLError) as e:
        # a peer that closes without close_notify is common (s_server -www): report, not fail
        print("py_tls_client: %s" % e, file=sys.stderr)
    finally:
        try:
            tls.close()
        except OSError:
            pass
    return status


if __name__ == "__main__":
    sys.exit(main())
