-- Wycheproof vectors through the core's own glue: AEAD record protection,
-- HMAC, HKDF, X25519/X448 and NIST ECDH key shares (moontls.core.crypto).
local crypto = require("moontls.core").crypto
local wp = require "wycheproof"
local unhex, hex = wp.unhex, wp.hex

-- Runs every vector of an AEAD file whose parameters TLS uses (96-bit nonce, the row's tag
-- size); the others (other nonce/tag/key sizes) are counted, printed, never silently dropped.
local function aead_file(file, pick)
   local doc = wp.load(file)
   local ran, not_tls, failures = 0, 0, {}
   wp.each(doc, function(g, t)
      local name = pick(g)
      if not name then
         not_tls = not_tls + 1
         return
      end
      ran = ran + 1
      local key, iv, aad = unhex(t.key), unhex(t.iv), unhex(t.aad)
      local msg, sealed = unhex(t.msg), unhex(t.ct) .. unhex(t.tag)
      local opened = crypto.aead_open(name, key, iv, aad, sealed)
      if t.result == "valid" then
         if opened ~= msg or crypto.aead_seal(name, key, iv, aad, msg) ~= sealed then
            failures[#failures + 1] = t.tcId
         end
      elseif opened ~= nil then
         failures[#failures + 1] = t.tcId
      end
   end)
   return ran, not_tls, failures
end

describe("Wycheproof AEAD through the record-protection table", function()
   it("AES-GCM: every 96-bit-nonce, 128-bit-tag vector", function()
      local ran, skipped, failures = aead_file("aes_gcm_test.json", function(g)
         if g.ivSize == 96 and g.tagSize == 128 and (g.keySize == 128 or g.keySize == 256) then
            return "AES-" .. g.keySize .. "-GCM"
         end
      end)
      print(string.format("\n  aes_gcm: %d run, %d with non-TLS parameters", ran, skipped))
      assert.same({}, failures)
      assert.equals(133, ran) -- 67 AES-128 + 66 AES-256 vectors with 96-bit nonces
   end)

   it("AES-CCM and CCM_8: every 96-bit-nonce vector with a 128- or 64-bit tag", function()
      local ran, skipped, failures = aead_file("aes_ccm_test.json", function(g)
         if g.ivSize == 96 and (g.keySize == 128 or g.keySize == 256) then
            if g.tagSize == 128 then return "AES-" .. g.keySize .. "-CCM" end
            if g.tagSize == 64 then return "AES-" .. g.keySize .. "-CCM8" end
         end
      end)
      print(string.format("\n  aes_ccm: %d run, %d with non-TLS parameters", ran, skipped))
      assert.same({}, failures)
      assert.equals(172, ran)
   end)

   it("ChaCha20-Poly1305: every vector", function()
      local ran, skipped, failures = aead_file("chacha20_poly1305_test.json", function(g)
         if g.ivSize == 96 and g.tagSize == 128 then return "CHACHA20-POLY1305" end
      end)
      print(string.format("\n  chacha20_poly1305: %d run, %d with non-TLS parameters", ran,
         skipped))
      assert.same({}, failures)
      assert.equals(316, ran) -- the 9 others use nonces of 0 to 256 bits, never 96
   end)

   it("refuses short input and bad tags with one indistinguishable error", function()
      local key, iv = string.rep("k", 16), string.rep("n", 12)
      local sealed = crypto.aead_seal("AES-128-GCM", key, iv, "ad", "hello")
      local flipped = sealed:sub(1, 1) .. string.char(sealed:byte(2) ~ 1) .. sealed:sub(3)
      local r1 = { crypto.aead_open("AES-128-GCM", key, iv, "ad", flipped) }
      local r2 = { crypto.aead_open("AES-128-GCM", key, iv, "ad", sealed:sub(1, 10)) }
      local r3 = { crypto.aead_open("AES-128-GCM", key, iv, "AD", sealed) }
      assert.same({ nil, "record failed authentication", "bad_record_mac" }, r1)
      assert.same(r1, r2)
      assert.same(r1, r3)
      assert.equals("hello", crypto.aead_open("AES-128-GCM", key, iv, "ad", sealed))
   end)
end)

describe("Wycheproof HMAC and HKDF", function()
   for _, h in ipairs { "sha1", "sha256", "sha384" } do
      it("HMAC-" .. h:upper(), function()
         local failures = {}
         local counts = wp.each(wp.load("hmac_" .. h .. "_test.json"), function(g, t)
            local tag = crypto.hmac(h, unhex(t.key), unhex(t.msg)):sub(1, g.tagSize // 8)
            if (tag == unhex(t.tag)) ~= (t.result == "valid") then
               failures[#failures + 1] = t.tcId
            end
         end)
         assert.same({}, failures)
         assert.is_true(counts.total >= 100)
      end)
   end

   for _, h in ipairs { "sha256", "sha384" } do
      it("HKDF-" .. h:upper(), function()
         local failures = {}
         local counts = wp.each(wp.load("hkdf_" .. h .. "_test.json"), function(_, t)
            local prk = crypto.hkdf_extract(h, unhex(t.salt), unhex(t.ikm))
            local okm = crypto.hkdf_expand(h, prk, unhex(t.info), t.size)
            local ok = okm ~= nil and okm == unhex(t.okm)
            if ok ~= (t.result == "valid") then
               failures[#failures + 1] = t.tcId
            end
         end)
         assert.same({}, failures)
         assert.is_true(counts.total >= 80)
      end)
   end
end)

-- valid: the same shared secret; invalid: refused; acceptable (low-order or compressed
-- points, which TLS refuses): refused or the same secret, counted.
local function kex_file(file, group)
   local failures, refused_acceptable = {}, 0
   local counts = wp.each(wp.load(file), function(_, t)
      local shared = crypto.kex_derive(group, unhex(t.private), unhex(t.public))
      if t.result == "valid" then
         if shared ~= unhex(t.shared) then failures[#failures + 1] = t.tcId end
      elseif t.result == "invalid" then
         if shared ~= nil and shared == unhex(t.shared or "") then
            failures[#failures + 1] = t.tcId
         end
      elseif shared == nil then
         refused_acceptable = refused_acceptable + 1
      elseif shared ~= unhex(t.shared) then
         failures[#failures + 1] = t.tcId
      end
   end)
   print(string.format("\n  %s: %d vectors (%d valid, %d acceptable of which %d refused, "
      .. "%d invalid)", file, counts.total, counts.valid or 0, counts.acceptable or 0,
      refused_acceptable, counts.invalid or 0))
   return failures, counts
end

describe("Wycheproof key exchange through the key-share decoding", function()
   for _, row in ipairs {
      { "x25519_test.json", "x25519" },
      { "x448_test.json", "x448" },
      { "ecdh_secp256r1_ecpoint_test.json", "secp256r1" },
      { "ecdh_secp384r1_ecpoint_test.json", "secp384r1" },
      { "ecdh_secp521r1_ecpoint_test.json", "secp521r1" },
   } do
      it(row[2], function()
         local failures, counts = kex_file(row[1], row[2])
         assert.same({}, failures)
         assert.is_true(counts.valid > 200)
      end)
   end

   it("refuses the all-zero X25519 result and off-curve or compressed NIST points", function()
      local priv = string.rep("\1", 32)
      local _, msg, code = crypto.kex_derive("x25519", priv, string.rep("\0", 32))
      assert.equals("illegal_parameter", code)
      assert.is_string(msg)
      local _, pub = crypto.kex_pair("secp256r1")
      local bad = pub:sub(1, 64) .. string.char(pub:byte(65) ~ 1)
      assert.is_nil((crypto.kex_derive("secp256r1", string.rep("\7", 32), bad)))
      local compressed = "\2" .. pub:sub(2, 33)
      assert.is_nil((crypto.kex_derive("secp256r1", string.rep("\7", 32), compressed)))
      assert.is_nil((crypto.kex_derive("secp256r1", string.rep("\7", 32), pub .. "\0")))
   end)

   it("agrees between two fresh shares on every group", function()
      for _, g in ipairs { "x25519", "x448", "secp256r1", "secp384r1", "secp521r1" } do
         local a, b, agreed = crypto.kex_pair(g)
         assert.is_true(agreed, g)
         assert.are_not.equal(hex(a), hex(b))
      end
   end)
end)
