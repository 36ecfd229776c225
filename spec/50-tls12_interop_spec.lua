-- TLS 1.2 interop beyond the suite matrix (spec/55-suite_matrix_spec.lua has every suite
-- against every peer, both directions): ALPN, SNI certificate choice, resumption, fallback
-- SCSV, certificate refusal and the keylog line, against openssl, gnutls, curl and python3's
-- ssl. Peers run on 127.0.0.1 only and are stopped by the spec.
local peers = require "support.peers"
local certs = require "support.certs"
local helpers = require "helpers"
local tls = require "moontls"

local pki = certs.get()
local ECHO = "moontls interop line"

local server = require "support.moontls_server"
local moontls_server = server.start

local function stop_everything()
   server.stop_all()
   peers.stop_all()
end

-- moontls client: GET / over TLS; returns the page and our info().
local function fetch(port, ctx, opts)
   opts = opts or {}
   local f, err = tls.connect("127.0.0.1", port, { context = ctx, server_name = "localhost",
      timeout = 5, session = opts.session })
   if not f then return nil, err end
   local info = f:info()
   assert(f:send("GET / HTTP/1.0\r\n\r\n"))
   local body, rerr, partial = f:receive("*a")
   local session = f:getsession()
   f:close()
   return body or partial, info, session, rerr
end

local function client_ctx(name, extra)
   local o = { cafile = pki.cafile, ciphers = name and { name } or nil }
   for k, v in pairs(extra or {}) do o[k] = v end
   return assert(tls.context(o))
end

describe("moontls client", function()
   teardown(stop_everything)

   it("negotiates ALPN with openssl s_server", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
         args = { "-tls1_2", "-alpn", "http/1.1" } }
      local page, info = fetch(srv.port, client_ctx(nil, { alpn = { "h2", "http/1.1" } }))
      srv.stop()
      assert.is_string(page)
      assert.equals("http/1.1", info.alpn)
   end)

   it("resumes a session with openssl s_server", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
         args = { "-tls1_2", "-no_ticket" } }
      local ctx = client_ctx()
      local page, info, session = fetch(srv.port, ctx)
      assert.is_string(page)
      assert.is_false(info.resumed)
      assert.is_not_nil(session)
      local page2, info2 = fetch(srv.port, ctx, { session = session })
      srv.stop()
      assert.is_true(info2.resumed)
      assert.is_true(peers.parse_openssl_www(page2).reused)
   end)

   it("refuses a server whose certificate does not verify", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
         args = { "-tls1_2" } }
      local ctx = assert(tls.context { cafile = pki.rsa.ca })
      local f, err = tls.connect("127.0.0.1", srv.port, { context = ctx,
         server_name = "localhost", timeout = 5 })
      srv.stop()
      assert.is_nil(f)
      assert.matches("certificate verify failed", err)
   end)
end)

describe("moontls server", function()
   teardown(stop_everything)

   it("serves curl and python's ssl, with ALPN", function()
      local srv = moontls_server(pki.ec.cert, pki.ec.key, { mode = "www",
         alpn = { "h2", "http/1.1" }, env = "MOONTLS_MAX_VERSION=tls1.2" })
      local r = peers.curl { port = srv.port, cafile = pki.cafile, args = { "--http1.1" } }
      assert.is_true(r.ok, r.stderr .. srv.log())
      assert.matches("version: TLSv1.2", r.stdout)
      assert.equals("http/1.1", r.info.alpn)
      local py = peers.python_client { port = srv.port, cafile = pki.cafile,
         servername = "localhost", alpn = { "http/1.1" }, input = "GET / HTTP/1.0\r\n\r\n" }
      assert.is_true(py.ok, py.stderr .. srv.log())
      assert.equals("TLSv1.2", py.info.version)
      assert.equals("http/1.1", py.info.alpn)
      assert.matches("cipher: TLS_ECDHE_ECDSA_", py.stdout)
   end)

   it("sends no_application_protocol when ALPN has nothing in common", function()
      local srv = moontls_server(pki.ec.cert, pki.ec.key, { alpn = { "h2" } })
      local r = peers.openssl_client { port = srv.port, args = { "-tls1_2", "-alpn", "spdy/1" },
         input = ECHO .. "\n", cafile = pki.cafile }
      assert.matches("no application protocol", r.stdout .. r.stderr)
   end)

   it("picks the certificate by SNI", function()
      local dir = helpers.tmpdir()
      assert(os.execute(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
         .. "-nodes -keyout %s/o.key -out %s/o.crt -days 2 -subj /CN=other.test "
         .. "-addext subjectAltName=DNS:other.test 2>/dev/null"):format(dir, dir)))
      local srv = moontls_server(pki.ec.cert, pki.ec.key,
         { extra = dir .. "/o.crt:" .. dir .. "/o.key" })
      local other = peers.openssl_client { port = srv.port, servername = "other.test",
         args = { "-tls1_2", "-showcerts" }, input = ECHO .. "\n", expect = ECHO }
      local default = peers.openssl_client { port = srv.port, servername = "localhost",
         args = { "-tls1_2", "-showcerts" }, input = ECHO .. "\n", expect = ECHO }
      helpers.rmtree(dir)
      assert.matches("subject=CN = other.test", other.stdout)
      assert.not_matches("subject=CN = other.test", default.stdout)
   end)

   it("resumes sessions for openssl s_client -reconnect and gnutls-cli --resume", function()
      local srv = moontls_server(pki.ec.cert, pki.ec.key, { env = "MOONTLS_MAX_VERSION=tls1.2" })
      local r = peers.openssl_client { port = srv.port,
         args = { "-tls1_2", "-reconnect", "-no_ticket" }, cafile = pki.cafile, timeout = 15 }
      local reused = 0
      for _, h in ipairs(r.info.handshakes) do
         if h.reused then reused = reused + 1 end
      end
      assert.is_true(reused >= 5, r.stdout)
      local g = peers.gnutls_client { port = srv.port, args = { "--resume" },
         cafile = pki.cafile, servername = "localhost", input = ECHO .. "\n", expect = ECHO }
      assert.is_true(g.info.resumed, g.stdout .. g.stderr)
   end)

   it("refuses a fallback SCSV below TLS 1.2 with inappropriate_fallback", function()
      local srv = moontls_server(pki.ec.cert, pki.ec.key)
      local r = peers.openssl_client { port = srv.port, input = "",
         args = { "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-fallback_scsv" } }
      assert.matches("alert inappropriate fallback", r.stdout .. r.stderr)
   end)

   it("writes the same keylog line as openssl s_client", function()
      local dir = helpers.tmpdir()
      local srv = moontls_server(pki.ec.cert, pki.ec.key, { keylog = dir .. "/ours" })
      local r = peers.openssl_client { port = srv.port, input = ECHO .. "\n", expect = ECHO,
         args = { "-tls1_2", "-keylogfile", dir .. "/theirs" }, cafile = pki.cafile }
      assert.matches(ECHO, r.stdout, 1, true)
      require("socket").sleep(0.2)
      local ours = io.open(dir .. "/ours"):read("a")
      local theirs = io.open(dir .. "/theirs"):read("a")
      helpers.rmtree(dir)
      local line = theirs:match("CLIENT_RANDOM %x+ %x+")
      assert.is_string(line)
      assert.equals(line .. "\n", ours)
   end)
end)
