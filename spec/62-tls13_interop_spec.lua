-- TLS 1.3 (RFC 8446) against real peers, both directions: every suite the peer has, every
-- group, HelloRetryRequest forced by the group order, client certificates, ALPN, SNI
-- certificate choice and the key log (the five NSS lines, compared with OpenSSL's), with
-- openssl s_server/s_client, gnutls-serv/gnutls-cli, curl and python3's ssl. Peers run on
-- 127.0.0.1 only and are stopped by the spec.
local peers = require "support.peers"
local certs = require "support.certs"
local helpers = require "helpers"
local tls = require "moontls"
local server = require "support.moontls_server"

local pki = certs.get()
local ECHO = "moontls tls13 line"

local SUITES = { "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
   "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256" }
-- our name -> OpenSSL's, GnuTLS's
local GROUPS = {
   { "x25519", "X25519", "GROUP-X25519" }, { "secp256r1", "P-256", "GROUP-SECP256R1" },
   { "secp384r1", "P-384", "GROUP-SECP384R1" }, { "secp521r1", "P-521", "GROUP-SECP521R1" },
   { "x448", "X448", "GROUP-X448" }, { "ffdhe2048", "ffdhe2048", "GROUP-FFDHE2048" },
   { "ffdhe3072", "ffdhe3072", "GROUP-FFDHE3072" }, { "ffdhe4096", "ffdhe4096", "GROUP-FFDHE4096" },
}

local function stop_everything()
   server.stop_all()
   peers.stop_all()
end

-- moontls client: GET / over TLS; returns the page (or nil, error) and our info().
local function fetch(port, opts)
   local o = { cafile = pki.cafile }
   for k, v in pairs(opts or {}) do o[k] = v end
   local session = o.session
   o.session = nil
   local ctx = o.ctx or assert(tls.context(o))
   local f, err = tls.connect("127.0.0.1", port, { context = ctx, server_name = "localhost",
      timeout = 5, session = session })
   if not f then return nil, err end
   local info = f:info()
   assert(f:send("GET / HTTP/1.0\r\n\r\n"))
   local body, _, partial = f:receive("*a")
   local s = f:getsession() -- TLS 1.3: the ticket that came after the handshake
   f:close()
   return body or partial, info, s
end

-- Lines of a key log file, as a set.
local function lines(path)
   local f = assert(io.open(path))
   local set, n = {}, 0
   for l in f:read("a"):gmatch("[^\n]+") do
      set[l] = true
      n = n + 1
   end
   f:close()
   return set, n
end

-- Wait (bounded) for the server's "conn N ..." line.
local function conn_line(h, n)
   for _ = 1, 100 do
      local line = h.log():match("conn " .. (n or 1) .. " [^\n]*")
      if line then return line end
      require("socket").sleep(0.05)
   end
   return h.log()
end

describe("TLS 1.3 moontls client", function()
   teardown(stop_everything)

   it("runs every suite with openssl s_server and gnutls-serv", function()
      for _, suite in ipairs(SUITES) do
         local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
            args = { "-tls1_3", "-ciphersuites", suite } }
         -- (CCM_8 is not among our defaults: each suite is asked for by name)
         local page, info = fetch(srv.port, { ciphers = { suite } })
         srv.stop()
         assert.is_string(page, info)
         assert.equals("TLSv1.3", info.version)
         assert.equals(suite, info.cipher)
         assert.equals("TLSv1.3", peers.parse_openssl_www(page).protocol)
         local g = peers.gnutls_server { cert = pki.rsa.cert, key = pki.rsa.key, mode = "http",
            priority = peers.gnutls_priority(suite) }
         page, info = fetch(g.port, { ciphers = { suite } })
         g.stop()
         assert.is_string(page, info)
         assert.equals("TLSv1.3", info.version)
         assert.equals(suite, info.cipher)
      end
   end)

   it("runs every group with openssl s_server and gnutls-serv", function()
      for _, grp in ipairs(GROUPS) do
         local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
            args = { "-tls1_3", "-groups", grp[2] } }
         local page, info = fetch(srv.port, { groups = { grp[1] } })
         srv.stop()
         assert.is_string(page, info)
         assert.equals(grp[1], info.group)
         local g = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "http",
            priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+" .. grp[3] }
         page, info = fetch(g.port, { groups = { grp[1] } })
         g.stop()
         assert.is_string(page, info)
         assert.equals(grp[1], info.group)
      end
   end)

   it("answers a HelloRetryRequest (the server takes only our second group)", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
         args = { "-tls1_3", "-groups", "P-384" } }
      local page, info = fetch(srv.port, { groups = { "x25519", "secp384r1" } })
      srv.stop()
      assert.is_string(page, info)
      assert.equals("secp384r1", info.group)
      local g = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "http",
         priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-FFDHE2048" }
      page, info = fetch(g.port, { groups = { "x25519", "ffdhe2048" } })
      g.stop()
      assert.is_string(page, info)
      assert.equals("ffdhe2048", info.group)
   end)

   it("negotiates ALPN and sends a client certificate to openssl s_server -Verify", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
         args = { "-tls1_3", "-alpn", "http/1.1", "-Verify", "1", "-CAfile", pki.client.ca,
            "-verify_return_error" } }
      local page, info = fetch(srv.port, { alpn = { "h2", "http/1.1" },
         certificate = pki.client.cert, key = pki.client.key })
      assert.is_string(page, info)
      assert.equals("http/1.1", info.alpn)
      assert.equals("TLSv1.3", info.version)
      -- without a certificate the server refuses (certificate_required)
      local nopage = fetch(srv.port, { alpn = { "http/1.1" } })
      srv.stop()
      assert.is_true(nopage == nil or not nopage:find("TLSv1.3", 1, true))
   end)

   it("writes the key log lines openssl s_server writes", function()
      local dir = helpers.tmpdir()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
         args = { "-tls1_3", "-keylogfile", dir .. "/theirs" } }
      local page = fetch(srv.port, { keylog = dir .. "/ours" })
      srv.stop()
      assert.is_string(page)
      local ours, n = lines(dir .. "/ours")
      local theirs = lines(dir .. "/theirs")
      helpers.rmtree(dir)
      assert.equals(5, n)
      for l in pairs(ours) do assert.is_true(theirs[l], l) end
   end)

   it("resumes with the tickets of openssl s_server and gnutls-serv (PSK with ECDHE)", function()
      local ctx = assert(tls.context { cafile = pki.cafile })
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
         args = { "-tls1_3" } }
      local page, info, session = fetch(srv.port, { ctx = ctx })
      assert.is_string(page, info)
      assert.is_false(info.resumed)
      assert.is_not_nil(session)
      local page2, info2 = fetch(srv.port, { ctx = ctx, session = session })
      srv.stop()
      assert.is_true(info2.resumed)
      assert.is_true(peers.parse_openssl_www(page2).reused)
      local g = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "http" }
      page, info, session = fetch(g.port, { ctx = ctx })
      assert.is_string(page, info)
      assert.is_not_nil(session)
      local _, info3 = fetch(g.port, { ctx = ctx, session = session })
      g.stop()
      assert.is_true(info3.resumed)
      assert.equals("TLSv1.3", info3.version)
   end)

   it("updates keys both ways with openssl s_server (its K and k, our key_update)", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key,
         args = { "-tls1_3" } }
      local ctx = assert(tls.context { cafile = pki.cafile })
      local f = assert(tls.connect("127.0.0.1", srv.port, { context = ctx,
         server_name = "localhost", timeout = 5 }))
      -- s_server's "K": a KeyUpdate asking us to update too; "k": one that does not
      -- (a command is a line of its own: one read of s_server's stdin)
      for i, cmd in ipairs { "K", "k", "K" } do
         srv.write(cmd .. "\n")
         require("socket").sleep(0.3)
         srv.write("line " .. i .. "\n")
         assert.equals("line " .. i, f:receive("*l"))
      end
      -- ours: one asking s_server to update, one not; data still flows both ways
      for i, request in ipairs { true, false } do
         assert(f.conn:key_update(request))
         assert(f:send("ours " .. i .. "\n"))
         srv.write("back " .. i .. "\n")
         assert.equals("back " .. i, f:receive("*l"))
      end
      f:close()
      local log
      for _ = 1, 50 do
         log = srv.log()
         if log:find("ours 2", 1, true) then break end
         require("socket").sleep(0.05)
      end
      srv.stop()
      assert.truthy(log:find("ours 1", 1, true), log)
      -- s_server read what we sent under our updated keys
      assert.truthy(log:find("ours 2", 1, true), log)
   end)

   it("falls back to TLS 1.2 with 1.2-only openssl s_server and gnutls-serv", function()
      -- the same ClientHello, offering 1.3 and 1.2 (the downgrade sentinel: test_engine13.c)
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
         args = { "-tls1_2" } }
      local page, info = fetch(srv.port)
      srv.stop()
      assert.is_string(page, info)
      assert.equals("TLSv1.2", info.version)
      local g = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "http",
         priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2" }
      page, info = fetch(g.port)
      g.stop()
      assert.is_string(page, info)
      assert.equals("TLSv1.2", info.version)
   end)
end)

describe("TLS 1.3 moontls server", function()
   teardown(stop_everything)

   it("serves every suite to openssl s_client and gnutls-cli", function()
      for _, suite in ipairs(SUITES) do
         local srv = server.start(pki.ec.cert, pki.ec.key, { ciphers = { suite }, count = 2 })
         local r = peers.openssl_client { port = srv.port, cafile = pki.cafile,
            servername = "localhost", args = { "-tls1_3", "-ciphersuites", suite },
            input = ECHO .. "\n", expect = ECHO }
         assert.matches(ECHO, r.stdout, 1, true)
         assert.equals("TLSv1.3", r.info.protocol)
         assert.equals(suite, r.info.cipher)
         local g = peers.gnutls_client { port = srv.port, cafile = pki.cafile,
            servername = "localhost", priority = peers.gnutls_priority(suite),
            input = ECHO .. "\n", expect = ECHO }
         assert.matches(ECHO, g.stdout, 1, true)
         assert.matches("conn 2 ok TLSv1.3 " .. suite, conn_line(srv, 2))
         srv.stop()
      end
   end)

   it("takes every group from openssl s_client", function()
      local srv = server.start(pki.ec.cert, pki.ec.key, { count = #GROUPS,
         env = "MOONTLS_GROUPS=" .. table.concat((function()
            local t = {}
            for i, g in ipairs(GROUPS) do t[i] = g[1] end
            return t
         end)(), ",") })
      for i, grp in ipairs(GROUPS) do
         local r = peers.openssl_client { port = srv.port, cafile = pki.cafile,
            args = { "-tls1_3", "-groups", grp[2] }, input = ECHO .. "\n", expect = ECHO }
         assert.matches(ECHO, r.stdout, 1, true)
         assert.matches("conn " .. i .. " ok TLSv1.3 %S+ " .. grp[1], conn_line(srv, i))
      end
      srv.stop()
   end)

   it("sends a HelloRetryRequest when the client's share is for a group it does not take",
      function()
         -- s_client sends a share for its first group only; ffdhe4096 is not in our defaults
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 1 })
         local r = peers.openssl_client { port = srv.port, cafile = pki.cafile,
            input = ECHO .. "\n", expect = ECHO,
            args = { "-tls1_3", "-groups", "ffdhe4096:P-256", "-msg" } }
         assert.matches(ECHO, r.stdout, 1, true)
         -- the ServerHello with the HelloRetryRequest random, then the real one
         local hellos = 0
         for _ in r.stdout:gmatch("<<< [^\n]*ServerHello") do hellos = hellos + 1 end
         assert.equals(2, hellos, r.stdout)
         assert.matches("conn 1 ok TLSv1.3 %S+ secp256r1", conn_line(srv))
         srv.stop()
      end)

   it("serves curl and python's ssl, with ALPN", function()
      local srv = server.start(pki.ec.cert, pki.ec.key, { mode = "www",
         alpn = { "h2", "http/1.1" } })
      local r = peers.curl { port = srv.port, cafile = pki.cafile,
         args = { "--http1.1", "--tlsv1.3" } }
      assert.is_true(r.ok, r.stderr .. srv.log())
      assert.matches("version: TLSv1.3", r.stdout)
      assert.equals("http/1.1", r.info.alpn)
      local py = peers.python_client { port = srv.port, cafile = pki.cafile,
         servername = "localhost", alpn = { "http/1.1" }, input = "GET / HTTP/1.0\r\n\r\n" }
      assert.is_true(py.ok, py.stderr .. srv.log())
      assert.equals("TLSv1.3", py.info.version)
      assert.equals("http/1.1", py.info.alpn)
      srv.stop()
   end)

   it("asks openssl s_client for its certificate (require)", function()
      local srv = server.start(pki.ec.cert, pki.ec.key, { count = 2, verify = "require",
         cafile = pki.client.ca })
      local r = peers.openssl_client { port = srv.port, cafile = pki.cafile,
         args = { "-tls1_3", "-cert", pki.client.cert, "-key", pki.client.key },
         input = ECHO .. "\n", expect = ECHO }
      assert.matches(ECHO, r.stdout, 1, true)
      assert.matches("conn 1 ok TLSv1.3 .* peer=", conn_line(srv, 1))
      local bad = peers.openssl_client { port = srv.port, cafile = pki.cafile,
         args = { "-tls1_3" }, input = ECHO .. "\n", hold = 1 }
      assert.matches("certificate required", bad.stdout .. bad.stderr)
      srv.stop()
   end)

   it("picks the certificate by SNI", function()
      local dir = helpers.tmpdir()
      assert(os.execute(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
         .. "-nodes -keyout %s/o.key -out %s/o.crt -days 2 -subj /CN=other.test "
         .. "-addext subjectAltName=DNS:other.test 2>/dev/null"):format(dir, dir)))
      local srv = server.start(pki.ec.cert, pki.ec.key,
         { extra = dir .. "/o.crt:" .. dir .. "/o.key" })
      local other = peers.openssl_client { port = srv.port, servername = "other.test",
         args = { "-tls1_3", "-showcerts" }, input = ECHO .. "\n", expect = ECHO }
      local default = peers.openssl_client { port = srv.port, servername = "localhost",
         args = { "-tls1_3", "-showcerts" }, input = ECHO .. "\n", expect = ECHO }
      helpers.rmtree(dir)
      srv.stop()
      assert.matches("subject=CN = other.test", other.stdout)
      assert.not_matches("subject=CN = other.test", default.stdout)
      assert.equals("TLSv1.3", other.info.protocol)
   end)

   it("issues tickets that gnutls-cli --resume and openssl s_client -sess_in resume", function()
      local srv = server.start(pki.ec.cert, pki.ec.key, { count = 4 })
      local g = peers.gnutls_client { port = srv.port, args = { "--resume" },
         cafile = pki.cafile, servername = "localhost", input = ECHO .. "\n", expect = ECHO }
      assert.is_true(g.info.resumed, g.stdout .. g.stderr)
      local dir = helpers.tmpdir()
      local first = peers.openssl_client { port = srv.port, cafile = pki.cafile,
         args = { "-tls1_3", "-sess_out", dir .. "/sess" }, input = ECHO .. "\n", hold = 1 }
      assert.matches("Post-Handshake New Session Ticket", first.stdout, 1, true)
      local again = peers.openssl_client { port = srv.port, cafile = pki.cafile,
         args = { "-tls1_3", "-sess_in", dir .. "/sess" }, input = ECHO .. "\n", expect = ECHO }
      helpers.rmtree(dir)
      srv.stop()
      assert.is_true(again.info.reused, again.stdout)
   end)

   it("writes the key log lines openssl s_client writes", function()
      local dir = helpers.tmpdir()
      local srv = server.start(pki.ec.cert, pki.ec.key, { keylog = dir .. "/ours" })
      local r = peers.openssl_client { port = srv.port, input = ECHO .. "\n", expect = ECHO,
         args = { "-tls1_3", "-keylogfile", dir .. "/theirs" }, cafile = pki.cafile }
      assert.matches(ECHO, r.stdout, 1, true)
      require("socket").sleep(0.2)
      srv.stop()
      local ours, n = lines(dir .. "/ours")
      local theirs = lines(dir .. "/theirs")
      helpers.rmtree(dir)
      assert.equals(5, n)
      for l in pairs(ours) do assert.is_true(theirs[l], l) end
   end)
end)
