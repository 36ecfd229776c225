-- `make bench`: every row of issue 6, ours against a reference measured in the same run,
-- each figure the median of ROUNDS interleaved rounds (ours, theirs, ours, ...), with the
-- spread ((max - min) / median). Prints one table and writes bench/results/latest.json.
--   lua5.4 bench/run.lua [--quick] [--only NAME,NAME] [--out FILE]
package.path = "bench/?.lua;" .. package.path
local lib = require "lib"
local socket = require "socket"
local json = require "dkjson"

local QUICK, ONLY, OUT = false, nil, "bench/results/latest.json"
do
   local i = 1
   while arg[i] do
      if arg[i] == "--quick" then
         QUICK = true
      elseif arg[i] == "--only" then
         i = i + 1
         ONLY = {}
         for n in arg[i]:gmatch("[^,]+") do ONLY[n] = true end
      elseif arg[i] == "--out" then
         i = i + 1
         OUT = arg[i]
      else
         error("usage: run.lua [--quick] [--only NAMES] [--out FILE]")
      end
      i = i + 1
   end
end

local ROUNDS = 5
local HS_SECONDS = QUICK and 1 or 3 -- per round of a client-side row (openssl s_time -time)
local HS_COUNT = QUICK and 500 or 2000 -- handshakes per round of a server-side row
local BULK_MIB = QUICK and 64 or 256
local LOOP_MIB = QUICK and 128 or 1024
local IDLE_N = QUICK and 300 or 1000
local LUA_N = 200
local LUA = lib.LUA
local pki = lib.pki()

local SUITE = {
   ecdsa = { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256" },
   rsa = { "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256" },
   tls13 = { "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256" },
}

local function wait_tcp(port)
   local deadline = socket.gettime() + 10
   while socket.gettime() < deadline do
      local s = socket.connect("127.0.0.1", port)
      if s then
         s:close()
         return
      end
      socket.sleep(0.02)
   end
   error("bench: nothing listens on port " .. port)
end

-- Servers: each returns a handle with .port and .pid (its process group). opts.tls13: TLS 1.3
-- only (suite TLS_AES_128_GCM_SHA256, certificate `kind`); opts.tickets: session tickets on
-- (the hook for resumed-tls12-ticket, below).
local function moontls_server(kind, opts)
   opts = opts or {}
   local c = pki[kind]
   local h = lib.start({ LUA, "bin/moontls", "server", "--echo", "--port", "0", "--cert",
      c.cert, "--key", c.key, "--ciphers", SUITE[opts.tls13 and "tls13" or kind][1], "--groups",
      "x25519", "--min-version", opts.tls13 and "tls1.3" or "tls1.2", "--max-version",
      opts.tls13 and "tls1.3" or "tls1.2", "--tickets", opts.tickets and "on" or "off",
      "--quiet", "--timeout", "30" }, "listening on [%d.]+:(%d+)")
   h.port = tonumber(h.ready)
   return h
end

-- openssl s_server; under TLS 1.3 with -rev (it answers a line, so a client collects the
-- tickets that follow the handshake).
local function openssl_server(kind, opts)
   opts = opts or {}
   local c = pki[kind]
   local port = lib.free_port()
   local cmd = { "openssl", "s_server", "-accept", "127.0.0.1:" .. port, "-cert", c.cert,
      "-key", c.key, "-groups", "X25519:P-256", "-quiet" }
   for _, a in ipairs(opts.tls13 and { "-tls1_3", "-ciphersuites", SUITE.tls13[2], "-rev" }
      or { "-tls1_2", "-cipher", SUITE[kind][2], opts.tickets and "-rev" or "-no_ticket" }) do
      cmd[#cmd + 1] = a
   end
   local h = lib.start(cmd, "")
   h.port = port
   wait_tcp(port)
   return h
end

local function gnutls_server(kind)
   local c = pki[kind]
   local port = lib.free_port()
   local h = lib.start({ "gnutls-serv", "--x509certfile", c.cert, "--x509keyfile", c.key, "-p",
      tostring(port), "--echo", "-q", "--priority",
      "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-GROUP-ALL:+GROUP-X25519:"
      .. "+GROUP-SECP256R1:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA" }, "")
   h.port = port
   wait_tcp(port)
   return h
end

-- openssl s_time against port for HS_SECONDS: the handshakes it made (checking that -reuse
-- really resumed), and its own CPU seconds.
local function s_time(port, mode, kind)
   local out, cpu = lib.run_cpu(("openssl s_time -connect 127.0.0.1:%d -%s -time %d -tls1_2 "
      .. "-cipher %s"):format(port, mode, HS_SECONDS, SUITE[kind][2]))
   local n = tonumber(out:match("(%d+) connections in [%d.]+s"))
   assert(n and n > 0, "bench: s_time made no connection:\n" .. out)
   if mode == "reuse" then
      local _, r = out:gsub("r", "r")
      local _, star = out:match("starting\n(.-)\n"):gsub("%*", "")
      assert(star <= 1 + n // 20, ("bench: s_time -reuse resumed only %d of %d"):format(n - star,
         n))
      assert(r > 0)
   end
   return n, cpu
end

-- Server CPU per handshake, as handshakes per server-CPU second; the moontls client
-- (bench/client_loop.lua) makes HS_COUNT handshakes, one after another, for every server.
-- Resumed handshakes are driven by openssl s_time -reuse instead: the moontls client
-- stalls about 40 ms (wall) on each resumption against either server (see README).
-- TLS 1.3 rows (version "tls1.3") use the moontls client in both modes: openssl s_time does
-- not resume 1.3 sessions (it never reads the tickets).
local function server_rate(h, mode, kind, version)
   local c0 = lib.group_cpu(h.pid)
   if mode == "reuse" and version ~= "tls1.3" then
      local n = s_time(h.port, mode, kind)
      return n / math.max(lib.group_cpu(h.pid) - c0, 1 / lib.HZ)
   end
   local n = tonumber(lib.sh(lib.join { LUA, "bench/client_loop.lua", tostring(h.port),
      tostring(HS_COUNT), mode, SUITE[version == "tls1.3" and "tls13" or kind][1],
      version or "tls1.2" }):match("(%d+)%s*$"))
   assert(n == HS_COUNT)
   local cpu = lib.group_cpu(h.pid) - c0
   return n / math.max(cpu, 1 / lib.HZ)
end

local function client_rate_ours(h, mode, kind)
   local out, cpu = lib.run_cpu(lib.join { LUA, "bench/client_loop.lua", tostring(h.port),
      HS_SECONDS .. "s", mode, SUITE[kind][1] })
   return tonumber(out:match("(%d+)%s*$")) / cpu
end

local function client_rate_openssl(h, mode, kind)
   local n, cpu = s_time(h.port, mode, kind)
   return n / cpu
end

local function number_of(cmd)
   local out = lib.sh(cmd)
   local v = tonumber(out:match("([%d.]+)%s*$"))
   assert(v, "bench: no figure from " .. cmd .. ":\n" .. out)
   return v
end

local idle_cache = {}
local function idle(impl, which, r)
   local key = impl .. r
   if which == "heap" and idle_cache[key] then return idle_cache[key] end
   local out = lib.sh(lib.join { LUA, "bench/idle_conns.lua", tostring(IDLE_N), impl })
   local rss, heap = out:match("RESULT ([%d.]+) ([%d.]+)")
   assert(rss, "bench: idle_conns.lua:\n" .. out)
   idle_cache[key] = tonumber(heap)
   return tonumber(which == "rss" and rss or heap)
end

local function wall(cmd)
   local t0 = socket.gettime()
   lib.sh(cmd .. " >/dev/null")
   return (socket.gettime() - t0) * 1000
end

-- The rows. ours/theirs(state) -> one figure; setup() -> state; also = extra references.
local function servers_for(kind)
   return function()
      return { ours = moontls_server(kind), theirs = openssl_server(kind) }
   end
end

local ROWS = {
   { name = "full-tls12-ecdsa", what = "full handshake TLS 1.2, ECDSA P-256 + X25519, "
      .. "AES-128-GCM: server handshakes per CPU second",
      unit = "handshakes/CPU-s", hib = true, target = { ratio_min = 2.0 },
      ref = "openssl s_server",
      setup = function()
         local s = servers_for("ecdsa")()
         s.gnutls = gnutls_server("ecdsa")
         return s
      end,
      ours = function(s) return server_rate(s.ours, "new", "ecdsa") end,
      theirs = function(s) return server_rate(s.theirs, "new", "ecdsa") end,
      also = { ["gnutls-serv"] = function(s) return server_rate(s.gnutls, "new", "ecdsa") end } },
   { name = "full-tls12-rsa", what = "full handshake TLS 1.2, RSA-2048 + X25519, AES-128-GCM: "
      .. "server handshakes per CPU second", unit = "handshakes/CPU-s", hib = true,
      target = { also_min = { "nettle RSA sign", 0.9 } },
      ref = "openssl s_server", setup = servers_for("rsa"),
      ours = function(s) return server_rate(s.ours, "new", "rsa") end,
      theirs = function(s) return server_rate(s.theirs, "new", "rsa") end,
      also = { ["nettle RSA sign"] = function()
         return number_of(lib.join { LUA, "bench/rsa_sign.lua", pki.rsa.key,
            QUICK and "100" or "400" })
      end } },
   { name = "resumed-tls12", what = "resumed handshake TLS 1.2 (session id), ECDSA suite: "
      .. "server handshakes per CPU second", unit = "handshakes/CPU-s",
      hib = true, target = { ratio_min = 4.0 }, ref = "openssl s_server",
      setup = servers_for("ecdsa"),
      ours = function(s) return server_rate(s.ours, "reuse", "ecdsa") end,
      theirs = function(s) return server_rate(s.theirs, "reuse", "ecdsa") end },
   { name = "full-tls13-ecdsa", what = "full handshake TLS 1.3, ECDSA P-256 + X25519, "
      .. "AES-128-GCM: server handshakes per CPU second", unit = "handshakes/CPU-s", hib = true,
      target = { ratio_min = 2.0 }, ref = "openssl s_server",
      setup = function()
         return { ours = moontls_server("ecdsa", { tls13 = true }),
            theirs = openssl_server("ecdsa", { tls13 = true }) }
      end,
      ours = function(s) return server_rate(s.ours, "new", "ecdsa", "tls1.3") end,
      theirs = function(s) return server_rate(s.theirs, "new", "ecdsa", "tls1.3") end },
   { name = "resumed-tls13", what = "resumed handshake TLS 1.3 (PSK with X25519, a line "
      .. "echoed on each connection to collect the ticket), ECDSA certificate: server "
      .. "handshakes per CPU second", unit = "handshakes/CPU-s", hib = true,
      target = { ratio_min = 4.0 }, ref = "openssl s_server",
      setup = function()
         return { ours = moontls_server("ecdsa", { tls13 = true }),
            theirs = openssl_server("ecdsa", { tls13 = true }) }
      end,
      ours = function(s) return server_rate(s.ours, "reuse", "ecdsa", "tls1.3") end,
      theirs = function(s) return server_rate(s.theirs, "reuse", "ecdsa", "tls1.3") end },
   { name = "client-full-tls12-ecdsa", what = "client side, full handshake TLS 1.2 ECDSA: "
      .. "client handshakes per CPU second against openssl s_server", unit = "handshakes/CPU-s",
      hib = true, ref = "openssl s_time",
      setup = function() return { srv = openssl_server("ecdsa") } end,
      ours = function(s) return client_rate_ours(s.srv, "new", "ecdsa") end,
      theirs = function(s) return client_rate_openssl(s.srv, "new", "ecdsa") end },
   { name = "client-full-tls12-rsa", full_only = true, what = "client side, full handshake "
      .. "TLS 1.2 RSA-2048",
      unit = "handshakes/CPU-s", hib = true, ref = "openssl s_time",
      setup = function() return { srv = openssl_server("rsa") } end,
      ours = function(s) return client_rate_ours(s.srv, "new", "rsa") end,
      theirs = function(s) return client_rate_openssl(s.srv, "new", "rsa") end },
   { name = "client-resumed-tls12", full_only = true, what = "client side, resumed handshake "
      .. "TLS 1.2 (session id)",
      unit = "handshakes/CPU-s", hib = true, ref = "openssl s_time",
      setup = function() return { srv = openssl_server("ecdsa") } end,
      ours = function(s) return client_rate_ours(s.srv, "reuse", "ecdsa") end,
      theirs = function(s) return client_rate_openssl(s.srv, "reuse", "ecdsa") end },
   { name = "lua-200-handshakes", what = LUA_N .. " full handshakes, both ends in one Lua "
      .. "process on moontls.loop (20 at a time): wall ms", unit = "ms", hib = false,
      target = { ratio_max = 0.5, text = ">= 2x faster" }, ref = "LuaSec 1.2",
      ours = function()
         return 1000 * number_of(lib.join { LUA, "bench/lua_handshakes.lua", "moontls",
            tostring(LUA_N), pki.ec.cert, pki.ec.key })
      end,
      theirs = function()
         return 1000 * number_of(lib.join { LUA, "bench/lua_handshakes.lua", "luasec",
            tostring(LUA_N), pki.ec.cert, pki.ec.key })
      end },
}

for _, a in ipairs { { "bulk-aes128gcm", "aes128gcm", "AES-128-GCM", 0.9 },
   { "bulk-aes256gcm", "aes256gcm", "AES-256-GCM", 0.9 },
   { "bulk-chacha20", "chacha20poly1305", "ChaCha20-Poly1305" } } do
   ROWS[#ROWS + 1] = { name = a[1], what = "bulk in memory, 16 KiB records, " .. a[3]
      .. ": seal+open MiB per CPU second (engine pair vs nettle's raw AEAD)", unit = "MiB/CPU-s",
      hib = true, target = a[4] and { ratio_min = a[4] } or nil, ref = "nettle raw AEAD",
      ours = function()
         return number_of(lib.join { LUA, "bench/bulk.lua", "moontls", a[2], tostring(BULK_MIB) })
      end,
      theirs = function()
         return number_of(lib.join { LUA, "bench/bulk.lua", "nettle", a[2], tostring(BULK_MIB) })
      end }
end

local more = {
   { name = "loopback-1gib", what = LOOP_MIB .. " MiB over loopback TCP, AES-128-GCM, "
      .. "blocking File vs LuaSec in the same harness: MiB per wall second", unit = "MiB/s",
      hib = true, ref = "LuaSec 1.2",
      ours = function()
         return number_of(lib.join { LUA, "bench/loopback.lua", "moontls", tostring(LOOP_MIB),
            pki.ec.cert, pki.ec.key })
      end,
      theirs = function()
         return number_of(lib.join { LUA, "bench/loopback.lua", "luasec", tostring(LOOP_MIB),
            pki.ec.cert, pki.ec.key })
      end },
   { name = "idle-memory", what = IDLE_N .. " idle established connections in one process: "
      .. "RSS KiB per connection end", unit = "KiB", hib = false,
      target = { ours_max = 12, text = "<= 12 KiB" }, ref = "LuaSec 1.2",
      ours = function(_, r) return idle("moontls", "rss", r) end,
      theirs = function(_, r) return idle("luasec", "rss", r) end },
   { name = "idle-memory-heap", what = "the same: Lua heap KiB per connection end (LuaSec keeps "
      .. "its OpenSSL state outside the Lua heap)", unit = "KiB", hib = false,
      ref = "LuaSec 1.2",
      ours = function(_, r) return idle("moontls", "heap", r) end,
      theirs = function(_, r) return idle("luasec", "heap", r) end },
   { name = "ca-load-verify", what = "load the system CA store + verify a 3-cert chain: "
      .. "wall ms of one command (moontls x509 verify vs openssl verify)", unit = "ms",
      hib = false, ref = "openssl verify",
      ours = function()
         return wall(lib.join { LUA, "bin/moontls", "x509", "verify", pki.chain.file,
            "--cafile", pki.chain.bundle })
      end,
      theirs = function()
         return wall(lib.join { "openssl", "verify", "-CAfile", pki.chain.bundle, "-untrusted",
            pki.chain.inter, pki.chain.leaf })
      end },
}
for _, r in ipairs(more) do ROWS[#ROWS + 1] = r end

-- Hook: resumed-tls12-ticket (RFC 5077 session tickets, both servers issuing them), run only
-- when named (--only resumed-tls12-ticket) until `moontls server --tickets on` exists; then
-- drop `on_demand` and add the row to README's table.
ROWS[#ROWS + 1] = { name = "resumed-tls12-ticket", on_demand = true, what = "resumed handshake "
   .. "TLS 1.2 (session ticket), ECDSA suite: server handshakes per CPU second",
   unit = "handshakes/CPU-s", hib = true, target = { ratio_min = 4.0 }, ref = "openssl s_server",
   setup = function()
      return { ours = moontls_server("ecdsa", { tickets = true }),
         theirs = openssl_server("ecdsa", { tickets = true }) }
   end,
   ours = function(s) return server_rate(s.ours, "reuse", "ecdsa") end,
   theirs = function(s) return server_rate(s.theirs, "reuse", "ecdsa") end }

local function machine()
   local model = (lib.readfile("/proc/cpuinfo") or ""):match("model name%s*:%s*([^\n]+)")
   local load = (lib.readfile("/proc/loadavg") or ""):match("^(%S+ %S+ %S+)")
   return { nproc = tonumber((lib.sh("nproc"):gsub("%s+", ""))), cpu = model,
      load_at_start = load, kernel = (lib.sh("uname -r"):gsub("%s+$", "")),
      openssl = (lib.sh("openssl version"):gsub("%s+$", "")),
      lua = (lib.sh(LUA .. " -v"):gsub("%s+$", "")),
      date = os.date("!%Y-%m-%dT%H:%M:%SZ"), quick = QUICK, rounds = ROUNDS }
end

local function verdict(row, t)
   if not t then return nil end
   local ratio, ours = row.ratio, row.ours
   if t.ratio_min then
      return ratio >= t.ratio_min and ("met (>= %.1fx)"):format(t.ratio_min)
         or ("missed: %.2fx of the %.1fx asked (%.0f%% short)"):format(ratio, t.ratio_min,
            (1 - ratio / t.ratio_min) * 100)
   elseif t.ratio_max then
      return ratio <= t.ratio_max and ("met (%s)"):format(t.text)
         or ("missed: %.2fx faster, %s asked"):format(1 / ratio, t.text)
   elseif t.ours_min then
      return ours >= t.ours_min and ("met (%s)"):format(t.text)
         or ("missed: %.0f, %s = %d asked (%.0f%% short)"):format(ours, t.text, t.ours_min,
            (1 - ours / t.ours_min) * 100)
   elseif t.also_min then
      local name, k = t.also_min[1], t.also_min[2]
      local ceiling = row.also[name].median
      return ours >= k * ceiling and ("met (>= %.1f x %s)"):format(k, name)
         or ("missed: %.2f x %s (%.0f/s) of the %.1f x asked (%.0f%% short)"):format(
            ours / ceiling, name, ceiling, k, (1 - ours / (k * ceiling)) * 100)
   elseif t.ours_max then
      return ours <= t.ours_max and ("met (%s)"):format(t.text)
         or ("missed: %.1f, %s asked (%.1fx over)"):format(ours, t.text, ours / t.ours_max)
   end
end

local function fmt(v)
   if v >= 100 then return ("%.0f"):format(v) end
   if v >= 10 then return ("%.1f"):format(v) end
   return ("%.2f"):format(v)
end

local result = { machine = machine(), rows = {} }
local t_start = socket.gettime()
for _, row in ipairs(ROWS) do
   if (ONLY and ONLY[row.name]) or (not ONLY and not (QUICK and row.full_only)
      and not row.on_demand) then
      io.stderr:write(("bench: %-26s"):format(row.name))
      local state = row.setup and row.setup() or nil
      local ours, theirs, also = {}, {}, {}
      local t0 = socket.gettime()
      local ok, err = pcall(function()
         for r = 1, ROUNDS do
            ours[r] = row.ours(state, r)
            theirs[r] = row.theirs(state, r)
            for k, f in pairs(row.also or {}) do
               also[k] = also[k] or {}
               also[k][r] = f(state, r)
            end
            io.stderr:write(".")
         end
      end)
      if state then
         for _, h in pairs(state) do lib.stop(h) end
      end
      if not ok then error(err, 0) end
      io.stderr:write((" %.1f s\n"):format(socket.gettime() - t0))
      local out = { name = row.name, what = row.what, ours = lib.median(ours),
         reference = lib.median(theirs), reference_name = row.ref, unit = row.unit,
         higher_is_better = row.hib, spread_ours_pct = lib.spread(ours),
         spread_reference_pct = lib.spread(theirs), rounds_ours = ours, rounds_reference = theirs }
      out.ratio = out.ours / out.reference
      for k, v in pairs(also) do
         out.also = out.also or {}
         out.also[k] = { median = lib.median(v), spread_pct = lib.spread(v), ratio = out.ours
            / lib.median(v) }
      end
      out.target = verdict(out, row.target)
      out.rounds_also = next(also) and also or nil
      result.rows[#result.rows + 1] = out
   end
end
lib.stop_all()
result.machine.load_at_end = (lib.readfile("/proc/loadavg") or ""):match("^(%S+ %S+ %S+)")
result.machine.seconds = math.floor(socket.gettime() - t_start + 0.5)

-- the table (Markdown, as the README shows it)
local m = result.machine
local lines = {
   ("machine: %d CPUs, %s, load %s -> %s, %s, %s; %s run, %d rounds each, %d s"):format(m.nproc,
      m.cpu, m.load_at_start, m.load_at_end, m.openssl, m.date, QUICK and "QUICK" or "full",
      ROUNDS, m.seconds),
   "",
   "| row | ours | reference | ratio | unit | spread ours / ref | target |",
   "|---|---:|---:|---:|---|---:|---|",
}
for _, r in ipairs(result.rows) do
   local ref = fmt(r.reference) .. " (" .. r.reference_name .. ")"
   for k, v in pairs(r.also or {}) do
      ref = ref .. "; " .. fmt(v.median) .. " (" .. k .. ", ratio " .. ("%.2f"):format(v.ratio)
         .. ")"
   end
   lines[#lines + 1] = ("| %s | %s | %s | %.2f | %s%s | %.0f%% / %.0f%% | %s |"):format(r.name,
      fmt(r.ours), ref, r.ratio, r.unit, r.higher_is_better and "" or " (lower is better)",
      r.spread_ours_pct, r.spread_reference_pct, r.target or "")
end
print(table.concat(lines, "\n"))
result.table = table.concat(lines, "\n")
os.execute("mkdir -p " .. lib.quote(OUT:match("^(.*)/") or "."))
lib.writefile(OUT, json.encode(result, { indent = true, keyorder = { "machine", "rows", "name",
   "what", "ours", "reference", "ratio", "unit", "higher_is_better" } }) .. "\n")
io.stderr:write("bench: wrote " .. OUT .. "\n")
os.execute("rm -rf " .. lib.quote(lib.tmpdir()))
