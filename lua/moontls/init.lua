--- moontls: TLS for Lua 5.4 on GNU nettle.
-- This is the module users require; the protocol lives in the C core
-- (moontls.core), this file is the thin Lua API over it.
local core = require "moontls.core"

local moontls = {
   _VERSION = "moontls " .. core._VERSION,
}

--- n random bytes from moontls' generator (ChaCha20 DRBG seeded by getrandom,
-- reseeded after fork). Returns nil, message, code if the kernel gives no entropy.
function moontls.random(n)
   return core.random(n)
end

moontls.keys = require "moontls.keys"
moontls.x509 = require "moontls.x509"

return moontls
