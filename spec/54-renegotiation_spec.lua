-- Secure renegotiation (RFC 5746) against real peers, started by either side:
--   moontls server  <- openssl s_client ("R" on its stdin; "reneg" line: our HelloRequest)
--   moontls server  <- gnutls-cli --rehandshake (and our HelloRequest)
--   moontls client  -> openssl s_server ("r" / "R" on its stdin: its HelloRequest; and ours)
--   moontls client  -> gnutls-serv ("**REHANDSHAKE**": its HelloRequest; and ours)
-- and renegotiation = false refusing. Peers run on 127.0.0.1 only, on free ports.
local peers = require "support.peers"
local certs = require "support.certs"
local server = require "support.moontls_server"
-- renegotiation exists in TLS 1.2 only: every peer here is held to it
local TLS12 = "MOONTLS_MAX_VERSION=tls1.2"
local tls = require "moontls"
local core = require "moontls.core"
local socket = require "socket"

local pki = certs.get()

local function stop_everything()
   server.stop_all()
   peers.stop_all()
end

-- Runs a client command (a list) feeding it `steps` on stdin one after another, `gap` seconds
-- apart: the tools look for their command letters at the start of each read of stdin. Returns
-- its stdout and stderr together. Bounded by `timeout` (coreutils).
local function timed_client(argv, steps, gap)
   local feed = {}
   for i, s in ipairs(steps) do
      feed[i] = ("printf '%%s\\n' '%s'; sleep %s"):format(s, gap or 0.4)
   end
   local cmd = ("(%s) 2>/dev/null | timeout -k 1 15 %s 2>&1"):format(table.concat(feed, "; "),
      table.concat(argv, " "))
   local p = assert(io.popen(cmd))
   local out = p:read("a")
   p:close()
   return out
end

-- Waits (bounded) until the server log matches `pattern`; returns the log.
local function log_until(h, pattern)
   local log
   for _ = 1, 100 do
      log = h.log()
      if log:find(pattern) then break end
      socket.sleep(0.05)
   end
   return log
end

-- Waits (bounded) until an openssl s_server log holds `text`.
local function peer_log_until(h, text)
   local log
   for _ = 1, 100 do
      log = h.log()
      if log:find(text, 1, true) then break end
      socket.sleep(0.05)
   end
   return log
end

-- Reads lines (bounded, 5 s) until the connection counts n renegotiations and `want` came;
-- the renegotiation runs while we read, as application data keeps flowing through it. Returns
-- the lines read.
local function read_until(f, n, want)
   local lines, due = {}, socket.gettime() + 5
   f:settimeout(0.1)
   while socket.gettime() < due do
      local line, err, partial = f:receive("*l")
      if line then
         lines[#lines + 1] = line
      elseif err ~= "timeout" then
         error("receive: " .. tostring(err))
      elseif partial ~= "" then
         error("partial line: " .. partial)
      end
      if f:info().renegotiations >= n and lines[#lines] == want then break end
   end
   f:settimeout(5)
   return lines
end

local function count(s, plain)
   local n, i = 0, 1
   while true do
      local j = s:find(plain, i, true)
      if not j then return n end
      n, i = n + 1, j + #plain
   end
end

describe("renegotiation against real peers", function()
   after_each(stop_everything)

   it("moontls server: openssl s_client renegotiates (R), then we do (HelloRequest)", function()
      local srv = server.start(pki.ec.cert, pki.ec.key, { count = 1, env = TLS12 })
      local out = timed_client({ "openssl", "s_client", "-tls1_2", "-connect",
         "127.0.0.1:" .. srv.port, "-CAfile", pki.cafile },
         { "hello", "R", "after-client", "reneg", "after-server", "quit" })
      -- s_client: RENEGOTIATING, then the handshake again (each verifies the chain: one
      -- "verify return:1" per certificate, two certificates per handshake)
      assert.truthy(out:find("RENEGOTIATING", 1, true), out)
      assert.equal(6, count(out, "verify return:1"), out)
      assert.truthy(out:find("RENEGOTIATING.*\nafter%-client\n.*reneg ok 2\nafter%-server\n"), out)
      assert.truthy(out:find("Secure Renegotiation IS supported", 1, true))
      assert.matches("conn 1 end renegotiations=2", log_until(srv, "conn 1 end"))
   end)

   it("moontls server: gnutls-cli --rehandshake, then our HelloRequest", function()
      if not peers.available().gnutls_cli then return end
      local srv = server.start(pki.ec.cert, pki.ec.key, { count = 1, env = TLS12 })
      local out = timed_client({ "gnutls-cli", "--x509cafile", pki.cafile, "--rehandshake",
         "-p", tostring(srv.port), "localhost" }, { "hello", "reneg", "after", "quit" })
      assert.truthy(out:find("ReHandshake was completed", 1, true), out)
      assert.truthy(out:find("Received rehandshake request", 1, true), out)
      assert.truthy(out:find("Rehandshake was performed", 1, true), out)
      assert.truthy(out:find("safe renegotiation", 1, true), out)
      assert.truthy(out:find("reneg ok 2\nafter\n", 1, true), out)
      assert.matches("conn 1 end renegotiations=2", log_until(srv, "conn 1 end"))
   end)

   it("moontls client: openssl s_server renegotiates (r, R), then we do", function()
      -- OpenSSL 3.0 refuses client-initiated renegotiation unless told otherwise
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key,
         args = { "-tls1_2", "-CAfile", pki.cafile, "-client_renegotiation" } }
      -- with a client certificate: "R" asks for one in the renegotiation
      local ctx = assert(tls.context { cafile = pki.cafile, max_version = "tls1.2",
         certificate = pki.client.cert,
         key = pki.client.key })
      local f = assert(tls.connect("127.0.0.1", srv.port, { context = ctx,
         server_name = "localhost", timeout = 5 }))
      assert.is_true(f:info().secure_renegotiation)
      -- s_server reads a command letter only at the start of a read of its stdin
      srv.write("r\n")
      socket.sleep(0.2)
      srv.write("one\n")
      assert.same({ "one" }, read_until(f, 1, "one")) -- the HelloRequest answered on the way
      assert.equal(1, f:info().renegotiations)
      srv.write("R\n")
      socket.sleep(0.2)
      srv.write("two\n")
      assert.same({ "two" }, read_until(f, 2, "two"))
      assert.equal(2, f:info().renegotiations)
      -- s_server verified our certificate in the second renegotiation
      local seen = "depth=0 O = moontls test, CN = client\nverify return:1"
      assert.truthy(peer_log_until(srv, seen):find(seen, 1, true), srv.log())
      -- and we start one: s_server takes it, data flows both ways after
      assert(f:renegotiate())
      assert.equal(3, f:info().renegotiations)
      assert(f:send("from-client\n"))
      assert.truthy(peer_log_until(srv, "from-client"):find("from-client", 1, true))
      srv.write("three\n")
      assert.equal("three", f:receive("*l"))
      f:close()
   end)

   it("moontls client: openssl s_server's default refusal leaves the connection going", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key,
         args = { "-tls1_2" } }
      local ctx = assert(tls.context { cafile = pki.cafile, max_version = "tls1.2" })
      local f = assert(tls.connect("127.0.0.1", srv.port, { context = ctx,
         server_name = "localhost", timeout = 5 }))
      -- six times: more no_renegotiation warnings than a flood allows in a row (4), with data
      -- in between
      for _ = 1, 6 do
         local ok, err, code = f:renegotiate()
         assert.is_nil(ok)
         assert.equal("renegotiation refused by peer", err)
         assert.equal("no_renegotiation", code)
         assert.equal(0, f:info().renegotiations)
         assert(f:send("still-here\n"))
         assert.truthy(peer_log_until(srv, "still-here"):find("still-here", 1, true))
         srv.write("and-here\n")
         assert.equal("and-here", f:receive("*l"))
      end
      f:close()
   end)

   it("moontls client: gnutls-serv renegotiates (**REHANDSHAKE**), then we do", function()
      if not peers.available().gnutls_serv then return end
      local srv = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "echo" }
      local ctx = assert(tls.context { cafile = pki.cafile, max_version = "tls1.2" })
      local f = assert(tls.connect("127.0.0.1", srv.port, { context = ctx,
         server_name = "localhost", timeout = 5 }))
      assert(f:send("**REHANDSHAKE**\n"))
      assert(f:send("ping\n"))
      -- gnutls-serv answers the command with a line of its own, then echoes
      local lines = read_until(f, 1, "ping")
      assert.equal("ping", lines[#lines], table.concat(lines, "|"))
      assert.equal(1, f:info().renegotiations)
      assert(f:renegotiate())
      assert.equal(2, f:info().renegotiations)
      assert(f:send("pong\n"))
      assert.equal("pong", f:receive("*l"))
      f:close()
   end)

   it("renegotiation = false: refused both ways, as the peers react to it", function()
      -- our server refuses s_client's R with a no_renegotiation warning; OpenSSL 3.0's
      -- client treats that as fatal ("no renegotiation") and ends the connection
      local srv = server.start(pki.ec.cert, pki.ec.key, { count = 2,
         env = "MOONTLS_RENEGOTIATION=0 " .. TLS12 })
      local out = timed_client({ "openssl", "s_client", "-tls1_2", "-connect",
         "127.0.0.1:" .. srv.port, "-CAfile", pki.cafile }, { "hello", "R", "after", "quit" })
      assert.truthy(out:find("RENEGOTIATING", 1, true), out)
      assert.truthy(out:find("no renegotiation", 1, true), out)
      assert.falsy(out:find("\nafter\n", 1, true), out)
      -- our own request fails locally, the connection goes on
      out = timed_client({ "openssl", "s_client", "-tls1_2", "-connect",
         "127.0.0.1:" .. srv.port, "-CAfile", pki.cafile }, { "reneg", "after", "quit" })
      assert.truthy(out:find("reneg fail renegotiation is disabled by the context\nafter\n", 1,
         true), out)
      assert.falsy(srv.log():find("renegotiations=", 1, true))

      -- our client: its own request fails locally and the connection goes on; s_server's
      -- HelloRequest gets the no_renegotiation warning, which OpenSSL 3.0's server answers
      -- with a fatal handshake_failure
      local ssrv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key,
         args = { "-tls1_2" } }
      local ctx = assert(tls.context { cafile = pki.cafile, max_version = "tls1.2",
         renegotiation = false })
      local f = assert(tls.connect("127.0.0.1", ssrv.port, { context = ctx,
         server_name = "localhost", timeout = 5 }))
      local ok, err, code = f:renegotiate()
      assert.is_nil(ok)
      assert.equal("renegotiation_disabled", code, err)
      assert(f:send("more\n"))
      assert.truthy(peer_log_until(ssrv, "more"):find("more", 1, true), ssrv.log())
      ssrv.write("r\n")
      socket.sleep(0.2)
      ssrv.write("still\n")
      local line, rerr = f:receive("*l")
      if line == "still" then -- written before s_server read our warning
         line, rerr = f:receive("*l")
      end
      assert.is_nil(line)
      assert.equal("handshake_failure alert received", rerr)
      assert.truthy(peer_log_until(ssrv, "no renegotiation"):find("no renegotiation", 1, true),
         ssrv.log())
      assert.equal(0, f:info().renegotiations)
      f:close()
   end)
end)

describe("conn:renegotiate() in memory (two engines, no sockets)", function()
   -- moves records both ways until nothing moves; returns the plaintext each side read
   local function pump(c, s)
      local got = { [c] = "", [s] = "" }
      for _ = 1, 100 do
         local moved = false
         for _, pair in ipairs { { c, s }, { s, c } } do
            local from, to = pair[1], pair[2]
            local out = from:pending()
            if #out > 0 then
               local used = assert(to:feed(out))
               from:sent(used)
               moved = moved or used > 0
            end
            while to:status().readable do got[to] = got[to] .. assert(to:read()) end
         end
         if not moved then return got[c], got[s] end
      end
      error("pump: no end")
   end

   local function connected_pair(sopts, copts)
      sopts.mode, sopts.certificate, sopts.key = "server", pki.ec.cert, pki.ec.key
      sopts.max_version, copts.max_version = "tls1.2", "tls1.2" -- renegotiation is TLS 1.2's
      copts.mode, copts.verify = "client", "none"
      local s = core.file_new(assert(tls.context(sopts)).core)
      local c = core.file_new(assert(tls.context(copts)).core, "localhost")
      pump(c, s)
      assert.is_true(c:status().connected and s:status().connected)
      return c, s
   end

   it("runs both ways with data written while it is in flight", function()
      local c, s = connected_pair({}, {})
      assert.is_true(c:info().secure_renegotiation)
      for i, starter in ipairs { c, s, c } do
         assert.is_true(starter:renegotiate())
         assert.is_true(starter:status().handshaking)
         assert.is_true(starter:status().connected)
         assert(c:write("from client " .. i))
         assert(s:write("from server " .. i))
         local at_c, at_s = pump(c, s)
         assert.equal("from server " .. i, at_c)
         assert.equal("from client " .. i, at_s)
         assert.is_false(c:status().handshaking or s:status().handshaking)
         assert.equal(i, c:info().renegotiations)
         assert.equal(i, s:info().renegotiations)
      end
      assert.is_true(c:renegotiate())
      local ok, err, code = c:renegotiate()
      assert.is_nil(ok)
      assert.equal("renegotiation_pending", code, err)
   end)

   it("renegotiation = false refuses: a warning to the peer, an error locally", function()
      local c, s = connected_pair({ renegotiation = false }, {})
      local ok, _, code = s:renegotiate()
      assert.is_nil(ok)
      assert.equal("renegotiation_disabled", code)
      assert.is_true(c:renegotiate())
      assert(c:write("after"))
      local _, at_s = pump(c, s)
      assert.equal("after", at_s)
      assert.is_false(c:status().handshaking)
      assert.equal(0, c:info().renegotiations)
      assert.is_true(c:status().connected and s:status().connected)
   end)

   it("the context option is a boolean", function()
      assert.has_error(function()
         tls.context { mode = "client", renegotiation = "no" }
      end, "renegotiation must be a boolean")
   end)
end)
