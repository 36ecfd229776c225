-- Hooks that yield under moontls.loop stall only their own handshake: a server whose
-- select_context hook sleeps 10 ms for one name (a simulated slow lookup), and a
-- lookup_session hook that sleeps 10 ms on every resumption, while other handshakes in
-- the same process go on and finish meanwhile.
local loop = require "moontls.loop"
local tls = require "moontls"

local key = tls.keys.generate("ec-p256")
local cert = tls.x509.selfsigned { key = key, cn = "localhost",
   san = { "DNS:localhost", "DNS:slow.example", "DNS:fast.example" } }

local function server(lp, hooks)
   local ctx = assert(tls.context { mode = "server", certificate = cert, key = key:pem(),
      session_cache = false })
   for k, v in pairs(hooks) do ctx[k] = v end
   local port = assert(tls.listen("127.0.0.1", 0, ctx, { timeout = 10 }))
   local done = {}
   port:serve(function(f)
      done[#done + 1] = f:getsniname()
      f:send((f:getsniname() or "-") .. "\n")
      f:close()
   end, function(err) error("server handshake failed: " .. tostring(err)) end, lp)
   return port, select(2, port:getsockname()), done
end

-- session-id resumption is TLS 1.2's (and a client presenting a ticket is never resumed by
-- its id, RFC 5077 3.4: this one asks for none)
local cctx = assert(tls.context { mode = "client", cafile = cert, max_version = "tls1.2",
   tickets = false })

local function client(lp, portnum, name, session, finished)
   return lp:spawn(function()
      local f = assert(tls.connect("127.0.0.1", portnum,
         { context = cctx, server_name = name, timeout = 10, session = session }))
      assert(f:receive("*l") == name)
      finished[#finished + 1] = { name = name, at = loop.now(), resumed = f:info().resumed,
         session = f:getsession() }
      f:close()
   end)
end

describe("a hook sleeping 10 ms under moontls.loop", function()
   it("select_context: the other handshakes go on while it sleeps", function()
      local lp = loop.new()
      local window = {}
      local port, portnum = server(lp, {
         select_context = function(name)
            if name == "slow.example" then
               window.from = loop.now()
               loop.sleep(0.01)
               window.to = loop.now()
            else
               window.fast = window.fast or {}
               table.insert(window.fast, loop.now())
            end
         end,
      })
      local finished = {}
      client(lp, portnum, "slow.example", nil, finished)
      for _ = 1, 20 do client(lp, portnum, "fast.example", nil, finished) end
      lp:spawn(function()
         while #finished < 21 do loop.sleep(0.005) end
         port:close()
      end)
      assert(lp:run())
      lp:close()
      assert.equal(21, #finished)
      assert.is_true(window.to - window.from >= 0.009)
      -- the server took other handshakes on while the slow hook slept (their own hook ran
      -- inside the window), and every handshake, the slow one too, completed
      local during = 0
      for _, t in ipairs(window.fast) do
         if t > window.from and t < window.to then during = during + 1 end
      end
      assert.is_true(during >= 1, "no other handshake progressed during the slow hook")
      local slow_at
      for _, r in ipairs(finished) do
         if r.name == "slow.example" then slow_at = r.at end
      end
      assert.is_true(slow_at >= window.to)
   end)

   it("lookup_session: 30 resumptions, each waiting 10 ms, overlap instead of queueing",
      function()
         local lp = loop.new()
         local store, inflight, peak = {}, 0, 0
         local port, portnum = server(lp, {
            record_session = function(id, s) store[id] = s end,
            lookup_session = function(id)
               inflight = inflight + 1
               peak = math.max(peak, inflight)
               loop.sleep(0.01)
               inflight = inflight - 1
               return store[id]
            end,
         })
         local first = {}
         client(lp, portnum, "fast.example", nil, first)
         local finished = {}
         lp:spawn(function()
            while #first < 1 do loop.sleep(0.002) end
            for _ = 1, 30 do client(lp, portnum, "fast.example", first[1].session, finished) end
            while #finished < 30 do loop.sleep(0.005) end
            port:close()
         end)
         assert(lp:run())
         lp:close()
         assert.equal(30, #finished)
         for _, r in ipairs(finished) do assert.is_true(r.resumed) end
         -- the lookups of different handshakes were waiting at the same time
         assert.is_true(peak >= 2, "lookups ran one after another (peak " .. peak .. ")")
      end)
end)
