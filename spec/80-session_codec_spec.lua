-- Sessions as strings (session:encode, moontls.session.decode): round trips for suites of
-- every kind, plain and sealed; truncated, bit-flipped, foreign and wrongly keyed strings
-- fail cleanly; a decoded session resumes; lookup_session may answer with an encoding.
local core = require "moontls.core"
local decide = require "moontls.decide"
local tls = require "moontls"

local ec = assert(tls.keys.generate("ec-p256"))
local rsa = assert(tls.keys.generate("rsa-2048"))
local certs = {}
for name, k in pairs { ec = ec, rsa = rsa } do
   certs[name] = { certificate = assert(tls.x509.selfsigned { key = k, cn = "s.example",
      san = { "DNS:s.example" } }), key = k:pem() }
end

-- An in-memory handshake; returns the client File table and the server's.
local function handshake(cctx, sctx, session)
   local c = { conn = assert(core.file_new(cctx.core, "s.example")), ctx = cctx,
      server_name = "s.example" }
   local s = { conn = assert(core.file_new(sctx.core)), ctx = sctx }
   if session then assert(c.conn:resume(session)) end
   for _ = 1, 100 do
      for _, f in ipairs { c, s } do
         if f.conn:decision() then assert(decide.answer(f)) end
      end
      local moved = false
      for _, d in ipairs { { c, s }, { s, c } } do
         local out = d[1].conn:pending()
         if #out > 0 then
            local used = assert(d[2].conn:feed(out))
            d[1].conn:sent(used)
            moved = true
         end
      end
      if not moved and c.conn:status().connected and s.conn:status().connected then
         decide.record(s)
         return c, s
      end
   end
   error("no handshake")
end

local KEY = ("k"):rep(32)

-- Every suite of csrc/suites.c: the TLS 1.2 ones (_WITH_) and the five of TLS 1.3.
local SUITES = {}
do
   local f = assert(io.open("csrc/suites.c"))
   local src = f:read("a")
   f:close()
   for name in src:gmatch('{0x%x%x%x%x, "(TLS_[%w_]+)"') do
      local v13 = not name:find("_WITH_", 1, true)
      SUITES[#SUITES + 1] = { name, (v13 or name:find("^TLS_ECDHE_ECDSA_")) and "ec" or "rsa",
         v13 and "tls1.3" or "tls1.2" }
   end
end

describe("session:encode / moontls.session.decode", function()
   it("covers every suite of both versions", function()
      local n = { ["tls1.2"] = 0, ["tls1.3"] = 0 }
      for _, row in ipairs(SUITES) do n[row[3]] = n[row[3]] + 1 end
      assert.equal(5, n["tls1.3"])
      assert.is_true(n["tls1.2"] >= 50, n["tls1.2"])
   end)

   for _, row in ipairs(SUITES) do
      local suite, kind, version = row[1], row[2], row[3]
      -- TLS 1.2 both ways: by ticket (the default) and by session id (tickets off)
      for _, tickets in ipairs(version == "tls1.2" and { true, false } or { true }) do
         local how = version == "tls1.3" and "" or tickets and " (ticket)" or " (session id)"
         it(version .. " " .. suite .. how .. ": plain and sealed round trips that resume",
            function()
               local sctx = assert(tls.context { mode = "server",
                  certificate = certs[kind].certificate, key = certs[kind].key,
                  ciphers = { suite }, alpn = { "h2" }, min_version = version,
                  max_version = version })
               local cctx = assert(tls.context { mode = "client",
                  cafile = certs[kind].certificate, min_version = version,
                  max_version = version, ciphers = { suite }, alpn = { "h2" },
                  tickets = tickets })
               local c = handshake(cctx, sctx)
               -- (TLS 1.3: the session is the server's NewSessionTicket, after the handshake)
               local s = assert(c.conn:session())
               assert.equal(version == "tls1.3" and "TLSv1.3" or "TLSv1.2", s:info().version)
               assert.equal(tickets, s:info().ticket)
               assert.equal(version == "tls1.3" and 0 or 64, #s:id()) -- 1.3: only a ticket
               s:set_peer(c.conn:peer_chain(), "ok")
               for _, key in ipairs { false, KEY } do
                  local str = s:encode(key or nil)
                  assert.is_string(str)
                  local d = assert(tls.session.decode(str, key or nil))
                  assert.equal(suite, d:cipher())
                  assert.equal(s:id(), d:id())
                  assert.equal(s:time(), d:time())
                  assert.same(s:info(), d:info())
                  assert.same(c.conn:peer_chain(), d:peer_chain())
                  assert.equal(str:sub(1, 4), d:encode(key or nil):sub(1, 4))
                  if not key then assert.equal(str, d:encode()) end
                  local c2 = handshake(cctx, sctx, d)
                  assert.is_true(c2.conn:info().resumed)
                  assert.equal("h2", c2.conn:info().alpn)
               end
            end)
      end
   end

   it("TLS 1.2 resumes only with the same ALPN (by id and by ticket); 1.3 negotiates it anew",
      function()
         local seen = {}
         for _, v in ipairs { "tls1.2", "tls1.3" } do
            for _, tickets in ipairs { true, false } do
               local sctx = assert(tls.context { mode = "server",
                  certificate = certs.ec.certificate, key = certs.ec.key,
                  alpn = { "h2", "http/1.1" }, max_version = v })
               local function client(alpn)
                  return assert(tls.context { mode = "client", cafile = certs.ec.certificate,
                     alpn = { alpn }, max_version = v, tickets = tickets })
               end
               local c = handshake(client("h2"), sctx)
               local s = assert(c.conn:session())
               local same = handshake(client("h2"), sctx, s)
               local other = handshake(client("http/1.1"), sctx, s)
               assert.equal("http/1.1", other.conn:info().alpn)
               seen[#seen + 1] = { v, tickets, same.conn:info().resumed,
                  other.conn:info().resumed }
            end
         end
         assert.same({ { "tls1.2", true, true, false }, { "tls1.2", false, true, false },
            { "tls1.3", true, true, true }, { "tls1.3", false, true, true } }, seen)
      end)

   describe("bad input", function()
      local sctx = assert(tls.context { mode = "server", certificate = certs.ec.certificate,
         key = certs.ec.key })
      local cctx = assert(tls.context { mode = "client", cafile = certs.ec.certificate,
         max_version = "tls1.2" })
      local s = assert(handshake(cctx, sctx).conn:session())
      local plain, sealed = s:encode(), s:encode(KEY)

      it("every truncation fails cleanly", function()
         for _, str in ipairs { plain, sealed } do
            local key = str == sealed and KEY or nil
            for n = 0, #str - 1 do
               local d, msg, code = tls.session.decode(str:sub(1, n), key)
               assert.is_nil(d)
               assert.is_string(msg)
               assert.is_string(code)
            end
         end
      end)

      it("every flipped bit fails cleanly", function()
         for _, str in ipairs { plain, sealed } do
            local key = str == sealed and KEY or nil
            for i = 1, #str do
               for bit = 0, 7 do
                  local b = str:byte(i) ~ (1 << bit)
                  local bad = str:sub(1, i - 1) .. string.char(b) .. str:sub(i + 1)
                  local d, _, code = tls.session.decode(bad, key)
                  assert.is_nil(d, ("byte %d bit %d"):format(i, bit))
                  assert.is_truthy(code == "session_damaged" or code == "session_format"
                     or code == "session_key", code)
               end
            end
         end
      end)

      it("foreign strings, trailing bytes and wrong keys are told apart", function()
         local function code_of(str, key) return select(3, tls.session.decode(str, key)) end
         assert.equal("session_format", code_of(""))
         assert.equal("session_format", code_of("hello, world"))
         -- formats 1 and 2 (before the extra part) and any later one are foreign
         for _, v in ipairs { 1, 2, 5, 255 } do
            assert.equal("session_format", code_of("MTS" .. string.char(v) .. plain:sub(5)))
         end
         assert.equal("session_damaged", code_of(plain .. "x"))
         assert.equal("session_damaged", code_of(sealed .. "x", KEY))
         assert.equal("session_key", code_of(sealed))
         assert.equal("session_key", code_of(plain, KEY))
         assert.equal("session_damaged", code_of(sealed, ("z"):rep(32)))
         assert.has_error(function() tls.session.decode(sealed, "short") end)
         assert.has_error(function() tls.session.decode(42) end)
      end)

      it("sealing hides the secret and differs each time; tostring shows none", function()
         assert.not_equal(s:encode(KEY), s:encode(KEY))
         assert.not_matches("[%z\1-\8]", tostring(s))
         assert.matches("TLS_ECDHE_ECDSA", tostring(s))
      end)

      it("an empty session does not encode", function()
         local str, msg, code = core.session_new():encode()
         assert.is_nil(str)
         assert.is_string(msg)
         assert.equal("invalid_argument", code)
      end)
   end)

   it("lookup_session may answer with a sealed encoding (ctx.session_key)", function()
      local store = {}
      local sctx = assert(tls.context { mode = "server", certificate = certs.ec.certificate,
         key = certs.ec.key, session_cache = false })
      sctx.session_key = KEY
      sctx.record_session = function(id, encoded, s)
         assert.equal("moontls.Session", getmetatable(s).__name)
         store[id] = encoded
      end
      sctx.lookup_session = function(id) return store[id] end
      local cctx = assert(tls.context { mode = "client", cafile = certs.ec.certificate,
         max_version = "tls1.2" })
      local c = handshake(cctx, sctx)
      local id = c.conn:session_id()
      -- record_session got the session sealed under ctx.session_key
      assert.equal("MTS\4", store[id]:sub(1, 4))
      assert.equal("session_key", select(3, tls.session.decode(store[id])))
      assert.equal(c.conn:session():cipher(), assert(tls.session.decode(store[id], KEY)):cipher())
      local c2 = handshake(cctx, sctx, c.conn:session())
      assert.is_true(c2.conn:info().resumed)
   end)
end)
