-- Session tickets (RFC 5077 for TLS 1.2, stateless NewSessionTicket for 1.3) against real
-- peers, both directions: openssl s_client -sess_out/-sess_in and gnutls-cli --resume resume
-- with our server (kept without a session cache, so only a ticket can resume); our client
-- resumes with the tickets of openssl s_server -no_cache and gnutls-serv --nodb. Then the Lua
-- hooks encode_ticket / decode_ticket over a table store (in memory, the sans-IO engines; the
-- hooks yield), and shared ticket_keys between two contexts and two server processes.
local peers = require "support.peers"
local certs = require "support.certs"
local helpers = require "helpers"
local server = require "support.moontls_server"
local core = require "moontls.core"
local decide = require "moontls.decide"
local tls = require "moontls"

local pki = certs.get()
local ECHO = "moontls ticket line"
local VERSIONS = { { "tls1.2", "-tls1_2", "TLSv1.2" }, { "tls1.3", "-tls1_3", "TLSv1.3" } }

local function stop_everything()
   server.stop_all()
   peers.stop_all()
end

local function hex(s)
   return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- Wait (bounded) for the server's "conn N ..." line.
local function conn_line(h, n)
   for _ = 1, 100 do
      local line = h.log():match("conn " .. n .. " [^\n]*")
      if line then return line end
      require("socket").sleep(0.05)
   end
   return h.log()
end

-- moontls client: GET / (www peers); the page, our info() and the session.
local function fetch(port, ctx, session)
   local f, err = tls.connect("127.0.0.1", port, { context = ctx, server_name = "localhost",
      timeout = 5, session = session })
   if not f then return nil, err end
   local info = f:info()
   assert(f:send("GET / HTTP/1.0\r\n\r\n"))
   local body, _, partial = f:receive("*a")
   local s = f:getsession()
   f:close()
   return body or partial, info, s
end

-- openssl s_client twice: -sess_out then -sess_in; both results.
local function openssl_twice(port, flag, port2)
   local dir = helpers.tmpdir()
   local first = peers.openssl_client { port = port, cafile = pki.cafile,
      servername = "localhost", args = { flag, "-sess_out", dir .. "/sess" },
      input = ECHO .. "\n", expect = ECHO }
   local again = peers.openssl_client { port = port2 or port, cafile = pki.cafile,
      servername = "localhost", args = { flag, "-sess_in", dir .. "/sess" },
      input = ECHO .. "\n", expect = ECHO }
   helpers.rmtree(dir)
   return first, again
end

describe("moontls server tickets", function()
   teardown(stop_everything)

   it("resume openssl s_client -sess_out/-sess_in (1.2 RFC 5077, 1.3), no session cache",
      function()
         for _, v in ipairs(VERSIONS) do
            local srv = server.start(pki.ec.cert, pki.ec.key, { count = 2,
               env = "MOONTLS_SESSION_CACHE=0 MOONTLS_MAX_VERSION=" .. v[1] })
            local first, again = openssl_twice(srv.port, v[2])
            assert.matches(ECHO, again.stdout, 1, true)
            if v[1] == "tls1.2" then
               -- s_client prints the ticket it got
               assert.matches("TLS session ticket lifetime hint", first.stdout, 1, true)
            else
               assert.matches("Post-Handshake New Session Ticket", first.stdout, 1, true)
            end
            assert.is_false(first.info.reused)
            assert.is_true(again.info.reused, again.stdout)
            assert.equals(v[3], again.info.protocol)
            assert.matches("conn 2 ok " .. v[3] .. " .* resumed", conn_line(srv, 2))
            srv.stop()
         end
      end)

   it("resume gnutls-cli --resume (1.2 and 1.3), no session cache", function()
      for _, v in ipairs(VERSIONS) do
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 2,
            env = "MOONTLS_SESSION_CACHE=0 MOONTLS_MAX_VERSION=" .. v[1] })
         local g = peers.gnutls_client { port = srv.port, args = { "--resume" },
            cafile = pki.cafile, servername = "localhost", input = ECHO .. "\n", expect = ECHO }
         assert.is_true(g.info.resumed, g.stdout .. g.stderr)
         assert.matches("conn 2 ok " .. v[3] .. " .* resumed", conn_line(srv, 2))
         srv.stop()
      end
   end)

   it("falls back to a session id when tickets are off, and to nothing without either",
      function()
         local srv = server.start(pki.ec.cert, pki.ec.key, { count = 2,
            env = "MOONTLS_TICKETS=0 MOONTLS_MAX_VERSION=tls1.2" })
         local first, again = openssl_twice(srv.port, "-tls1_2")
         assert.not_matches("TLS session ticket lifetime hint", first.stdout, 1, true)
         assert.is_true(again.info.reused) -- by its session id
         srv.stop()
         srv = server.start(pki.ec.cert, pki.ec.key, { count = 2,
            env = "MOONTLS_TICKETS=0 MOONTLS_SESSION_CACHE=0 MOONTLS_MAX_VERSION=tls1.2" })
         first, again = openssl_twice(srv.port, "-tls1_2")
         assert.matches(ECHO, first.stdout, 1, true)
         assert.is_not_true(again.info.reused)
         assert.not_matches("resumed", conn_line(srv, 2))
         srv.stop()
      end)

   it("two server processes sharing ticket_keys take each other's tickets", function()
      local keys = hex(tls.random(96))
      for _, v in ipairs(VERSIONS) do
         local env = "MOONTLS_SESSION_CACHE=0 MOONTLS_TICKET_KEYS=" .. keys
            .. " MOONTLS_MAX_VERSION=" .. v[1]
         local a = server.start(pki.ec.cert, pki.ec.key, { count = 2, env = env })
         local b = server.start(pki.ec.cert, pki.ec.key, { count = 1, env = env })
         local other = server.start(pki.ec.cert, pki.ec.key, { count = 1,
            env = "MOONTLS_SESSION_CACHE=0 MOONTLS_MAX_VERSION=" .. v[1] })
         local _, again = openssl_twice(a.port, v[2], b.port)
         assert.is_true(again.info.reused, again.stdout)
         assert.matches("conn 1 ok .* resumed", conn_line(b, 1))
         -- a server with keys of its own: a full handshake, no alert
         local _, foreign = openssl_twice(a.port, v[2], other.port)
         assert.matches(ECHO, foreign.stdout, 1, true)
         assert.is_false(foreign.info.reused)
         a.stop()
         b.stop()
         other.stop()
      end
   end)
end)

describe("moontls client tickets", function()
   teardown(stop_everything)

   it("resumes with openssl s_server -no_cache and gnutls-serv --nodb tickets (1.2, 1.3)",
      function()
         for _, v in ipairs(VERSIONS) do
            local ctx = assert(tls.context { cafile = pki.cafile, max_version = v[1] })
            local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
               args = { v[2], "-no_cache" } }
            local page, info, session = fetch(srv.port, ctx)
            assert.is_string(page, info)
            assert.is_false(info.resumed)
            assert.is_not_nil(session)
            local page2, info2, session2 = fetch(srv.port, ctx, session)
            assert.is_string(page2, info2)
            assert.is_true(info2.resumed)
            assert.equals(v[3], info2.version)
            assert.is_true(peers.parse_openssl_www(page2).reused)
            -- the session of the resumed connection resumes again
            local _, info3 = fetch(srv.port, ctx, session2)
            srv.stop()
            assert.is_true(info3.resumed)
            local g = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "http",
               args = { "--nodb" } }
            page, info, session = fetch(g.port, ctx)
            assert.is_string(page, info)
            local _, ginfo = fetch(g.port, ctx, session)
            g.stop()
            assert.is_true(ginfo.resumed)
            assert.equals(v[3], ginfo.version)
         end
      end)

   it("asks for no 1.2 ticket with tickets = false (openssl s_server -no_cache: no resumption)",
      function()
         local ctx = assert(tls.context { cafile = pki.cafile, max_version = "tls1.2",
            tickets = false })
         local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
            args = { "-tls1_2", "-no_cache" } }
         local page, info, session = fetch(srv.port, ctx)
         assert.is_string(page, info)
         local _, info2 = fetch(srv.port, ctx, session)
         srv.stop()
         assert.is_false(info2 and info2.resumed)
      end)
end)

-- In memory: client and server Files wired through their sans-IO engines, decisions answered
-- by the hooks inside a coroutine (a hook may yield). Returns the two infos and the client's
-- session, or nil, err.
local function connect(cctx, sctx, session, name)
   local c = { conn = assert(core.file_new(cctx.core, name or "localhost")), ctx = cctx,
      server_name = name or "localhost" }
   local s = { conn = assert(core.file_new(sctx.core)), ctx = sctx }
   if session then assert(c.conn:resume(session)) end
   local co = coroutine.create(function()
      for _ = 1, 200 do
         for _, f in ipairs { c, s } do
            if f.conn:decision() then
               local ok, err = decide.answer(f)
               if not ok then return nil, err end
            end
         end
         local moved = false
         for _, d in ipairs { { c, s }, { s, c } } do
            local out = d[1].conn:pending()
            if #out > 0 then
               local used, err = d[2].conn:feed(out)
               if not used then return nil, err end
               d[1].conn:sent(used)
               moved = moved or used > 0
            end
         end
         local cs, ss = c.conn:status(), s.conn:status()
         if cs.connected and ss.connected and not moved and not ss.decision then
            return true
         end
         if cs.closed or ss.closed then return nil, "closed" end
      end
      return nil, "no progress"
   end)
   local ok, res, err = coroutine.resume(co)
   local yields = 0
   while ok and coroutine.status(co) == "suspended" do
      yields = yields + 1
      ok, res, err = coroutine.resume(co)
   end
   assert(ok, res)
   if not res then return nil, err end
   local ci, si, cs = c.conn:info(), s.conn:info(), c.conn:session()
   c.conn:close()
   s.conn:close()
   return ci, si, cs, yields
end

describe("ticket hooks and keys", function()
   local function server_ctx(extra)
      local o = { mode = "server", certificate = pki.ec.cert, key = pki.ec.key,
         session_cache = false }
      for k, v in pairs(extra or {}) do o[k] = v end
      return assert(tls.context(o))
   end

   it("encode_ticket / decode_ticket keep sessions in a table store (1.2 and 1.3)", function()
      for _, v in ipairs(VERSIONS) do
         local store, n, decoded = {}, 0, {}
         local sctx = server_ctx { max_version = v[1] }
         local skey = tls.random(32)
         sctx.session_key = skey
         sctx.encode_ticket = function(session)
            n = n + 1
            local id = "ticket-" .. n
            store[id] = session:encode(skey) -- sealed: the store holds no secret in clear
            coroutine.yield()
            return id, 300
         end
         sctx.decode_ticket = function(ticket)
            coroutine.yield()
            decoded[#decoded + 1] = ticket
            return store[ticket]
         end
         local cctx = assert(tls.context { cafile = pki.cafile, max_version = v[1] })
         local ci, si, session, yields = connect(cctx, sctx)
         assert.is_table(ci, si)
         assert.is_false(ci.resumed)
         assert.equals(1, n)
         assert.is_true(yields >= 1)
         local ci2, si2 = connect(cctx, sctx, session)
         assert.is_true(ci2.resumed and si2.resumed)
         assert.same("ticket-1", decoded[1])
         -- a ticket the store does not know (forgotten): a full handshake
         store["ticket-1"] = nil
         local ci3 = connect(cctx, sctx, session)
         assert.is_false(ci3.resumed)
         -- a ticket under another server name is refused (a client that does not check the
         -- certificate's name, to get that far)
         local lax = assert(tls.context { verify = "none", max_version = v[1] })
         local _, _, s4 = connect(lax, sctx)
         assert.is_true((connect(lax, sctx, s4)).resumed)
         local ci5 = connect(lax, sctx, s4, "other.example")
         assert.is_false(ci5.resumed)
      end
   end)

   it("two contexts with the same ticket_keys take each other's tickets", function()
      local keys = { { name = tls.random(16), key = tls.random(32) },
         { name = tls.random(16), key = tls.random(32) } }
      for _, v in ipairs(VERSIONS) do
         local a = server_ctx { max_version = v[1], ticket_keys = keys }
         local b = server_ctx { max_version = v[1] }
         b:ticket_keys { keys[2], keys[1] } -- seals with the second, opens both
         local alone = server_ctx { max_version = v[1] }
         local cctx = assert(tls.context { cafile = pki.cafile, max_version = v[1] })
         local _, _, sa = connect(cctx, a)
         assert.is_true((connect(cctx, b, sa)).resumed)
         assert.is_false((connect(cctx, alone, sa)).resumed)
         local _, _, sb = connect(cctx, b)
         assert.is_true((connect(cctx, a, sb)).resumed)
         -- tickets = false: no ticket, no resumption
         local off = server_ctx { max_version = v[1], tickets = false }
         local ci, _, soff = connect(cctx, off)
         assert.is_table(ci)
         assert.is_nil(soff)
      end
   end)

   it("refuses bad ticket keys and options", function()
      local ctx = server_ctx()
      assert.has_error(function() ctx:ticket_keys("short") end)
      assert.has_error(function() ctx:ticket_keys { { name = "x", key = tls.random(32) } } end)
      local k = { name = tls.random(16), key = tls.random(32) }
      assert.has_error(function() ctx:ticket_keys { k, k } end) -- one name twice
      assert.has_error(function() ctx:ticket_keys { k, k, k, k, k } end)
      assert.has_error(function() server_ctx { tickets = "yes" } end)
      assert.has_error(function() server_ctx { ticket_lifetime = 8 * 86400 } end)
      assert.has_error(function()
         assert(tls.context { mode = "client" }):ticket_keys { k }
      end)
      assert.has_error(function() ctx.encode_ticket = 42 end)
   end)
end)
