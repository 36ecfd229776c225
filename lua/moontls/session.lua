--- moontls.session: sessions as strings, for a cache in another process or machine.
--   local s = f:getsession()
--   local str = s:encode(key)                     -- key: 32 bytes, seals it (AES-256-GCM)
--   local s2 = moontls.session.decode(str, key)   -- a Session, or nil, message, code
-- Without a key the string holds the master secret in the clear (a checksum catches damage,
-- not tampering): store it as a secret. A string from another format version, a damaged
-- one or one sealed under another key gives nil, message, code ("session_format",
-- "session_damaged", "session_key", ...).
local core = require "moontls.core"

local M = {}

--- Decodes an encoded session; key (32 bytes) for a sealed one.
function M.decode(s, key)
   if type(s) ~= "string" then error("bad argument #1 to 'decode' (string expected)", 2) end
   return core.session_decode(s, key)
end

return M
