-- Finite-field DHE (csrc/kex_dh.c) through moontls.core.crypto: the RFC 7919 groups,
-- both secret forms, peer-value checks, TLS 1.2 server-chosen groups, and a cross-check
-- against OpenSSL's own ffdhe2048 key agreement.
local crypto = require("moontls.core").crypto
local helpers = require "helpers"

local groups = {
   { "ffdhe2048", 256 }, { "ffdhe3072", 384 }, { "ffdhe4096", 512 },
   { "ffdhe6144", 768 }, { "ffdhe8192", 1024 },
}

local function unhex(s)
   return (s:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

-- p with its last byte replaced (every FFDHE p ends in 0xff, so no borrow): p - d for d < 256.
local function p_minus(p, d)
   return p:sub(1, -2) .. string.char(p:byte(-1) - d)
end

local function left_pad(s, n)
   return string.rep("\0", n - #s) .. s
end

describe("FFDHE key agreement", function()
   for _, g in ipairs(groups) do
      local name, bytes = g[1], g[2]
      it(name .. ": both sides agree, in the TLS 1.3 and the TLS 1.2 form", function()
         local pa, pb, agreed, len = crypto.dh_pair(name)
         assert.is_true(agreed)
         assert.equals(bytes, #pa)
         assert.equals(bytes, #pb)
         assert.not_equals(pa, pb)
         assert.equals(bytes, len) -- padded to the size of p
         local _, _, agreed12, len12 = crypto.dh_pair(name, "tls12")
         assert.is_true(agreed12)
         assert.is_true(len12 <= bytes and len12 > bytes - 8)
         local p = crypto.dh_prime(name)
         assert.equals(bytes, #p)
         assert.equals(string.rep("\255", 8), p:sub(1, 8))
         assert.equals(string.rep("\255", 8), p:sub(-8))
      end)
   end

   it("2^x is the public value: the peer value 2 returns it in both forms", function()
      local x = string.rep("\1", 30)
      local z13, pub = crypto.dh_derive("ffdhe3072", x, left_pad("\2", 384), "tls13")
      assert.equals(pub, z13)
      local z12 = crypto.dh_derive("ffdhe3072", x, "\2", "tls12")
      assert.equals((pub:gsub("^%z+", "")), z12)
      -- small exponents checked by hand: 2^2 = 4, 2^11 = 2048
      local _, p4 = crypto.dh_derive("ffdhe2048", "\2", "\2", "tls12")
      assert.equals(left_pad("\4", 256), p4)
      local _, p2048 = crypto.dh_derive("ffdhe2048", "\11", "\2", "tls12")
      assert.equals(left_pad("\8\0", 256), p2048)
   end)

   it("refuses every peer value outside 1 < Y < p-1 and wrong lengths", function()
      local x = string.rep("\7", 28)
      for _, name in ipairs { "ffdhe2048", "ffdhe8192" } do
         local p = crypto.dh_prime(name)
         local n = #p
         local bad = {
            zero = left_pad("\0", n), one = left_pad("\1", n), p_minus_1 = p_minus(p, 1),
            p = p, all_ones = string.rep("\255", n), empty = "", long = "\0" .. p_minus(p, 2),
         }
         for what, y in pairs(bad) do
            for _, form in ipairs { "tls13", "tls12" } do
               local z, msg, code = crypto.dh_derive(name, x, y, form)
               assert.is_nil(z, what .. " " .. form)
               assert.equals("illegal_parameter", code, what)
               assert.is_string(msg)
            end
         end
         -- TLS 1.3 shares are exactly the size of p; TLS 1.2 values may be short
         assert.equals("illegal_parameter", select(3, crypto.dh_derive(name, x, "\3", "tls13")))
         assert.is_string(crypto.dh_derive(name, x, "\3", "tls12"))
         assert.is_string(crypto.dh_derive(name, x, p_minus(p, 2), "tls13"))
      end
   end)

   it("agrees with OpenSSL's ffdhe2048 key agreement", function()
      local dir = helpers.tmpdir()
      local function sh(cmd)
         local ok, _, out = helpers.run("cd " .. dir .. " && " .. cmd)
         assert(ok, out)
         return out
      end
      sh("openssl genpkey -algorithm DH -pkeyopt group:ffdhe2048 -out a.pem")
      sh("openssl genpkey -algorithm DH -pkeyopt group:ffdhe2048 -out b.pem")
      sh("openssl pkey -in b.pem -pubout -out b.pub")
      sh("openssl pkeyutl -derive -inkey a.pem -peerkey b.pub -out ab.bin")
      local function field(file, label)
         local text = sh("openssl pkey -in " .. file .. " -text -noout")
         local block = assert(text:match(label .. ":\n(.-)\n%S"))
         return unhex((block:gsub("[%s:]", "")))
      end
      local xa, ya = field("a.pem", "private%-key"), field("a.pem", "public%-key")
      local yb = field("b.pem", "public%-key")
      local f = assert(io.open(dir .. "/ab.bin", "rb"))
      local want = f:read("a")
      f:close()
      helpers.rmtree(dir)
      local z, pub = crypto.dh_derive("ffdhe2048", xa, left_pad(yb:gsub("^%z+", ""), 256))
      assert.equals(left_pad((ya:gsub("^%z+", "")), 256), pub)
      assert.equals(256, #want)
      assert.equals(want, z)
   end)
end)

describe("TLS 1.2 server-chosen DH parameters (client checks)", function()
   local p2048 = crypto.dh_prime("ffdhe2048")

   it("recognises the RFC 7919 groups", function()
      for _, g in ipairs(groups) do
         assert.equals(g[1], crypto.dh_check(crypto.dh_prime(g[1]), "\2", "\5"))
      end
      assert.equals("ffdhe2048", crypto.dh_check("\0" .. p2048, "\0\2", "\5"))
      assert.equals("custom", crypto.dh_check(p2048, "\5", "\5"))
   end)

   it("refuses bad p, g and Ys", function()
      local cases = {
         { "even p", p_minus(p2048, 1), "\2", "\5", "illegal_parameter" },
         { "g = 0", p2048, "\0", "\5", "illegal_parameter" },
         { "g = 1", p2048, "\1", "\5", "illegal_parameter" },
         { "g = p-1", p2048, p_minus(p2048, 1), "\5", "illegal_parameter" },
         { "g = p", p2048, p2048, "\5", "illegal_parameter" },
         { "Ys = 1", p2048, "\2", "\1", "illegal_parameter" },
         { "Ys = p-1", p2048, "\2", p_minus(p2048, 1), "illegal_parameter" },
         { "Ys = p", p2048, "\2", p2048, "illegal_parameter" },
         { "Ys > p", p2048, "\2", string.rep("\255", 256), "illegal_parameter" },
         { "p of 1536 bits", p2048:sub(1, 192), "\2", "\5", "insufficient_security" },
         { "p above 8192 bits", "\1" .. crypto.dh_prime("ffdhe8192"), "\2", "\5",
            "illegal_parameter" },
      }
      for _, c in ipairs(cases) do
         local ok, _, code = crypto.dh_check(c[2], c[3], c[4])
         assert.is_nil(ok, c[1])
         assert.equals(c[5], code, c[1])
      end
   end)

   it("has a configurable floor and an optional primality test", function()
      local p1536 = p2048:sub(1, 191) .. "\255" -- odd, 1536 bits, not an RFC 7919 group
      assert.equals("insufficient_security", select(3, crypto.dh_check(p1536, "\2", "\5")))
      assert.equals("custom", crypto.dh_check(p1536, "\2", "\5", 1024))
      -- the truncated modulus is (overwhelmingly likely) composite: the test catches it
      assert.equals("illegal_parameter", select(3, crypto.dh_check(p1536, "\2", "\5", 1024, true)))
      assert.equals("insufficient_security",
         select(3, crypto.dh_check(p2048, "\2", "\5", 3072)))
      -- named groups skip the (costly) test and pass it anyway
      assert.equals("ffdhe3072", crypto.dh_check(crypto.dh_prime("ffdhe3072"), "\2", "\5", 0, true))
      -- g = 5 with ffdhe2048's p is custom, and p is prime
      assert.equals("custom", crypto.dh_check(p2048, "\5", "\5", 0, true))
   end)
end)
