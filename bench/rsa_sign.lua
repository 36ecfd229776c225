-- nettle's RSA signing through moontls.keys (the same mt_key_sign a server handshake uses):
-- N RSA-PSS SHA-256 signatures with KEY, printed as signatures per CPU second: the ceiling
-- of the RSA server handshake row.
--   lua5.4 bench/rsa_sign.lua KEY N
package.path = "bench/?.lua;" .. package.path
local lib = require "lib"
local tls = require "moontls"

local key = assert(tls.keys.load(assert(lib.readfile(arg[1]))))
local n = assert(tonumber(arg[2]), "usage: rsa_sign.lua KEY N")
local t0 = os.clock()
for i = 1, n do assert(key:sign("message " .. i, "sha256", { pss = true })) end
print(("%.3f"):format(n / (os.clock() - t0)))
