-- The engine's decision points answered by the Context hooks (moontls.decide): Context chosen
-- by SNI/ALPN (select_context), lazy certificate loading (find_cert), session lookup and
-- recording (lookup_session / record_session) and the verify hook. Client and server engines
-- run in this process, wired in memory (the sans-IO core), and the hooks may yield: the pump
-- runs in a coroutine and resumes it. spec/58 shows the same hooks against real peers.
local core = require "moontls.core"
local decide = require "moontls.decide"
local keys = require "moontls.keys"
local tls = require "moontls"

-- A self-signed certificate for `name` (PEM) and its key (PEM).
local function identity(name)
   local k = assert(keys.generate("ec-p256"))
   local pem = assert(tls.x509.selfsigned { key = k, cn = name, san = { "DNS:" .. name } })
   return { certificate = pem, key = k:pem() }
end

local A, B, LAZY = identity("a.example"), identity("b.example"), identity("lazy.example")

local function server_ctx(o)
   o = o or {}
   o.mode = "server"
   if o.certificate == nil and not o.find_cert and not o.select_context then
      o.certificate, o.key = A.certificate, A.key
   end
   return assert(tls.context(o))
end

-- A client trusting `trust` (PEM) for host `name`.
local function client_ctx(trust, extra)
   local o = { mode = "client", cafile = trust, alpn = { "h2", "http/1.1" } }
   for k, v in pairs(extra or {}) do o[k] = v end
   return assert(tls.context(o))
end

-- Both engines from handshake to connected (or failure), answering decisions with the hooks.
-- Runs in a coroutine: a hook that yields is resumed by this loop (the `yields` count says how
-- often). Returns the two Files, or nil, message (the first side that failed).
local function connect(cctx, sctx, name, session)
   local c = { conn = assert(core.file_new(cctx.core, name)), ctx = cctx, server_name = name }
   local s = { conn = assert(core.file_new(sctx.core)), ctx = sctx }
   if session then assert(c.conn:resume(session)) end
   local yields = 0
   local co = coroutine.create(function()
      for _ = 1, 200 do
         for _, f in ipairs { c, s } do
            if f.conn:decision() then
               local ok, err = decide.answer(f)
               if not ok then
                  local other = f == c and s or c
                  local alert = f.conn:pending()
                  if #alert > 0 then other.conn:feed(alert) end
                  return nil, err
               end
            end
         end
         local moved = false
         for _, d in ipairs { { c, s }, { s, c } } do
            local out = d[1].conn:pending()
            if #out > 0 then
               local used, err = d[2].conn:feed(out)
               if not used then
                  -- let the failing side's alert reach the other one
                  local alert = d[2].conn:pending()
                  if #alert > 0 then d[1].conn:feed(alert) end
                  return nil, err
               end
               d[1].conn:sent(used)
               moved = moved or used > 0
            end
         end
         local cs, ss = c.conn:status(), s.conn:status()
         if cs.connected and ss.connected and not moved then
            decide.record(s)
            return true
         end
         if cs.closed or ss.closed then
            return nil, select(2, c.conn:error()) or select(2, s.conn:error())
         end
      end
      return nil, "no progress"
   end)
   local ok, res, err = coroutine.resume(co)
   while ok and coroutine.status(co) == "suspended" do
      yields = yields + 1
      ok, res, err = coroutine.resume(co)
   end
   assert(ok, res)
   c.yields = yields
   if not res then return nil, err, c, s end
   return c, s
end

local function peer_cn(c)
   local der = c.conn:peer_chain()[1]
   return select(2, tls.x509.load(der)[1]:subject())
end

describe("select_context", function()
   it("switches the Context (certificate, ALPN) by the client's SNI, and sees its ALPN list",
      function()
         local other = server_ctx { certificate = B.certificate, key = B.key, alpn = { "h2" } }
         local seen = {}
         local sctx = server_ctx()
         sctx.select_context = function(name, alpn)
            seen[#seen + 1] = { name = name, alpn = alpn }
            if name == "b.example" then return other end
         end
         local c, s = assert(connect(client_ctx(B.certificate), sctx, "b.example"))
         assert.equal("CN=b.example", peer_cn(c))
         assert.equal("h2", c.conn:info().alpn)
         assert.equal("b.example", s.conn:info().sni)
         assert.same({ { name = "b.example", alpn = { "h2", "http/1.1" } } }, seen)
         assert.equal(other, s.ctx)
         -- another name keeps the first Context
         c = assert(connect(client_ctx(A.certificate), sctx, "a.example"))
         assert.equal("CN=a.example", peer_cn(c))
      end)

   it("refuses a name when it returns false (unrecognized_name)", function()
      local sctx = server_ctx { select_context = function() return false end }
      local c, err, cf = connect(client_ctx(A.certificate), sctx, "nope.example")
      assert.is_nil(c)
      assert.matches("no context for server name 'nope.example'", err)
      assert.same({ "unrecognized_name alert received", "peer_alert" }, { cf.conn:error() })
   end)

   it("may yield (a hook waiting on something else) and the handshake goes on", function()
      local other = server_ctx { certificate = B.certificate, key = B.key }
      local sctx = server_ctx {
         select_context = function()
            for _ = 1, 3 do coroutine.yield() end
            return other
         end,
      }
      local c = assert(connect(client_ctx(B.certificate), sctx, "b.example"))
      assert.equal(3, c.yields)
      assert.equal("CN=b.example", peer_cn(c))
   end)

   it("must return a server Context", function()
      local sctx = server_ctx { select_context = function() return "oops" end }
      local c, err = connect(client_ctx(A.certificate), sctx, "a.example")
      assert.is_nil(c)
      assert.matches("must return a server Context", err)
   end)
end)

describe("find_cert", function()
   it("loads a certificate lazily for a name no certificate covers, once per name", function()
      local calls = {}
      local sctx = server_ctx {
         find_cert = function(name)
            calls[#calls + 1] = name
            if name == "lazy.example" then return LAZY end
         end,
      }
      for _ = 1, 3 do
         local c = assert(connect(client_ctx(LAZY.certificate), sctx, "lazy.example"))
         assert.equal("CN=lazy.example", peer_cn(c))
      end
      assert.same({ "lazy.example" }, calls)
      -- a name it does not know: no certificate at all, the handshake fails
      local c, err = connect(client_ctx(LAZY.certificate), sctx, "unknown.example")
      assert.is_nil(c)
      assert.matches("no acceptable parameters in common", err)
      assert.same({ "lazy.example", "unknown.example" }, calls)
   end)

   it("is not asked when a loaded certificate covers the name", function()
      local sctx = server_ctx { certificate = A.certificate, key = A.key,
         find_cert = function() error("find_cert must not be called") end }
      local c = assert(connect(client_ctx(A.certificate), sctx, "a.example"))
      assert.equal("CN=a.example", peer_cn(c))
   end)
end)

describe("lookup_session and record_session", function()
   it("resume through the hooks alone (no built-in cache)", function()
      local store, lookups = {}, {}
      -- session ids resume TLS 1.2 sessions (TLS 1.3 resumption is not there yet)
      -- (tickets off: a client presenting a ticket is never resumed by its session id,
      -- RFC 5077 3.4)
      local sctx = server_ctx { session_cache = false, max_version = "tls1.2", tickets = false }
      sctx.record_session = function(id, s) store[id] = s end
      sctx.lookup_session = function(id)
         lookups[#lookups + 1] = id
         coroutine.yield() -- a store that takes its time
         return store[id]
      end
      -- (a client offering 1.3 sends a random legacy_session_id, RFC 8446 D.4, which the
      -- server would look up too)
      local cctx = client_ctx(A.certificate, { max_version = "tls1.2" })
      local c = assert(connect(cctx, sctx, "a.example"))
      assert.is_false(c.conn:info().resumed)
      local session = assert(c.conn:session())
      local id = c.conn:session_id()
      assert.equal(32, #id)
      assert.is_truthy(store[id])
      local c2, s2 = assert(connect(cctx, sctx, "a.example", session))
      assert.is_true(c2.conn:info().resumed)
      assert.is_true(s2.conn:info().resumed)
      assert.same({ id }, lookups)
      -- forgotten by the store: a full handshake, and the new session is recorded
      store = {}
      local c3 = assert(connect(cctx, sctx, "a.example", session))
      assert.is_false(c3.conn:info().resumed)
      assert.is_truthy(store[c3.conn:session_id()])
   end)

   it("a session recorded under another id is not resumed", function()
      local sctx = server_ctx { session_cache = false, tickets = false }
      local first
      sctx.record_session = function(_, s) first = first or s end
      sctx.lookup_session = function() return first end
      local cctx = client_ctx(A.certificate)
      assert(connect(cctx, sctx, "a.example"))
      local c2 = assert(connect(cctx, sctx, "a.example"))
      local c3 = assert(connect(cctx, sctx, "a.example", c2.conn:session()))
      assert.is_false(c3.conn:info().resumed)
   end)
end)

describe("the verify hook", function()
   it("sees the built-in verdict and may overrule it either way", function()
      local sctx = server_ctx()
      local seen
      -- trusted chain, hook refuses
      local cctx = client_ctx(A.certificate)
      cctx.verify = function(chain, result)
         seen = { n = #chain, ok = result.ok }
         return false, "pinned key mismatch"
      end
      local c, err = connect(cctx, sctx, "a.example")
      assert.is_nil(c)
      assert.matches("pinned key mismatch", err)
      assert.same({ n = 1, ok = true }, seen)
      -- untrusted chain (B's root only), hook accepts
      local cctx2 = client_ctx(B.certificate, {
         verify = function(_, result)
            seen = result
            return true
         end,
      })
      assert(connect(cctx2, sctx, "a.example"))
      assert.is_false(seen.ok)
      assert.is_string(seen.reason)
   end)

   it("a hook must be a function", function()
      local sctx = server_ctx()
      assert.has_error(function() sctx.find_cert = "x" end, "find_cert must be a function")
   end)
end)

describe("groups by name", function()
   it("FFDHE groups are configurable and reported by info()", function()
      local rsa = assert(keys.generate("rsa-2048"))
      local pem = assert(tls.x509.selfsigned { key = rsa, cn = "a.example",
         san = { "DNS:a.example" } })
      for _, g in ipairs { "ffdhe2048", "ffdhe3072", "x448", "secp521r1" } do
         local sctx = server_ctx { certificate = pem, key = rsa:pem(), groups = { g },
            max_version = "tls1.2",
            ciphers = { g:find("ffdhe") and "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"
               or "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" } }
         local c = assert(connect(client_ctx(pem, { groups = { g }, max_version = "tls1.2" }),
            sctx, "a.example"))
         assert.equal(g, c.conn:info().group)
      end
      assert.has_error(function() tls.context { mode = "client", groups = { "ffdhe1024" } } end,
         "unknown group 'ffdhe1024'")
   end)
end)
