#!/bin/sh
# Short CPU profiles (perf, top functions) of the rows that miss their target, into
# bench/results/profile-*.txt. Run from the checkout root after `make`: sh bench/profile.sh
# Needs perf (linux-perf); the idle-memory profile uses valgrind's massif.
set -eu
LUA=${LUA:-lua5.4}
OUT=bench/results
TMP=$(mktemp -d /tmp/moontls-profile.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TMP/ec.key" 2>/dev/null
openssl req -x509 -new -key "$TMP/ec.key" -subj /CN=localhost -days 2 -out "$TMP/ec.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/rsa.key" 2>/dev/null
openssl req -x509 -new -key "$TMP/rsa.key" -subj /CN=localhost -days 2 -out "$TMP/rsa.pem" 2>/dev/null

report() { # report NAME PERFDATA TITLE
    {
        echo "# $3"
        echo "# perf record -e cpu-clock -g; perf report --no-children (self time)"
        echo "## by library"
        perf report -i "$2" --stdio --no-children --sort dso -g none 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | head -10
        echo "## top functions"
        perf report -i "$2" --stdio --no-children --sort dso,symbol -g none 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | head -40
    } > "$OUT/profile-$1.txt"
    echo "wrote $OUT/profile-$1.txt"
}

# server-side handshakes: the moontls server under perf, driven by bench/client_loop.lua
# (full) or openssl s_time -reuse (resumed)
server() { # server NAME CERT KEY SUITE MODE COUNT TITLE
    perf record -q -e cpu-clock -g -o "$TMP/$1.data" -- \
        $LUA bin/moontls server --echo --port 0 --cert "$2" --key "$3" --ciphers "$4" \
        --groups x25519 --quiet --count "$6" > "$TMP/$1.log" 2>&1 &
    perf_pid=$!
    port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$TMP/$1.log")
        [ -n "$port" ] && break
        sleep 0.1
    done
    if [ "$5" = reuse ]; then
        openssl s_time -connect "127.0.0.1:$port" -reuse -time 2 -tls1_2 > /dev/null
        kill -INT "$perf_pid" # perf stops the server and writes its data
    else
        $LUA bench/client_loop.lua "$port" "$6" new "$4" > /dev/null
    fi
    wait "$perf_pid" || true
    report "$1" "$TMP/$1.data" "$7"
}

server full-tls12-ecdsa "$TMP/ec.pem" "$TMP/ec.key" TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 \
    new 1500 "moontls server, 1500 full TLS 1.2 ECDSA P-256 + X25519 handshakes"
server full-tls12-rsa "$TMP/rsa.pem" "$TMP/rsa.key" TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 \
    new 800 "moontls server, 800 full TLS 1.2 RSA-2048 + X25519 handshakes"
server resumed-tls12 "$TMP/ec.pem" "$TMP/ec.key" TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 \
    reuse 100000 "moontls server, openssl s_time -reuse for 2 s (session-id resumption)"

perf record -q -e cpu-clock -g -o "$TMP/lua.data" -- \
    $LUA bench/lua_handshakes.lua moontls 600 "$TMP/ec.pem" "$TMP/ec.key" > /dev/null
report lua-200-handshakes "$TMP/lua.data" \
    "600 full handshakes, both ends in one Lua process (bench/lua_handshakes.lua moontls)"

perf record -q -e cpu-clock -g -o "$TMP/bulk.data" -- \
    $LUA bench/bulk.lua moontls aes128gcm 512 > /dev/null
report bulk-aes128gcm "$TMP/bulk.data" "bench/bulk.lua moontls aes128gcm 512 (engine pair)"

# idle memory: where the heap goes (valgrind massif, at the peak: 200 idle connections)
valgrind --tool=massif --keep-debuginfo=yes --massif-out-file="$TMP/massif.out" --threshold=2 \
    $LUA bench/idle_conns.lua 200 > "$TMP/idle.txt" 2>&1
{
    echo "# 200 idle connections in one process (bench/idle_conns.lua 200) under valgrind massif"
    grep -E 'per connection end' "$TMP/idle.txt"
    echo "# the peak snapshot: allocation sites in core.so (mt_*) and the Lua allocator"
    ms_print --threshold=1 "$TMP/massif.out" | awk '/^ *n *time/ {n++} n>=2' \
        | grep -E '^ *n |^-|^[0-9.]+%|->[0-9.]+% .*(mt_|lua_newuserdata|luaM_|core\.so)' \
        | head -40
} > "$OUT/profile-idle-memory.txt"
echo "wrote $OUT/profile-idle-memory.txt"
