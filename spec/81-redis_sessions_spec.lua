-- Sessions shared between server processes (examples/redis_session_server.lua) through a real
-- redis-server (started and stopped here, 127.0.0.1 only, nothing saved): a session made on
-- server A resumes on server B, for openssl s_client (-sess_out / -sess_in) and moontls' own
-- client, three ways: TLS 1.2 session ids in Redis (record/lookup_session), TLS 1.2 and 1.3
-- tickets standing for sessions kept in Redis (encode/decode_ticket), and stateless TLS 1.2
-- and 1.3 tickets under shared ticket keys. A server C with another key cannot open them and
-- makes full handshakes.
local helpers = require "helpers"
local peers = require "support.peers"
local certs = require "support.certs"
local tls = require "moontls"

local pki = certs.get()
local KEY_AB = ("ab"):rep(32)
local KEY_C = ("cd"):rep(32)
local redis_port
local servers = {}

local TK_AB = ("11"):rep(16) .. ("22"):rep(32)
local TK_C = ("33"):rep(16) .. ("44"):rep(32)

local function redis_server(key, mode)
   return helpers.start(("%s examples/redis_session_server.lua %s %s 0 %d %s %s"):format(
      helpers.lua, pki.ec.cert, pki.ec.key, redis_port, key, mode or "ids"),
      helpers.port_on_stdout)
end

setup(function()
   redis_port = peers.free_port()
   helpers.start(("redis-server --port %d --bind 127.0.0.1 --save '' --appendonly no")
      :format(redis_port), function() return peers.port_open(redis_port) and redis_port end)
   servers.a, servers.b, servers.c = redis_server(KEY_AB), redis_server(KEY_AB),
      redis_server(KEY_C)
   servers.ta, servers.tb, servers.tc = redis_server(KEY_AB, "tickets"),
      redis_server(KEY_AB, "tickets"), redis_server(KEY_C, "tickets")
   servers.ka, servers.kb, servers.kc = redis_server(KEY_AB, "keys:" .. TK_AB),
      redis_server(KEY_AB, "keys:" .. TK_AB), redis_server(KEY_C, "keys:" .. TK_C)
end)

teardown(helpers.stop_all)

local function s_client(port, args, version)
   local a = { version or "-tls1_2" }
   if not version then a[2] = "-no_ticket" end
   for _, x in ipairs(args) do a[#a + 1] = x end
   return peers.openssl_client { port = port, args = a, input = "hello\n", expect = "hello\n",
      cafile = pki.cafile }
end

describe("sessions in Redis, shared by two servers", function()
   it("openssl s_client resumes on B a session made on A", function()
      local dir = helpers.tmpdir()
      local r1 = s_client(servers.a.port, { "-sess_out", dir .. "/s.pem" })
      local r2 = s_client(servers.b.port, { "-sess_in", dir .. "/s.pem" })
      local r3 = s_client(servers.c.port, { "-sess_in", dir .. "/s.pem" })
      helpers.rmtree(dir)
      assert.is_false(r1.info.reused, r1.stdout)
      assert.is_true(r2.info.reused, r2.stdout)
      assert.is_false(r3.info.reused, r3.stdout) -- C cannot open A's sealed session
      assert.matches("resumed=yes", servers.b.out())
      assert.matches("resumed=no", servers.c.out())
   end)

   it("moontls' client resumes on B a session made on A", function()
      local ctx = assert(tls.context { mode = "client", cafile = pki.cafile,
         max_version = "tls1.2" })
      local f = assert(tls.connect("127.0.0.1", servers.a.port, { context = ctx,
         server_name = "localhost", timeout = 10 }))
      local session = assert(f:getsession())
      f:close()
      local g = assert(tls.connect("127.0.0.1", servers.b.port, { context = ctx,
         server_name = "localhost", timeout = 10, session = session }))
      assert.is_true(g:info().resumed)
      g:send("x\n")
      assert.equal("x", g:receive("*l"))
      g:close()
   end)

   for _, way in ipairs { { "tickets kept in Redis", "t" }, { "shared ticket keys", "k" } } do
      for _, v in ipairs { "-tls1_2", "-tls1_3" } do
         it(way[1] .. " " .. v .. ": openssl s_client resumes on B what it began on A",
            function()
               local a, b, c = servers[way[2] .. "a"], servers[way[2] .. "b"],
                  servers[way[2] .. "c"]
               local dir = helpers.tmpdir()
               local r1 = s_client(a.port, { "-sess_out", dir .. "/s.pem" }, v)
               local r2 = s_client(b.port, { "-sess_in", dir .. "/s.pem" }, v)
               local r3 = s_client(c.port, { "-sess_in", dir .. "/s.pem" }, v)
               helpers.rmtree(dir)
               assert.is_false(r1.info.reused, r1.stdout)
               assert.is_true(r2.info.reused, r2.stdout)
               assert.is_false(r3.info.reused, r3.stdout) -- C cannot open A's ticket
               assert.matches("resumed=yes", b.out())
               assert.matches("resumed=no", c.out())
            end)
      end

      it(way[1] .. ": moontls' client resumes on B what it began on A, 1.2 and 1.3", function()
         local a, b = servers[way[2] .. "a"], servers[way[2] .. "b"]
         for _, v in ipairs { "tls1.2", "tls1.3" } do
            local ctx = assert(tls.context { mode = "client", cafile = pki.cafile,
               min_version = v, max_version = v })
            local f = assert(tls.connect("127.0.0.1", a.port, { context = ctx,
               server_name = "localhost", timeout = 10 }))
            f:send("x\n")
            assert.equal("x", f:receive("*l")) -- (1.3: the ticket came before the echo)
            local session = assert(f:getsession())
            assert.is_true(session:info().ticket)
            f:close()
            local g = assert(tls.connect("127.0.0.1", b.port, { context = ctx,
               server_name = "localhost", timeout = 10, session = session }))
            assert.is_true(g:info().resumed, v)
            assert.equal(v == "tls1.3" and "TLSv1.3" or "TLSv1.2", g:info().version)
            g:send("y\n")
            assert.equal("y", g:receive("*l"))
            g:close()
         end
      end)
   end
end)
