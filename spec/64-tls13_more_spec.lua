-- TLS 1.3 after and before the handshake, against real peers: post-handshake client
-- authentication (RFC 8446 4.6.2) with openssl s_client -enable_pha, gnutls-cli
-- --post-handshake-auth and openssl s_server's "c" command; 0-RTT (RFC 8446 2.3, 4.2.10) with
-- openssl s_client -early_data, gnutls-cli --earlydata, openssl s_server -early_data and
-- gnutls-serv --earlydata, accepted and rejected. Peers run on 127.0.0.1 only and are stopped
-- by the spec. (Engine-level cases, negative ones included: csrc/test/test_engine13b.c.)
local peers = require "support.peers"
local certs = require "support.certs"
local helpers = require "helpers"
local tls = require "moontls"
local server = require "support.moontls_server"
local socket = require "socket"

local pki = certs.get()

local function stop_everything()
   server.stop_all()
   peers.stop_all()
end

-- Wait (bounded) until the log of h holds `text`; returns the log.
local function wait_log(h, text)
   local log
   for _ = 1, 100 do
      log = h.log()
      if log:find(text, 1, true) then break end
      socket.sleep(0.05)
   end
   return log
end

local function connect(port, ctx, opts)
   local o = { context = ctx, server_name = "localhost", timeout = 5 }
   for k, v in pairs(opts or {}) do o[k] = v end
   return tls.connect("127.0.0.1", port, o)
end

describe("TLS 1.3 post-handshake authentication", function()
   teardown(stop_everything)

   it("moontls server asks openssl s_client -enable_pha and gnutls-cli after the handshake",
      function()
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 3, verify = "require",
            cafile = pki.client.ca, env = "MOONTLS_PHA=1" })
         local r = peers.openssl_client { port = srv.port, cafile = pki.cafile,
            servername = "localhost", input = "before\npha\n", expect = "pha ok",
            args = { "-tls1_3", "-enable_pha", "-cert", pki.client.cert, "-key", pki.client.key } }
         assert.matches("pha ok O=moontls test, CN=client", r.stdout, 1, true)
         assert.matches("before", r.stdout, 1, true)
         local g = peers.gnutls_client { port = srv.port, cafile = pki.cafile,
            servername = "localhost", input = "pha\n", expect = "pha ok",
            args = { "--post-handshake-auth", "--x509certfile=" .. pki.client.cert,
               "--x509keyfile=" .. pki.client.key } }
         assert.matches("pha ok O=moontls test, CN=client", g.stdout, 1, true)
         -- s_client offering it without a certificate: an empty Certificate, and a server that
         -- requires one ends the connection with certificate_required
         local bad = peers.openssl_client { port = srv.port, cafile = pki.cafile,
            servername = "localhost", input = "pha\n", hold = 1,
            args = { "-tls1_3", "-enable_pha" } }
         local log = wait_log(srv, "conn 3")
         srv.stop()
         -- no CertificateRequest in any handshake: the ok lines show no peer
         assert.matches("conn 1 ok TLSv1.3 .* peer=%-", log)
         assert.matches("conn 2 ok TLSv1.3 .* peer=%-", log)
         assert.matches("pha fail the peer sent no certificate", log, 1, true)
         assert.matches("certificate required", bad.stdout .. bad.stderr)
      end)

   it("moontls client answers openssl s_server's post-handshake CertificateRequest", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key,
         args = { "-tls1_3", "-verify_return_error", "-verifyCAfile", pki.client.ca } }
      local ctx = assert(tls.context { cafile = pki.cafile, certificate = pki.client.cert,
         key = pki.client.key })
      local f = assert(connect(srv.port, ctx))
      assert.is_true(f:info().post_handshake_auth)
      -- s_server's "c": SSL_verify_client_post_handshake, a CertificateRequest
      srv.write("c\n")
      socket.sleep(0.3)
      srv.write("after\n")
      assert.equals("after", f:receive("*l")) -- the request was answered on the way
      assert(f:send("from the client\n"))
      local log = wait_log(srv, "from the client")
      f:close()
      srv.stop()
      assert.matches("depth=0 O = moontls test, CN = client", log, 1, true)
      assert.matches("SSL_do_handshake -> 1", log, 1, true)
      assert.matches("from the client", log, 1, true)
   end)

   it("moontls both sides: twice on one connection, and refused to a client that did not offer",
      function()
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 2, verify = "optional",
            cafile = pki.client.ca, env = "MOONTLS_PHA=1" })
         local ctx = assert(tls.context { cafile = pki.cafile, certificate = pki.client.cert,
            key = pki.client.key })
         local f = assert(connect(srv.port, ctx))
         for i = 1, 2 do
            assert(f:send("line " .. i .. "\npha\n"))
            assert.equals("line " .. i, f:receive("*l"))
            assert.equals("pha ok O=moontls test, CN=client", f:receive("*l"))
         end
         f:send("quit\n")
         f:close()
         local plain = assert(tls.context { cafile = pki.cafile })
         local g = assert(connect(srv.port, plain))
         assert.is_false(g:info().post_handshake_auth)
         assert(g:send("pha\n"))
         assert.equals("pha fail the client did not offer post-handshake authentication",
            g:receive("*l"))
         g:close()
         srv.stop()
      end)
end)

describe("TLS 1.3 0-RTT", function()
   teardown(stop_everything)

   it("moontls server takes openssl s_client -early_data and gnutls-cli --earlydata", function()
      local dir = helpers.tmpdir()
      local ef = io.open(dir .. "/early", "w")
      ef:write("early hello\n")
      ef:close()
      local srv = server.start(pki.ec.cert, pki.ec.key, { count = 5,
         env = "MOONTLS_EARLY_DATA=16384" })
      local first = peers.openssl_client { port = srv.port, cafile = pki.cafile,
         servername = "localhost", input = "one\n", expect = "one",
         args = { "-tls1_3", "-sess_out", dir .. "/sess" } }
      assert.matches("Max Early Data: 16384", first.stdout, 1, true)
      -- twice with the same ticket: each ClientHello is new (the register keys on binders)
      for _ = 1, 2 do
         local again = peers.openssl_client { port = srv.port, cafile = pki.cafile,
            servername = "localhost", input = "two\n", expect = "two",
            args = { "-tls1_3", "-sess_in", dir .. "/sess", "-early_data", dir .. "/early" } }
         assert.is_true(again.info.reused, again.stdout)
         assert.matches("Early data was accepted", again.stdout, 1, true)
         assert.matches("early hello", again.stdout, 1, true) -- echoed from f:early_data()
      end
      local g = peers.gnutls_client { port = srv.port, cafile = pki.cafile,
         servername = "localhost", input = "x\n", hold = 2,
         args = { "--resume", "--earlydata=" .. dir .. "/early" } }
      assert.matches("This is a resumed session", g.stdout, 1, true)
      assert.matches("early hello", g.stdout, 1, true)
      local log = wait_log(srv, "conn 5")
      srv.stop()
      helpers.rmtree(dir)
      assert.matches("conn 2 ok TLSv1.3 .* early=accepted early_bytes=12", log)
      assert.matches("conn 3 ok TLSv1.3 .* early=accepted early_bytes=12", log)
      assert.matches("conn 5 ok TLSv1.3 .* early=accepted early_bytes=12", log)
   end)

   it("moontls server resumes openssl s_client -allow_no_dhe_kex with psk_ke when set",
      function()
         local dir = helpers.tmpdir()
         local got = {}
         for _, ke in ipairs { "1", "0" } do
            local srv = server.start(pki.ec.cert, pki.ec.key, { count = 2,
               env = "MOONTLS_PSK_KE=" .. ke })
            local r = {}
            for i, sess in ipairs { "-sess_out", "-sess_in" } do
               r[i] = peers.openssl_client { port = srv.port, cafile = pki.cafile,
                  servername = "localhost", input = "k\n", expect = "k",
                  args = { "-tls1_3", "-allow_no_dhe_kex", sess, dir .. "/sess" .. ke } }
            end
            local log = wait_log(srv, "conn 2")
            srv.stop()
            assert.is_true(r[2].info.reused, r[2].stdout)
            got[ke] = { log:match("conn 2 ok TLSv1%.3 [%w_]+ (%S*) ?alpn="),
               r[2].stdout:find("Server Temp Key", 1, true) ~= nil }
            assert.matches("conn 2 ok .* resumed", log)
         end
         helpers.rmtree(dir)
         -- psk_ke: no group, no server key share; else X25519 as usual
         assert.same({ ["1"] = { "", false }, ["0"] = { "x25519", true } }, got)
      end)

   it("moontls server without 0-RTT skips openssl s_client's early data", function()
      local dir = helpers.tmpdir()
      local ef = io.open(dir .. "/early", "w")
      ef:write(("skipped %s\n"):format(("x"):rep(3000)))
      ef:close()
      -- tickets from a server with early data; the same cache, no early data on the next
      local srv = server.start(pki.ec.cert, pki.ec.key, { count = 1,
         env = "MOONTLS_EARLY_DATA=16384" })
      peers.openssl_client { port = srv.port, cafile = pki.cafile, servername = "localhost",
         input = "one\n", expect = "one", args = { "-tls1_3", "-sess_out", dir .. "/sess" } }
      srv.stop()
      local other = server.start(pki.ec.cert, pki.ec.key, { count = 1 })
      local r = peers.openssl_client { port = other.port, cafile = pki.cafile,
         servername = "localhost", input = "after\n", expect = "after",
         args = { "-tls1_3", "-sess_in", dir .. "/sess", "-early_data", dir .. "/early" } }
      local log = wait_log(other, "conn 1")
      other.stop()
      helpers.rmtree(dir)
      assert.matches("Early data was rejected", r.stdout, 1, true)
      assert.not_matches("skipped", r.stdout, 1, true)
      assert.matches("after", r.stdout, 1, true)
      assert.matches("conn 1 ok TLSv1.3", log)
   end)

   it("moontls client sends early data to openssl s_server -early_data and gnutls-serv",
      function()
         local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key,
            args = { "-tls1_3", "-early_data" } }
         local ctx = assert(tls.context { cafile = pki.cafile, early_data = 16384 })
         local f = assert(connect(srv.port, ctx))
         srv.write("ticket\n")
         assert.equals("ticket", f:receive("*l"))
         local s = f:getsession()
         f:close()
         local f2 = assert(connect(srv.port, ctx, { session = s, early_data = "zero rtt\n" }))
         local info = f2:info()
         assert(f2:send("one rtt\n"))
         local log = wait_log(srv, "one rtt")
         f2:close()
         srv.stop()
         assert.equals("accepted", info.early_data)
         assert.equals(9, info.early_bytes)
         assert.is_true(info.resumed)
         -- (s_server prints the early data itself unbuffered, around its own lines)
         assert.matches("Early data received:", log, 1, true)
         assert.matches("zero rtt", log, 1, true)
         assert.matches("End of early data", log, 1, true)

         local gs = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "echo",
            args = { "--earlydata", "--maxearlydata=16384" } }
         local g = assert(connect(gs.port, ctx))
         assert(g:send("a\n"))
         assert.equals("a", g:receive("*l"))
         s = g:getsession()
         g:close()
         local g2 = assert(connect(gs.port, ctx, { session = s, early_data = "zero\n" }))
         assert.equals("accepted", g2:info().early_data)
         assert(g2:send("later\n"))
         assert.equals("later", g2:receive("*l"))
         g2:close()
         gs.stop()
      end)

   it("moontls client sends refused early data again as ordinary data", function()
      local a = server.start(pki.ec.cert, pki.ec.key, { count = 1,
         env = "MOONTLS_EARLY_DATA=16384" })
      local ctx = assert(tls.context { cafile = pki.cafile, early_data = 16384 })
      local f = assert(connect(a.port, ctx))
      assert(f:send("hi\n"))
      assert.equals("hi", f:receive("*l"))
      local s = f:getsession()
      f:send("quit\n")
      f:close()
      a.stop()
      -- another server: the ticket is unknown there, a full handshake rejects the early data
      local b = server.start(pki.ec.cert, pki.ec.key, { count = 1,
         env = "MOONTLS_EARLY_DATA=16384" })
      local g = assert(connect(b.port, ctx, { session = s, early_data = "first\n" }))
      assert.equals("rejected", g:info().early_data)
      assert.is_false(g:info().resumed)
      assert(g:send("second\n"))
      assert.equals("first", g:receive("*l"))
      assert.equals("second", g:receive("*l"))
      g:send("quit\n")
      g:close()
      local log = wait_log(b, "conn 1")
      b.stop()
      assert.matches("conn 1 ok TLSv1.3 .* early=rejected early_bytes=0", log)
   end)
end)

describe("RSA-PSS keys (id-RSASSA-PSS)", function()
   teardown(stop_everything)
   local dir
   setup(function()
      dir = helpers.tmpdir()
      local gen = "openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 "
      assert(helpers.run(gen .. "-out " .. dir .. "/any.key"))
      assert(helpers.run(gen .. "-pkeyopt rsa_pss_keygen_md:sha256 -pkeyopt "
         .. "rsa_pss_keygen_mgf1_md:sha256 -pkeyopt rsa_pss_keygen_saltlen:32 -out "
         .. dir .. "/sha256.key"))
      -- a self-signed RSA-PSS certificate for localhost (its own trust anchor)
      assert(helpers.run(("openssl req -x509 -key %s/any.key -out %s/cert.pem -days 2 "
         .. "-subj /CN=localhost -addext subjectAltName=DNS:localhost"):format(dir, dir)))
   end)
   lazy_teardown(function() helpers.rmtree(dir) end)

   it("loads OpenSSL's keys, signs with PSS only, and OpenSSL checks the signatures", function()
      for _, name in ipairs { "any", "sha256" } do
         local k = assert(tls.keys.load(helpers.slurp(dir .. "/" .. name .. ".key")))
         assert.equals("rsa-pss", k:type())
         assert.equals(2048, k:bits())
         local sig = assert(k:sign("moontls pss", "sha256"))
         assert.is_true(k:public():verify("moontls pss", sig, "sha256"))
         local f = assert(io.open(dir .. "/data", "w"))
         f:write("moontls pss")
         f:close()
         f = assert(io.open(dir .. "/sig", "wb"))
         f:write(sig)
         f:close()
         f = assert(io.open(dir .. "/pub.pem", "w"))
         f:write(k:public():pem())
         f:close()
         local ok, _, out = helpers.run(("openssl dgst -sha256 -sigopt rsa_padding_mode:pss "
            .. "-sigopt rsa_pss_saltlen:32 -verify %s/pub.pem -signature %s/sig %s/data")
            :format(dir, dir, dir))
         assert.is_true(ok, out)
         assert.matches("Verified OK", out)
         -- the key written back is one OpenSSL reads as RSA-PSS, parameters kept
         f = assert(io.open(dir .. "/back.pem", "w"))
         f:write(k:pem())
         f:close()
         ok, _, out = helpers.run("openssl pkey -in " .. dir .. "/back.pem -noout -text")
         assert.is_true(ok, out)
         assert.matches("PSS parameter restrictions", out)
         if name == "sha256" then
            assert.matches("Hash Algorithm: SHA2%-256", out)
            assert.matches("Minimum Salt Length: 32", out)
            -- restricted to SHA-256
            local bad = k:sign("x", "sha384")
            assert.is_nil(bad)
         end
      end
   end)

   it("serves and verifies an RSA-PSS certificate with openssl (rsa_pss_pss_sha256)", function()
      local cert, key = dir .. "/cert.pem", dir .. "/any.key"
      local srv = server.start(cert, key, { count = 2 })
      for _, v in ipairs { "-tls1_3", "-tls1_2" } do
         local r = peers.openssl_client { port = srv.port, cafile = cert, servername = "localhost",
            input = "pss\n", expect = "pss", args = { v, "-sigalgs", "rsa_pss_pss_sha256" } }
         assert.equals(0, r.info.verify_code, r.stdout)
         assert.matches("Peer signature type: RSA%-PSS", r.stdout)
      end
      srv.stop()
      local os_srv = peers.openssl_server { cert = cert, key = key, www = true,
         args = { "-tls1_3" } }
      local ctx = assert(tls.context { cafile = cert })
      local f = assert(connect(os_srv.port, ctx))
      assert.equals(0x0809, f:info().sigalg)
      f:close()
      os_srv.stop()
   end)
end)
