-- The interop harness (spec/support/peers.lua, spec/support/certs.lua) with real peers
-- talking to each other: no moontls TLS involved. Proves that servers start, listen on
-- loopback only, stop for good, fail fast; that clients get input, time out, and that the
-- parsers read what the peers report. Also re-checks the suite facts recorded in peers.lua.
local socket = require "socket"
local peers = require "support.peers"
local certs = require "support.certs"

local GET = "GET / HTTP/1.0\r\n\r\n"

local function group_alive(pgid)
   local p = assert(io.popen("pgrep -g " .. pgid))
   local out = p:read("a")
   p:close()
   for pid in out:gmatch("%d+") do
      local f = io.open("/proc/" .. pid .. "/stat")
      if f then
         local st = f:read("a"):match("^%d+ %b() (%a)")
         f:close()
         if st ~= "Z" then
            return true
         end
      end
   end
   return false
end

local function lines_of(cmd)
   local p = assert(io.popen(cmd))
   local out = p:read("a")
   p:close()
   return out
end

describe("interop harness", function()
   local pki

   setup(function()
      pki = certs.get()
   end)

   after_each(function()
      peers.stop_all()
      assert.are.same({}, peers.running())
   end)

   it("finds every peer tool (tools/deps installs them)", function()
      local a = peers.available()
      assert.is_true(a.openssl)
      assert.is_true(a.gnutls_serv)
      assert.is_true(a.gnutls_cli)
      assert.is_true(a.curl)
      assert.is_true(a.python3)
   end)

   it("makes a PKI whose chains openssl verifies", function()
      local function verify(ca, cert, purpose)
         local out = lines_of(string.format("openssl verify -purpose %s -CAfile %s %s 2>&1",
            purpose, ca, cert))
         assert.matches(": OK", out, 1, true)
      end
      verify(pki.ec.ca, pki.ec.cert, "sslserver")
      verify(pki.rsa.ca, pki.rsa.cert, "sslserver")
      verify(pki.ed25519.ca, pki.ed25519.cert, "sslserver")
      verify(pki.client.ca, pki.client.cert, "sslclient")
      verify(pki.cafile, pki.rsa.cert, "sslserver")
      local text = lines_of("openssl x509 -noout -text -in " .. pki.ec.cert)
      assert.matches("DNS:localhost, IP Address:127.0.0.1", text, 1, true)
      assert.matches("prime256v1", text, 1, true)
      assert.matches("ED25519", lines_of("openssl x509 -noout -text -in " .. pki.ed25519.cert))
      assert.matches("2048 bit", lines_of("openssl x509 -noout -text -in " .. pki.rsa.cert))
      assert.equal(pki, certs.get()) -- cached
   end)

   it("gives a free loopback port", function()
      local port = peers.free_port()
      assert.is_true(port > 0 and port < 65536)
      local s = assert(socket.bind("127.0.0.1", port))
      s:close()
   end)

   describe("openssl s_server", function()
      it("talks to openssl s_client; the parsers read version, cipher, verify", function()
         local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true }
         assert.is_true(srv.loopback_only)
         local r = peers.openssl_client { port = srv.port, cafile = pki.ec.ca, input = GET,
            expect = "</HTML>", args = { "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256" } }
         assert.is_true(r.ok, r.stderr)
         assert.equal("TLSv1.2", r.info.protocol)
         assert.equal("ECDHE-ECDSA-AES128-GCM-SHA256", r.info.cipher)
         assert.equal(0, r.info.verify_code)
         assert.is_false(r.info.reused)
         local page = peers.parse_openssl_www(r.stdout)
         assert.equal("TLSv1.2", page.protocol)
         assert.equal("ECDHE-ECDSA-AES128-GCM-SHA256", page.cipher)
         assert.is_false(page.reused)
         assert.equal("tls1.2", peers.version(page.protocol))
      end)

      it("reports resumption, ALPN and a failed verification through s_client", function()
         local srv = peers.openssl_server { cert = pki.rsa.cert, key = pki.rsa.key,
            args = { "-alpn", "h2,http/1.1" } }
         local r = peers.openssl_client { port = srv.port, cafile = pki.rsa.ca,
            alpn = { "h2" }, args = { "-tls1_2", "-reconnect" } }
         assert.is_true(r.ok, r.stderr)
         assert.equal(6, #r.info.handshakes)
         assert.is_false(r.info.handshakes[1].reused)
         assert.is_true(r.info.handshakes[2].reused)
         assert.equal(r.info.handshakes[1].session_id, r.info.handshakes[6].session_id)
         assert.equal("h2", r.info.alpn)
         local bad = peers.openssl_client { port = srv.port, cafile = pki.ec.ca }
         assert.is_true(bad.info.verify_code > 0)
         assert.equal("TLSv1.3", bad.info.protocol)
      end)

      it("sends what handle.write gives it and logs what the client sent", function()
         local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key }
         srv.write("from-server\n")
         local r = peers.openssl_client { port = srv.port, cafile = pki.ec.ca,
            input = "from-client\n", expect = "from-server" }
         assert.is_true(r.ok, r.stderr)
         assert.matches("from-server", r.stdout, 1, true)
         local deadline = socket.gettime() + 2
         while not srv.log():find("from-client", 1, true) and socket.gettime() < deadline do
            socket.sleep(0.02)
         end
         assert.matches("from-client", srv.log(), 1, true)
      end)

      it("serves curl and python3's ssl", function()
         local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
            args = { "-alpn", "http/1.1" } }
         local c = peers.curl { port = srv.port, cafile = pki.ec.ca }
         assert.is_true(c.ok, c.stderr)
         assert.equal("TLSv1.3", c.info.protocol)
         assert.equal("http/1.1", c.info.alpn)
         assert.equal(c.info.cipher, peers.parse_openssl_www(c.stdout).cipher)

         local p = peers.python_client { port = srv.port, cafile = pki.ec.ca,
            servername = "localhost", alpn = { "http/1.1" }, input = GET,
            script_args = { "--max-version", "tls1.2" },
            ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305" }
         assert.is_true(p.ok, p.stderr)
         assert.equal("TLSv1.2", p.info.version)
         assert.equal("ECDHE-ECDSA-CHACHA20-POLY1305", p.info.cipher)
         assert.equal("http/1.1", p.info.alpn)
         local page = peers.parse_openssl_www(p.data)
         assert.equal("TLSv1.2", page.protocol)
         assert.equal("ECDHE-ECDSA-CHACHA20-POLY1305", page.cipher)

         local bad = peers.python_client { port = srv.port, cafile = pki.rsa.ca }
         assert.is_false(bad.ok)
         assert.matches("CERTIFICATE_VERIFY_FAILED", bad.info.error, 1, true)
      end)
   end)

   describe("gnutls-serv", function()
      it("listens on loopback only and echoes to gnutls-cli", function()
         local srv = peers.gnutls_server { cert = pki.rsa.cert, key = pki.rsa.key,
            mode = "echo" }
         assert.is_true(srv.loopback_only)
         local wild = lines_of(string.format("ss -Hltn 'sport = :%d'", srv.port))
         assert.matches("127.0.0.1:" .. srv.port, wild, 1, true)
         assert.not_matches("0.0.0.0:" .. srv.port, wild, 1, true)
         assert.not_matches("[::]:" .. srv.port, wild, 1, true)
         local r = peers.gnutls_client { port = srv.port, cafile = pki.rsa.ca,
            priority = peers.gnutls_priority("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            input = "echo-me\n", expect = "echo-me" }
         assert.is_true(r.ok, r.stderr)
         assert.matches("echo-me", r.stdout, 1, true)
         assert.equal("TLS1.2", r.info.protocol)
         assert.equal("ECDHE-SECP256R1", r.info.kx)
         assert.equal("AES-256-GCM", r.info.cipher)
         assert.is_false(r.info.resumed)
      end)

      it("resumes with gnutls-cli -r and describes the session over --http", function()
         local srv = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "http",
            args = { "--alpn", "h2" } }
         local r = peers.gnutls_client { port = srv.port, cafile = pki.ec.ca, alpn = { "h2" },
            args = { "-r" }, input = GET, expect = "</HTML>" }
         assert.is_true(r.ok, r.stderr)
         assert.equal(2, #r.info.handshakes)
         assert.is_true(r.info.resumed)
         assert.equal("h2", r.info.alpn)
         assert.equal("TLS1.3", r.info.protocol)
         local page = peers.parse_gnutls_http(r.stdout)
         assert.equal("TLS1.3", page.protocol)
         assert.equal(r.info.cipher, page.cipher)
         assert.equal("tls1.3", peers.version(page.protocol))
      end)

      it("refuses an untrusted server through gnutls-cli", function()
         local srv = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key }
         local r = peers.gnutls_client { port = srv.port, cafile = pki.rsa.ca }
         assert.is_false(r.ok)
         assert.is_false(r.info.handshake_ok)
      end)
   end)

   describe("process control", function()
      it("stop() kills the server for good and is idempotent", function()
         local a = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key }
         local b = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key }
         for _, h in ipairs { a, b } do
            assert.is_true(peers.port_open(h.port))
            assert.is_true(group_alive(h.pid))
            h.stop()
            assert.is_false(peers.port_open(h.port))
            assert.is_false(group_alive(h.pid))
            assert.is_false(h.alive())
            h.stop()
         end
      end)

      it("stop_all() stops every running server", function()
         local hs = {
            peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key },
            peers.gnutls_server { cert = pki.rsa.cert, key = pki.rsa.key },
         }
         assert.equal(2, #peers.running())
         peers.stop_all()
         assert.equal(0, #peers.running())
         for _, h in ipairs(hs) do
            assert.is_false(group_alive(h.pid))
            assert.is_false(peers.port_open(h.port))
         end
      end)

      it("fails fast and clearly on a bad certificate path", function()
         for _, start in ipairs { peers.openssl_server, peers.gnutls_server } do
            local t0 = socket.gettime()
            local ok, err = pcall(start, { cert = "/nonexistent/cert.pem", key = pki.ec.key })
            assert.is_false(ok)
            assert.matches("exited before listening", err, 1, true)
            assert.matches("log:", err, 1, true)
            assert.is_true(socket.gettime() - t0 < 3)
         end
         assert.has_error(function() peers.openssl_server { key = pki.ec.key } end,
            "peers: cert (a file path) is required")
      end)

      it("gives up within start_wait on a server that never listens on its port", function()
         local other = peers.free_port()
         local t0 = socket.gettime()
         local ok, err = pcall(peers.openssl_server, { cert = pki.ec.cert, key = pki.ec.key,
            start_wait = 0.5, args = { "-accept", "127.0.0.1:" .. other } })
         assert.is_false(ok)
         assert.matches("did not listen", err, 1, true)
         assert.is_true(socket.gettime() - t0 < 2.5)
         assert.is_false(peers.port_open(other)) -- and it was stopped
      end)

      it("reports a busy explicit port and retries a busy chosen one", function()
         local busy = assert(socket.bind("127.0.0.1", 0))
         local _, port = busy:getsockname()
         port = tonumber(port)
         local ok, err = pcall(peers.openssl_server,
            { cert = pki.ec.cert, key = pki.ec.key, port = port })
         assert.is_false(ok)
         assert.matches("exited before listening", err, 1, true)

         local real, calls = peers.free_port, 0
         peers.free_port = function()
            calls = calls + 1
            return calls == 1 and port or real()
         end
         local okh, h = pcall(peers.openssl_server, { cert = pki.ec.cert, key = pki.ec.key })
         peers.free_port = real
         busy:close()
         assert.is_true(okh, h)
         assert.equal(2, calls)
         assert.are_not.equal(port, h.port)
      end)

      it("enforces client timeouts", function()
         local silent = assert(socket.bind("127.0.0.1", 0)) -- accepts, never answers
         local _, port = silent:getsockname()
         port = tonumber(port)
         local t0 = socket.gettime()
         local r = peers.openssl_client { port = port, timeout = 0.5 }
         assert.is_true(r.timed_out)
         assert.is_false(r.ok)
         assert.is_true(socket.gettime() - t0 < 3)
         t0 = socket.gettime()
         local g = peers.gnutls_client { port = port, timeout = 0.5, insecure = true }
         assert.is_true(g.timed_out)
         assert.is_true(socket.gettime() - t0 < 3)
         t0 = socket.gettime()
         local p = peers.python_client { port = port, timeout = 0.5, insecure = true }
         assert.is_false(p.ok)
         assert.is_true(socket.gettime() - t0 < 3)
         silent:close()
      end)
   end)

   describe("suite table", function()
      it("matches the names `openssl ciphers` and `gnutls-cli --list` print", function()
         local ossl = {}
         local out = lines_of("openssl ciphers -V -stdname -ciphersuites " ..
            "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:" ..
            "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'")
         for hi, lo, iana, name in out:gmatch("0x(%x%x),0x(%x%x) %- (%S+)%s+%- (%S+)") do
            ossl[iana] = { id = tonumber(hi .. lo, 16), name = name }
         end
         local gnu = {}
         local list = lines_of("gnutls-cli --list")
         for name, hi, lo in list:gmatch("(TLS_%S+)%s+0x(%x%x), 0x(%x%x)") do
            gnu[name] = tonumber(hi .. lo, 16)
         end
         assert.equal(36, #peers.suite_order)
         for _, iana in ipairs(peers.suite_order) do
            local s = peers.suite_names[iana]
            if s.openssl_ok then
               assert.are.same({ id = s.id, name = s.openssl }, ossl[iana], iana)
            else
               assert.is_nil(ossl[iana], iana)
            end
            assert.equal(s.gnutls_ok and s.id or nil, gnu[s.gnutls], iana)
         end
      end)

      it("records which suites each tool offers by default", function()
         local ossl, gnu = {}, {}
         for name in lines_of("openssl ciphers -s -stdname"):gmatch("(TLS_%S+)") do
            ossl[name] = true
         end
         for name in lines_of("gnutls-cli --priority NORMAL --list"):gmatch("\n(TLS_%S+)") do
            gnu[name] = true
         end
         for _, iana in ipairs(peers.suite_order) do
            local s = peers.suite_names[iana]
            assert.equal(s.openssl_default, ossl[iana] == true, iana)
            assert.equal(s.gnutls_default, gnu[s.gnutls] == true, iana)
         end
      end)

      it("negotiates every suite it says each tool has", function()
         local tls13 = {}
         for _, iana in ipairs(peers.suite_order) do
            if peers.suite_names[iana].version == "tls1.3" then
               tls13[#tls13 + 1] = iana
            end
         end
         local oargs = { "-cipher", "ALL:@SECLEVEL=0", "-ciphersuites", table.concat(tls13, ":") }
         local servers = {
            openssl = {
               ecdsa = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, args = oargs },
               rsa = peers.openssl_server { cert = pki.rsa.cert, key = pki.rsa.key, args = oargs },
            },
            gnutls = {
               ecdsa = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key,
                  priority = peers.gnutls_priority_all },
               rsa = peers.gnutls_server { cert = pki.rsa.cert, key = pki.rsa.key,
                  priority = peers.gnutls_priority_all },
            },
         }
         local failures = {}
         for _, iana in ipairs(peers.suite_order) do
            local s = peers.suite_names[iana]
            local auth = s.auth or "ecdsa"
            if s.openssl_ok then
               local r = peers.openssl_client { port = servers.openssl[auth].port,
                  cafile = pki.cafile, args = peers.openssl_cipher_args(iana) }
               if r.info.cipher ~= s.openssl or peers.version(r.info.protocol) ~= s.version then
                  failures[#failures + 1] = "openssl " .. iana .. ": " .. r.stdout:sub(-300)
               end
            else
               assert.has_error(function() peers.openssl_cipher_args(iana) end)
            end
            if s.gnutls_ok then
               local r = peers.gnutls_client { port = servers.gnutls[auth].port,
                  cafile = pki.cafile, priority = peers.gnutls_priority(iana) }
               if r.info.cipher ~= s.gnutls_cipher or peers.version(r.info.protocol) ~= s.version
               then
                  failures[#failures + 1] = "gnutls " .. iana .. ": " .. r.stdout:sub(-300)
               end
            end
         end
         assert.are.same({}, failures)
      end)
   end)
end)
