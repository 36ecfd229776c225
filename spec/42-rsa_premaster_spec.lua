-- RSA key transport (keys.c): every Wycheproof RSAES-PKCS1-v1_5 decryption vector for
-- 2048-, 3072- and 4096-bit keys, through the generic decryption (which says whether the
-- message was recovered) and through the TLS premaster path (which never says: it returns
-- 48 bytes every time, random ones unless the message is a 48-byte premaster secret).
local crypto = require("moontls.core").crypto
local keys = require "moontls.keys"
local wp = require "wycheproof"
local unhex = wp.unhex

local TLS12 = 0x0303

-- Runs one file; returns the tallies and a list of failures.
local function run_file(file)
   local doc = wp.load(file)
   local t = { ran = 0, valid = 0, invalid = 0, recovered = 0, rejected = 0, random = 0,
      stable = 0, bad_length = 0, own = 0 }
   local failures = {}
   local function fail(tc, why) failures[#failures + 1] = tc .. ": " .. why end
   for _, g in ipairs(doc.testGroups) do
      local key = assert(keys.load(g.privateKeyPem))
      local k = tonumber(g.keySize) // 8
      for _, v in ipairs(g.tests) do
         t.ran = t.ran + 1
         t[v.result] = t[v.result] + 1 -- only "valid" and "invalid" occur; anything else errors
         local ct, msg = unhex(v.ct), unhex(v.msg)
         -- generic decryption with the expected message length
         local got = crypto.rsa_decrypt_check(key, ct, #msg)
         if v.result == "valid" then
            if got ~= msg then fail(v.tcId, "valid vector not decrypted") end
            t.recovered = t.recovered + 1
         else
            if got ~= nil then fail(v.tcId, "invalid vector decrypted") end
            t.rejected = t.rejected + 1
         end
         -- premaster path
         local a, _, code = crypto.rsa_premaster(key, ct, TLS12)
         if #ct ~= k then
            if a ~= nil or code ~= "bad_length" then fail(v.tcId, "length not refused") end
            t.bad_length = t.bad_length + 1
         else
            local b = crypto.rsa_premaster(key, ct, TLS12)
            local keeps = v.result == "valid" and #msg == 48 and msg:sub(1, 2) == "\3\3"
            if #a ~= 48 or #b ~= 48 then
               fail(v.tcId, "premaster not 48 bytes")
            elseif keeps then
               if a ~= msg or b ~= msg then fail(v.tcId, "premaster not kept") end
               t.stable = t.stable + 1
            else
               if a == b or a == msg:sub(1, 48) then fail(v.tcId, "no random substitute") end
               t.random = t.random + 1
            end
         end
      end
      -- the same key carrying a real premaster secret: kept, and stable
      local pms = "\3\3" .. crypto.hmac("sha256", g.keySize, tostring(#g.tests)):rep(2):sub(1, 46)
      local ct = crypto.rsa_encrypt_premaster(key, pms)
      if #ct ~= k or crypto.rsa_premaster(key, ct, TLS12) ~= pms
         or crypto.rsa_premaster(key, ct, TLS12) ~= pms
         or crypto.rsa_decrypt_check(key, ct, 48) ~= pms then
         fail("own", "premaster round trip")
      end
      local w1, w2 = crypto.rsa_premaster(key, ct, 0x0302), crypto.rsa_premaster(key, ct, 0x0302)
      if #w1 ~= 48 or w1 == pms or w1 == w2 then fail("own", "version mismatch not random") end
      t.own = t.own + 1
      key:close()
   end
   return t, failures
end

describe("Wycheproof RSAES-PKCS1-v1_5 decryption", function()
   local expect = {
      ["rsa_pkcs1_2048_test.json"] = { valid = 42, invalid = 25 },
      ["rsa_pkcs1_3072_test.json"] = { valid = 41, invalid = 26 },
      ["rsa_pkcs1_4096_test.json"] = { valid = 41, invalid = 26 },
   }
   for _, file in ipairs { "rsa_pkcs1_2048_test.json", "rsa_pkcs1_3072_test.json",
      "rsa_pkcs1_4096_test.json" } do
      it(file .. ": every vector", function()
         local t, failures = run_file(file)
         print(string.format("\n  %s: %d vectors (%d valid, %d invalid): %d recovered, "
            .. "%d rejected; premaster path: %d random, %d kept, %d bad length; "
            .. "%d own premaster round trips", file, t.ran, t.valid, t.invalid, t.recovered,
            t.rejected, t.random, t.stable, t.bad_length, t.own))
         assert.same({}, failures)
         assert.equals(67, t.ran)
         assert.equals(expect[file].valid, t.valid)
         assert.equals(expect[file].invalid, t.invalid)
         assert.equals(5, t.bad_length) -- the InvalidCiphertextFormat vectors but "c = n"
         assert.equals(62, t.random + t.stable)
         assert.equals(33, t.own)
      end)
   end
end)
