-- Seeds for tools/fuzz/fuzz_hello.c: real ClientHellos from moontls clients of several
-- configurations, each behind the harness's control byte and length.
--   lua5.4 tools/fuzz/mkseeds.lua DIR
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local core = require "moontls.core"
local tls = require "moontls"
local dir = assert(arg[1], "usage: mkseeds.lua DIR")
local n = 0
for _, o in ipairs {
   { mode = "client", verify = "none" },
   { mode = "client", verify = "none", alpn = { "h2", "http/1.1" }, max_fragment_length = 1024,
      record_size_limit = 1000 },
   { mode = "client", verify = "none", ciphers = { "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
      "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256" },
      groups = { "ffdhe2048", "x448", "secp521r1" } },
} do
   local ctx = assert(tls.context(o))
   for _, name in ipairs { "b.example", false } do
      local f = core.file_new(ctx.core, name or nil)
      local rec = f:pending()
      local body = rec:sub(10)
      for _, ctl in ipairs { 0, 1, 3, 7, 0x0f, 0xff } do
         n = n + 1
         local out = io.open(("%s/s%02d"):format(dir, n), "wb")
         out:write(string.char(ctl, #body >> 8, #body & 255) .. body)
         out:close()
      end
   end
end
print(n .. " seeds")
