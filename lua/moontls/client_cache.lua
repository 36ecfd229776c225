--- moontls.client_cache: a client Context's sessions, keyed "host:port" (opt-in:
-- tls.context{mode = "client", session_cache = true | {size = 100, lifetime = 600}}).
-- moontls.connect(host, port) and moontls.wrap(sock, ctx, {server_name =}) look a session up
-- and resume it; the connection's session is stored when the handshake ends and again when
-- the File closes (a TLS 1.3 ticket comes after the handshake). A TLS 1.3 session is taken
-- out when used (RFC 8446 C.4: a ticket is offered once); a TLS 1.2 one stays until it is
-- replaced, expires, or a handshake offering it fails.
local M = {}
M.__index = M

local DEFAULT_SIZE, DEFAULT_LIFETIME = 100, 600

--- A cache from the session_cache option (true or {size =, lifetime =}); raises on misuse.
function M.new(opt)
   local size, lifetime = DEFAULT_SIZE, DEFAULT_LIFETIME
   if type(opt) == "table" then
      size, lifetime = opt.size or size, opt.lifetime or lifetime
   elseif opt ~= true then
      error("session_cache must be true, false or {size =, lifetime =}", 3)
   end
   if math.type(size) ~= "integer" or size < 1 or size > 100000
      or type(lifetime) ~= "number" or lifetime <= 0 or lifetime > 7 * 86400 then
      error("session_cache: size 1..100000, lifetime up to 604800 s", 3)
   end
   return setmetatable({ size = size, lifetime = lifetime, by = {}, n = 0, clock = 0 }, M)
end

-- the entry's age in seconds
local function expired(self, e)
   return os.time() - e.at > self.lifetime
end

--- The session for key, or nil. A TLS 1.3 session is removed (single use).
function M:get(key)
   local e = self.by[key]
   if not e then return nil end
   if expired(self, e) or e.session:closed() then
      self:remove(key)
      return nil
   end
   if e.session:info().version == "TLSv1.3" then
      self:remove(key)
   else
      self.clock = self.clock + 1
      e.used = self.clock
   end
   return e.session
end

--- Stores session under key, evicting the least recently used entry when full.
function M:put(key, session)
   if not self.by[key] then
      if self.n >= self.size then
         local old, oldest
         for k, e in pairs(self.by) do
            if not oldest or e.used < oldest then old, oldest = k, e.used end
         end
         self:remove(old)
      end
      self.n = self.n + 1
   end
   self.clock = self.clock + 1
   self.by[key] = { session = session, at = os.time(), used = self.clock }
end

function M:remove(key)
   if self.by[key] then
      self.by[key] = nil
      self.n = self.n - 1
   end
end

--- Number of sessions held (expired ones included until looked up).
function M:count()
   return self.n
end

return M
