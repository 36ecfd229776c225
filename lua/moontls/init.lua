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

--- Writes data to path as a file only its owner can read (mode 0600, symlinks refused):
-- for private keys. Returns true or nil, message.
function moontls.write_private_file(path, data)
   return core.write_private_file(path, data)
end

moontls.keys = require "moontls.keys"
moontls.x509 = require "moontls.x509"
moontls.loop = require "moontls.loop"
moontls.session = require "moontls.session"

local context = require "moontls.context"
local file = require "moontls.file"

--- moontls.context{...}: see moontls.context.new.
moontls.context = context.new
moontls.wrap = file.wrap
moontls.connect = file.connect
moontls.listen = file.listen

return moontls
