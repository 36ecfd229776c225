-- bench/ scripts (make bench) run end to end with tiny sizes: each prints its figure. No
-- timing is checked here (make bench measures; make check only keeps the scripts working).
local helpers = require "helpers"
local tls = require "moontls"

describe("bench scripts with tiny sizes", function()
   local dir, cert, key
   setup(function()
      dir = helpers.tmpdir()
      local k = tls.keys.generate("ec-p256")
      cert, key = dir .. "/c.pem", dir .. "/k.pem"
      local f = assert(io.open(cert, "w"))
      f:write(tls.x509.selfsigned { key = k, cn = "localhost", san = { "DNS:localhost" } })
      f:close()
      f = assert(io.open(key, "w"))
      f:write(k:pem())
      f:close()
   end)
   teardown(function() helpers.rmtree(dir) end)

   local function figure(args)
      local ok, code, out = helpers.run(helpers.lua .. " " .. args)
      assert(ok, ("%s exited %s:\n%s"):format(args, tostring(code), out))
      local v = tonumber(out:match("([%d.]+)%s*$"))
      assert(v and v > 0, "no figure from " .. args .. ":\n" .. out)
      return v
   end

   it("bulk.lua: the engine pair and nettle's raw AEAD, every AEAD", function()
      for _, alg in ipairs { "aes128gcm", "aes256gcm", "chacha20poly1305" } do
         assert.is_true(figure("bench/bulk.lua moontls " .. alg .. " 1") > 0)
         assert.is_true(figure("bench/bulk.lua nettle " .. alg .. " 1") > 0)
      end
   end)

   it("core.crypto.aead_bench checks its arguments", function()
      local crypto = require("moontls.core").crypto
      assert.has_error(function() crypto.aead_bench("rc4", 1, 16) end)
      assert.has_error(function() crypto.aead_bench("aes128gcm", 0, 16) end)
      assert.has_error(function() crypto.aead_bench("aes128gcm", 1, 0) end)
      assert.is_true(crypto.aead_bench("chacha20poly1305", 2, 100) >= 0)
   end)

   it("lua_handshakes.lua: moontls and LuaSec", function()
      assert.is_true(figure(("bench/lua_handshakes.lua moontls 4 %s %s"):format(cert, key)) > 0)
      assert.is_true(figure(("bench/lua_handshakes.lua luasec 4 %s %s"):format(cert, key)) > 0)
   end)

   it("loopback.lua: moontls and LuaSec, 1 MiB", function()
      assert.is_true(figure(("bench/loopback.lua moontls 1 %s %s"):format(cert, key)) > 0)
      assert.is_true(figure(("bench/loopback.lua luasec 1 %s %s"):format(cert, key)) > 0)
   end)

   it("client_loop.lua: TLS 1.2 and 1.3 against moontls server, full and resumed", function()
      local h = helpers.start(("%s bin/moontls server --port 0 --echo --quiet --cert %s --key %s"
         .. " --timeout 30"):format(helpers.lua, cert, key), helpers.port_on_stdout)
      for _, v in ipairs { { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "tls1.2" },
         { "TLS_AES_128_GCM_SHA256", "tls1.3" } } do
         for _, mode in ipairs { "new", "reuse" } do
            -- "reuse" fails unless every connection after the first resumed
            assert.equals(3, figure(("bench/client_loop.lua %d 3 %s %s %s"):format(h.port, mode,
               v[1], v[2])))
         end
      end
      helpers.stop_all()
   end)

   it("idle_conns.lua: moontls and LuaSec, 5 connections", function()
      for _, impl in ipairs { "moontls", "luasec" } do
         local ok, _, out = helpers.run(helpers.lua .. " bench/idle_conns.lua 5 " .. impl)
         assert(ok, out)
         assert.truthy(out:match("RESULT [%d.-]+ [%d.-]+"), out)
      end
   end)
end)
