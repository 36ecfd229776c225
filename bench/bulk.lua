-- Bulk record protection in memory: MiB of 16 KiB records sealed by one moontls engine and
-- opened by its peer (`moontls`: a client and a server connection of the core engine, the
-- handshake done sans-IO, then a Lua loop write -> pending -> feed -> read per record), or
-- nettle's own AEAD sealing and opening the same records in place (`nettle`: the ceiling,
-- core.crypto.aead_bench). Prints MiB per CPU second (each byte sealed once and opened once).
--   lua5.4 bench/bulk.lua moontls|nettle aes128gcm|aes256gcm|chacha20poly1305 MIB
package.path = "bench/?.lua;" .. package.path
require "lib"
local core = require "moontls.core"

local impl, alg, mib = arg[1], arg[2], tonumber(arg[3])
local SUITES = { aes128gcm = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
   aes256gcm = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
   chacha20poly1305 = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" }
assert((impl == "moontls" or impl == "nettle") and SUITES[alg] and mib,
   "usage: bulk.lua moontls|nettle ALG MIB")
local SIZE = 16384
local records = mib * 1024 * 1024 // SIZE

if impl == "nettle" then
   local secs = core.crypto.aead_bench(alg, records, SIZE)
   print(("%.3f"):format(records * SIZE / 2 ^ 20 / secs))
   return
end

local tls = require "moontls"
local key = tls.keys.generate("ec-p256")
local cert = tls.x509.selfsigned { key = key, cn = "localhost", san = { "DNS:localhost" } }
local sctx = assert(tls.context { mode = "server", certificate = cert, key = key:pem(),
   ciphers = { SUITES[alg] } })
local cctx = assert(tls.context { mode = "client", verify = "none", ciphers = { SUITES[alg] } })
local c = assert(tls.wrap(nil, cctx, { server_name = "localhost" }))
local s = assert(tls.wrap(nil, sctx))
repeat
   local out = c:pending()
   if #out > 0 then s:feed(out) end
   out = s:pending()
   if #out > 0 then c:feed(out) end
   c:handshake()
   local ok = s:handshake()
until ok and c:info().cipher == SUITES[alg]
-- from here on the engines themselves (the C objects under the Files)
local ce, se = c.conn, s.conn
local data = string.rep("x", SIZE)
local got = 0
local t0 = os.clock()
for _ = 1, records do
   assert(ce:write(data) == SIZE)
   local wire = ce:pending()
   ce:sent(#wire)
   local off = 1
   while off <= #wire do
      local used = assert(se:feed(off == 1 and wire or wire:sub(off)))
      off = off + used
      while true do
         local pt = se:read(SIZE)
         if not pt or #pt == 0 then break end
         got = got + #pt
      end
   end
end
local secs = os.clock() - t0
assert(got == records * SIZE, "lost plaintext: " .. got)
print(("%.3f"):format(records * SIZE / 2 ^ 20 / secs))
