-- The client side of sessions (issue 8, 1 and 5): a Session keeps the peer's chain and the
-- verdict on it, so a resumed connection still shows its peer; a client Context may keep a
-- session cache keyed host:port (opt-in) that moontls.connect uses by itself. Against
-- openssl s_server and gnutls-serv, TLS 1.2 and 1.3, on 127.0.0.1.
local peers = require "support.peers"
local certs = require "support.certs"
local tls = require "moontls"
local client_cache = require "moontls.client_cache"

local pki = certs.get()

-- GET / (openssl -www, gnutls --http); returns info, peer leaf subject, session, verdict
local function get(port, ctx, session)
   local f = assert(tls.connect("127.0.0.1", port, { context = ctx, server_name = "localhost",
      timeout = 5, session = session }))
   local info = f:info()
   local leaf = f:getpeercertificate()
   local chain = f:getpeerchain()
   assert(f:send("GET / HTTP/1.0\r\n\r\n"))
   local body, _, partial = f:receive("*a")
   assert.is_truthy(#(body or partial) > 0)
   local s = f:getsession()
   f:close()
   return info, leaf and leaf:subject(), #chain, s
end

local SERVERS = {
   { "openssl s_server", function(v)
      return peers.openssl_server { cert = pki.ec.chain or pki.ec.cert, key = pki.ec.key,
         www = true, args = { v == "tls1.3" and "-tls1_3" or "-tls1_2" } }
   end },
   { "gnutls-serv", function(v)
      return peers.gnutls_server { cert = pki.ec.chain or pki.ec.cert, key = pki.ec.key,
         mode = "http", priority = "NORMAL:-VERS-ALL:+VERS-" .. (v == "tls1.3" and "TLS1.3"
         or "TLS1.2") }
   end },
}

describe("client sessions", function()
   teardown(peers.stop_all)

   for _, row in ipairs(SERVERS) do
      for _, v in ipairs { "tls1.2", "tls1.3" } do
         it(row[1] .. " " .. v .. ": a resumed connection shows the peer it verified",
            function()
               local srv = row[2](v)
               local ctx = assert(tls.context { mode = "client", cafile = pki.cafile,
                  max_version = v })
               local info, subject, n, s = get(srv.port, ctx)
               assert.is_false(info.resumed)
               assert.equal("ok", info.verified)
               assert.truthy(s, "no session (TLS 1.3: no ticket)")
               assert.equal(v == "tls1.3" and "TLSv1.3" or "TLSv1.2", s:info().version)
               assert.equal("ok", s:info().verified)
               assert.equal(n, s:info().peer_certificates)
               -- through a sealed string, as a store would keep it
               local key = ("s"):rep(32)
               local d = assert(tls.session.decode(s:encode(key), key))
               local info2, subject2, n2 = get(srv.port, ctx, d)
               srv.stop()
               assert.is_true(info2.resumed)
               assert.equal("ok", info2.verified)
               assert.same(subject, subject2)
               assert.equal(n, n2)
            end)
      end
   end

   for _, v in ipairs { "tls1.2", "tls1.3" } do
      it("openssl s_server " .. v .. ": session_cache = true resumes by host:port", function()
         local a = SERVERS[1][2](v)
         local b = SERVERS[1][2](v)
         local ctx = assert(tls.context { mode = "client", cafile = pki.cafile, max_version = v,
            session_cache = true })
         local cache = ctx.client_sessions
         local resumed = {}
         for i = 1, 3 do resumed[i] = get(a.port, ctx).resumed end
         -- another port is another key: a full handshake there
         local other = get(b.port, ctx).resumed
         a.stop()
         b.stop()
         assert.same({ false, true, true }, resumed)
         assert.is_false(other)
         assert.equal(2, cache:count())
      end)
   end

   it("a handshake that fails forgets the session it offered", function()
      local srv = SERVERS[1][2]("tls1.2")
      local ctx = assert(tls.context { mode = "client", cafile = pki.cafile,
         max_version = "tls1.2", session_cache = true })
      assert.is_false(get(srv.port, ctx).resumed)
      local key = "localhost:" .. srv.port
      assert.truthy(ctx.client_sessions.by[key])
      -- the same port, now a server with a certificate the client does not trust
      srv.stop()
      local other = peers.openssl_server { cert = pki.rsa.cert, key = pki.rsa.key, www = true,
         port = srv.port, args = { "-tls1_2" } }
      local strict = assert(tls.context { mode = "client", cafile = pki.ec.cert,
         max_version = "tls1.2", session_cache = true })
      strict.client_sessions.by[key] = ctx.client_sessions.by[key]
      strict.client_sessions.n = 1
      local f, err = tls.connect("127.0.0.1", srv.port, { context = strict,
         server_name = "localhost", timeout = 5 })
      other.stop()
      assert.is_nil(f)
      assert.is_string(err)
      assert.is_nil(strict.client_sessions.by[key])
   end)
end)

describe("moontls.client_cache", function()
   local function fake(version)
      return { info = function() return { version = version } end,
         closed = function() return false end }
   end

   it("evicts the least recently used entry, expires by lifetime, takes TLS 1.3 once",
      function()
         local c = client_cache.new { size = 2, lifetime = 60 }
         local a, b, d = fake("TLSv1.2"), fake("TLSv1.2"), fake("TLSv1.2")
         c:put("a:1", a)
         c:put("b:1", b)
         assert.equal(a, c:get("a:1")) -- a is now the most recent
         c:put("d:1", d)
         assert.is_nil(c:get("b:1"))
         assert.equal(a, c:get("a:1"))
         assert.equal(d, c:get("d:1"))
         assert.equal(2, c:count())
         local t = fake("TLSv1.3")
         c:put("t:1", t) -- evicts a (d was used last)
         assert.is_nil(c.by["a:1"])
         assert.equal(t, c:get("t:1"))
         assert.is_nil(c:get("t:1"))
         c.by["d:1"].at = os.time() - 61
         assert.is_nil(c:get("d:1"))
         assert.equal(0, c:count())
      end)

   it("refuses bad options", function()
      assert.has_error(function() client_cache.new("yes") end)
      assert.has_error(function() client_cache.new { size = 0 } end)
      assert.has_error(function() client_cache.new { lifetime = -1 } end)
      assert.has_error(function() tls.context { mode = "client", session_cache = 5 } end)
   end)
end)
