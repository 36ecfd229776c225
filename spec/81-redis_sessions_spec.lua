-- Sessions shared through Redis: a real redis-server (started and stopped here, 127.0.0.1
-- only, nothing saved) and two moontls server processes (examples/redis_session_server.lua)
-- sharing a session key: a session made on server A resumes on server B, for openssl
-- s_client (-sess_out / -sess_in) and for moontls' own client; a server with another key
-- cannot open the sessions and makes full handshakes.
local helpers = require "helpers"
local peers = require "support.peers"
local certs = require "support.certs"
local tls = require "moontls"

local pki = certs.get()
local KEY_AB = ("ab"):rep(32)
local KEY_C = ("cd"):rep(32)
local redis_port
local servers = {}

local function redis_server(key)
   return helpers.start(("%s examples/redis_session_server.lua %s %s 0 %d %s"):format(
      helpers.lua, pki.ec.cert, pki.ec.key, redis_port, key), helpers.port_on_stdout)
end

setup(function()
   redis_port = peers.free_port()
   helpers.start(("redis-server --port %d --bind 127.0.0.1 --save '' --appendonly no")
      :format(redis_port), function() return peers.port_open(redis_port) and redis_port end)
   servers.a, servers.b, servers.c = redis_server(KEY_AB), redis_server(KEY_AB),
      redis_server(KEY_C)
end)

teardown(helpers.stop_all)

local function s_client(port, args)
   local a = { "-tls1_2", "-no_ticket" }
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
end)
