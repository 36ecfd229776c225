#!/usr/bin/env python3
"""python3's ssl as a TLS 1.2 peer for the suite matrix (spec/55-suite_matrix_spec.lua).

One process does many connections, so the matrix pays for one interpreter start per batch:

  py_tls_matrix.py list
      prints "<IANA id in 4 hex digits> <OpenSSL name>" for every TLS 1.2 suite this ssl
      module offers when told to (cipher string ALL:COMPLEMENTOFALL:@SECLEVEL=0).
  py_tls_matrix.py client --port P --cafile F --sni NAME --ciphers A,B,... [--no-etm]
      for each OpenSSL suite name in turn: connects to 127.0.0.1:P allowing only that suite
      and TLS 1.2, sends the line "py <name>", reads until that line comes back, and prints
      one JSON line {"want", "version", "cipher", "echo"} (or {"want", "error"}).
  py_tls_matrix.py server --cert C --key K --dhparam D --portfile F --count N [--no-etm]
      listens on 127.0.0.1 (port written to F), accepts N connections one after another;
      each gets the line "<version> <cipher>" first, then its lines echoed until "quit" or EOF.
--no-etm sets SSL_OP_NO_ENCRYPT_THEN_MAC (RFC 7366 off; python names no constant for it).
"""
import argparse
import json
import os
import socket
import ssl
import sys

NO_ETM = 1 << 19  # SSL_OP_NO_ENCRYPT_THEN_MAC, OpenSSL 1.1.0 and later
EVERYTHING = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"


def tls12_only(ctx, no_etm):
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if no_etm:
        ctx.options |= NO_ETM


def cmd_list(_):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers(EVERYTHING)
    for c in ctx.get_ciphers():
        if c["protocol"] != "TLSv1.3":
            print("%04x %s" % (c["id"] & 0xFFFF, c["name"]))
    return 0


def readline(tls):
    data = b""
    while not data.endswith(b"\n"):
        chunk = tls.recv(1)
        if not chunk:
            break
        data += chunk
    return data.decode("latin-1")


def cmd_client(args):
    status = 0
    for name in args.ciphers.split(","):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=args.cafile)
        ctx.set_ciphers(name + ":@SECLEVEL=0")
        tls12_only(ctx, args.no_etm)
        row = {"want": name}
        try:
            raw = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
            with ctx.wrap_socket(raw, server_hostname=args.sni) as tls:
                row["version"] = tls.version()
                row["cipher"] = tls.cipher()[0]
                line = "py %s\n" % name
                tls.sendall(line.encode())
                row["echo"] = readline(tls) == line
                tls.sendall(b"quit\n")
        except (OSError, ssl.SSLError) as e:
            row["error"] = str(e)
            status = 1
        print(json.dumps(row), flush=True)
    return status


def cmd_server(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_dh_params(args.dhparam)
    ctx.set_ciphers(EVERYTHING)
    tls12_only(ctx, args.no_etm)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    lsock.settimeout(args.timeout)
    tmp = args.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(lsock.getsockname()[1]))
    os.rename(tmp, args.portfile)
    for _ in range(args.count):
        raw, _ = lsock.accept()
        raw.settimeout(args.timeout)
        try:
            with ctx.wrap_socket(raw, server_side=True) as tls:
                tls.sendall(("%s %s\n" % (tls.version(), tls.cipher()[0])).encode())
                while True:
                    line = readline(tls)
                    if not line or line == "quit\n":
                        break
                    tls.sendall(line.encode("latin-1"))
        except (OSError, ssl.SSLError) as e:
            print("py_tls_matrix server: %s" % e, file=sys.stderr, flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--cafile", required=True)
    c.add_argument("--sni", default="localhost")
    c.add_argument("--ciphers", required=True)
    c.add_argument("--no-etm", action="store_true")
    c.add_argument("--timeout", type=float, default=5.0)
    s = sub.add_parser("server")
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--dhparam", required=True)
    s.add_argument("--portfile", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--no-etm", action="store_true")
    s.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    return {"list": cmd_list, "client": cmd_client, "server": cmd_server}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
