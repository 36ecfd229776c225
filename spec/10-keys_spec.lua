-- moontls.keys: loading every format openssl writes, signatures both ways with
-- openssl, generated keys accepted by openssl, and the Wycheproof vectors.
local helpers = require "helpers"
local keys = require "moontls.keys"
local json = require "dkjson"

local WYCHEPROOF = require("helpers").testdata("wycheproof") .. "/"

local function readfile(path)
   local f = assert(io.open(path, "rb"))
   local s = f:read("a")
   f:close()
   return s
end

local function writefile(path, data)
   local f = assert(io.open(path, "wb"))
   f:write(data)
   f:close()
end

local function fromhex(h)
   return (h:gsub("..", function(x) return string.char(tonumber(x, 16)) end))
end

-- Runs an openssl command in dir; asserts success and returns the output.
local function openssl(dir, args)
   local ok, code, out = helpers.run("cd '" .. dir .. "' && openssl " .. args)
   assert(ok, "openssl " .. args .. " failed (" .. tostring(code) .. "): " .. out)
   return out
end

local dir

-- Keys made once by openssl: name -> {file, type, bits, hash, private}.
local made = {
   { file = "rsa-pkcs8.pem", type = "rsa", bits = 2048, hash = "sha256",
     cmd = "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-pkcs8.pem" },
   { file = "rsa-pkcs1.pem", type = "rsa", bits = 2048, hash = "sha384",
     cmd = "rsa -in rsa-pkcs8.pem -traditional -out rsa-pkcs1.pem" },
   { file = "ec256-sec1.pem", type = "ec-p256", bits = 256, hash = "sha256",
     cmd = "ecparam -name prime256v1 -genkey -noout -out ec256-sec1.pem" },
   { file = "ec384-sec1.pem", type = "ec-p384", bits = 384, hash = "sha384",
     cmd = "ecparam -name secp384r1 -genkey -out ec384-sec1.pem" }, -- with EC PARAMETERS first
   { file = "ec521-sec1.pem", type = "ec-p521", bits = 521, hash = "sha512",
     cmd = "ecparam -name secp521r1 -genkey -noout -out ec521-sec1.pem" },
   { file = "ec256-pkcs8.pem", type = "ec-p256", bits = 256, hash = "sha1",
     cmd = "pkcs8 -topk8 -nocrypt -in ec256-sec1.pem -out ec256-pkcs8.pem" },
   { file = "ec384-pkcs8.pem", type = "ec-p384", bits = 384, hash = "sha224",
     cmd = "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384-pkcs8.pem" },
   { file = "ec521-pkcs8.pem", type = "ec-p521", bits = 521, hash = "sha512",
     cmd = "pkcs8 -topk8 -nocrypt -in ec521-sec1.pem -out ec521-pkcs8.pem" },
   { file = "ec256-sec1-openssl.pem", type = "ec-p256", bits = 256, hash = "sha256",
     cmd = "ec -in ec256-pkcs8.pem -out ec256-sec1-openssl.pem" },
   { file = "ed25519.pem", type = "ed25519", bits = 255,
     cmd = "genpkey -algorithm ED25519 -out ed25519.pem" },
   { file = "ed448.pem", type = "ed448", bits = 448,
     cmd = "genpkey -algorithm ED448 -out ed448.pem" },
   { file = "dsa-trad.pem", type = "dsa", bits = 2048, hash = "sha256",
     cmd = "dsaparam -genkey -noout -out dsa-trad.pem 2048" },
   { file = "dsa-pkcs8.pem", type = "dsa", bits = 2048, hash = "sha1",
     cmd = "pkcs8 -topk8 -nocrypt -in dsa-trad.pem -out dsa-pkcs8.pem" },
   { file = "enc-aes256-sha256.pem", type = "rsa", bits = 2048, hash = "sha512",
     password = "correct horse",
     cmd = "pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in rsa-pkcs8.pem "
        .. "-passout 'pass:correct horse' -out enc-aes256-sha256.pem" },
   { file = "enc-aes128-sha1.pem", type = "ec-p256", bits = 256, hash = "sha256",
     password = "pw",
     cmd = "pkcs8 -topk8 -v2 aes-128-cbc -v2prf hmacWithSHA1 -in ec256-pkcs8.pem "
        .. "-passout pass:pw -out enc-aes128-sha1.pem" },
   { file = "enc-aes192-sha512.pem", type = "ed25519", bits = 255, password = "x",
     cmd = "pkcs8 -topk8 -v2 aes-192-cbc -v2prf hmacWithSHA512 -in ed25519.pem "
        .. "-passout pass:x -out enc-aes192-sha512.pem" },
   { file = "enc-aes256-sha384.pem", type = "dsa", bits = 2048, hash = "sha256",
     password = "dsa pw",
     cmd = "pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA384 -in dsa-pkcs8.pem "
        .. "-passout 'pass:dsa pw' -out enc-aes256-sha384.pem" },
   { file = "rsa.der", type = "rsa", bits = 2048, hash = "sha256",
     cmd = "pkey -in rsa-pkcs8.pem -outform DER -out rsa.der" },
   { file = "ec384.der", type = "ec-p384", bits = 384, hash = "sha384",
     cmd = "ec -in ec384-pkcs8.pem -outform DER -out ec384.der" },
   { file = "dsa.der", type = "dsa", bits = 2048, hash = "sha224",
     cmd = "dsa -in dsa-trad.pem -outform DER -out dsa.der" },
}

local pubs = {} -- public keys written by openssl for each private file

local function load_made(m)
   local k, err, code = keys.load(readfile(dir .. "/" .. m.file), m.password)
   assert(k, m.file .. ": " .. tostring(err) .. " " .. tostring(code))
   return k
end

setup(function()
   dir = helpers.tmpdir()
   for _, m in ipairs(made) do
      openssl(dir, m.cmd)
      local pub = m.file:gsub("%.%w+$", "") .. ".pub.pem"
      local pass = m.password and (" -passin 'pass:" .. m.password .. "'") or ""
      openssl(dir, "pkey -in " .. m.file .. pass .. " -pubout -out " .. pub)
      pubs[m.file] = pub
   end
   openssl(dir, "rsa -in rsa-pkcs8.pem -RSAPublicKey_out -out rsa-pkcs1.pub.pem")
   openssl(dir, "pkey -in ec256-pkcs8.pem -pubout -outform DER -out ec256.pub.der")
   writefile(dir .. "/msg", "moontls signs this message\n")
end)

teardown(function()
   if dir then helpers.rmtree(dir) end
end)

describe("moontls.keys.load", function()
   it("loads every private key format openssl writes, with type and bits", function()
      for _, m in ipairs(made) do
         local k = load_made(m)
         assert.equals(m.type, k:type(), m.file)
         assert.equals(m.bits, k:bits(), m.file)
         assert.is_true(k:private(), m.file)
      end
   end)

   it("loads openssl's public keys (SPKI PEM and DER, PKCS#1) as the same public key", function()
      for _, m in ipairs(made) do
         local k = load_made(m)
         local p = assert(keys.load(readfile(dir .. "/" .. pubs[m.file])))
         assert.is_false(p:private())
         assert.equals(k:type(), p:type())
         assert.equals(k:spki(), p:spki(), m.file)
      end
      local rsa = assert(keys.load(readfile(dir .. "/rsa-pkcs8.pem")))
      local p1 = assert(keys.load(readfile(dir .. "/rsa-pkcs1.pub.pem")))
      assert.equals(rsa:spki(), p1:spki())
      local der = readfile(dir .. "/ec256.pub.der")
      local ec = assert(keys.from_spki(der))
      assert.equals(der, ec:spki())
      assert.equals(der, assert(keys.load(der)):der())
   end)

   it("writes openssl's public key encoding exactly", function()
      local compared = 0
      for _, m in ipairs(made) do
         local k = load_made(m)
         local pem = readfile(dir .. "/" .. pubs[m.file])
         -- openssl keeps PKCS#1 ("RSA PUBLIC KEY") for a traditional RSA key
         if pem:match("^%-%-%-%-%-BEGIN PUBLIC KEY") then
            assert.equals(pem, k:public():pem(), m.file)
            compared = compared + 1
         end
      end
      assert.is_true(compared >= #made - 2, "compared only " .. compared)
   end)

   it("refuses encrypted keys without or with a wrong password, cleanly", function()
      local pem = readfile(dir .. "/enc-aes256-sha256.pem")
      local k, msg, code = keys.load(pem)
      assert.is_nil(k)
      assert.equals("password_needed", code)
      assert.is_string(msg)
      for _, pw in ipairs({ "wrong", "", "correct hors", "correct horse " }) do
         local k2, msg2, code2 = keys.load(pem, pw)
         assert.is_nil(k2, pw)
         assert.equals("wrong password or corrupt encrypted key", msg2)
         assert.equals("bad_password", code2, pw)
      end
      local k3, _, code3 = keys.load(readfile(dir .. "/enc-aes128-sha1.pem"), "PW")
      assert.is_nil(k3)
      assert.equals("bad_password", code3)
   end)

   it("returns nil, message, code for garbage, truncated and mislabelled input", function()
      local der = readfile(dir .. "/rsa.der")
      for _, bad in ipairs({ "", "hello", der:sub(1, 100), der .. "\0",
                             "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                             "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n" }) do
         local k, msg, code = keys.load(bad)
         assert.is_nil(k)
         assert.is_string(msg)
         assert.matches("^[a-z0-9_]+$", code)
      end
      local k, _, code = keys.from_spki(der)
      assert.is_nil(k)
      assert.is_string(code)
   end)

   it("raises on misuse", function()
      assert.has_error(function() keys.load() end)
      assert.has_error(function() keys.generate("rsa-1024") end)
      assert.has_error(function() keys.from_spki({}) end)
   end)
end)

describe("signatures with openssl", function()
   local function sig_args(opts)
      if opts and opts.pss then
         return " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:" .. opts.salt
      end
      return ""
   end

   -- Every private key: our signature verifies in openssl, and openssl's in ours.
   local cases = {}
   for _, m in ipairs(made) do
      cases[#cases + 1] = { m = m }
      if m.type == "rsa" and not m.password then
         cases[#cases + 1] = { m = m, opts = { pss = true, salt = 32 } }
         cases[#cases + 1] = { m = m, opts = { pss = true, salt = 20 } }
      end
   end

   it("our signatures verify with openssl and tampering is caught", function()
      local msg = readfile(dir .. "/msg")
      for _, c in ipairs(cases) do
         local m = c.m
         local k = load_made(m)
         local sig = assert(k:sign(msg, m.hash, c.opts))
         writefile(dir .. "/sig", sig)
         local pub = pubs[m.file]
         local cmd
         if m.hash then
            cmd = "dgst -" .. m.hash .. " -verify " .. pub .. sig_args(c.opts)
               .. " -signature sig msg"
         else
            cmd = "pkeyutl -verify -pubin -inkey " .. pub .. " -rawin -in msg -sigfile sig"
         end
         local out = openssl(dir, cmd)
         assert.matches("Verified", out, m.file)
         writefile(dir .. "/sig", sig:sub(1, 10) .. string.char(sig:byte(11) ~ 1) .. sig:sub(12))
         local ok = helpers.run("cd '" .. dir .. "' && openssl " .. cmd)
         assert.is_false(ok, m.file .. " tampered signature accepted by openssl")
      end
   end)

   it("openssl's signatures verify with ours, and fail for another message or key", function()
      local msg = readfile(dir .. "/msg")
      local other = assert(keys.generate("ec-p256"))
      for _, c in ipairs(cases) do
         local m = c.m
         local pass = m.password and (" -passin 'pass:" .. m.password .. "'") or ""
         if m.hash then
            openssl(dir, "dgst -" .. m.hash .. " -sign " .. m.file .. pass .. sig_args(c.opts)
               .. " -out sig msg")
         else
            openssl(dir, "pkeyutl -sign -inkey " .. m.file .. pass .. " -rawin -in msg -out sig")
         end
         local sig = readfile(dir .. "/sig")
         local pub = assert(keys.load(readfile(dir .. "/" .. pubs[m.file])))
         assert.is_true(pub:verify(msg, sig, m.hash, c.opts), m.file)
         local ok, err, code = pub:verify(msg .. "x", sig, m.hash, c.opts)
         assert.is_nil(ok)
         assert.equals("signature verification failed", err)
         assert.equals("bad_signature", code)
         if m.hash and m.type ~= "dsa" then
            assert.is_nil((other:verify(msg, sig, m.hash)))
         end
      end
   end)

   it("refuses MD5 and hashes that do not fit the key", function()
      local k = load_made(made[1])
      local s, _, code = k:sign("x", "md5")
      assert.is_nil(s)
      assert.equals("signature_unsupported", code)
      local d = assert(keys.load(readfile(dir .. "/dsa-trad.pem")))
      s, _, code = d:sign("x", "sha512")
      assert.is_nil(s)
      assert.equals("signature_unsupported", code)
      assert.has_error(function() k:sign("x", "sha3") end)
      assert.has_error(function() k:public():sign("x", "sha256") end)
   end)
end)

describe("generated keys", function()
   local kinds = { "rsa-2048", "ec-p256", "ec-p384", "ec-p521", "ed25519", "ed448" }
   it("are accepted by openssl (private and public) and sign for openssl", function()
      for _, kind in ipairs(kinds) do
         local k = assert(keys.generate(kind))
         assert.is_true(k:private())
         writefile(dir .. "/gen.pem", k:pem())
         writefile(dir .. "/gen.pub.pem", k:public():pem())
         openssl(dir, "pkey -in gen.pem -noout")
         openssl(dir, "pkey -pubin -in gen.pub.pem -noout")
         local pubout = openssl(dir, "pkey -in gen.pem -pubout")
         assert.equals(k:public():pem(), pubout, kind)
         local hash = kind:match("^ed") and nil or "sha256"
         local sig = assert(k:sign("m", hash))
         assert.is_true(k:public():verify("m", sig, hash))
         assert.equals(k:der(), assert(keys.load(k:der())):der())
         assert.matches("^moontls%.Key %(" .. kind:gsub("%-%d+$", ""):gsub("%-", "%%-"),
            tostring(k))
         assert.is_nil(tostring(k):find(k:der(), 1, true))
         k:close()
         assert.is_true(k:closed())
         assert.has_error(function() k:pem() end)
      end
   end)

   it("differ from each other", function()
      assert.are_not.equal(keys.generate("ed25519"):der(), keys.generate("ed25519"):der())
      assert.are_not.equal(keys.generate("ec-p256"):der(), keys.generate("ec-p256"):der())
   end)
end)

describe("Wycheproof", function()
   local files = {
      { name = "ecdsa_secp256r1_sha256" }, { name = "ecdsa_secp384r1_sha384" },
      { name = "ecdsa_secp521r1_sha512" }, { name = "ed25519", eddsa = "\x2b\x65\x70" },
      { name = "ed448", eddsa = "\x2b\x65\x71" }, { name = "rsa_signature_2048_sha256" },
      { name = "rsa_pss_2048_sha256_mgf1_32", pss = true },
   }

   -- SPKI for a raw EdDSA key (RFC 8410 4), short lengths only.
   local function ed_spki(oid, pk)
      local alg = "\x30" .. string.char(#oid + 2) .. "\x06" .. string.char(#oid) .. oid
      local bits = "\x03" .. string.char(#pk + 1) .. "\0" .. pk
      return "\x30" .. string.char(#alg + #bits) .. alg .. bits
   end

   for _, f in ipairs(files) do
      it(f.name .. ": every vector gives the expected verdict", function()
         local doc = assert(json.decode(readfile(WYCHEPROOF .. f.name .. "_test.json")))
         local count, acceptable, mismatches = 0, {}, {}
         for _, g in ipairs(doc.testGroups) do
            local key, err
            if f.eddsa then
               key, err = keys.from_spki(ed_spki(f.eddsa, fromhex(g.publicKey.pk)))
            else
               key, err = keys.from_spki(fromhex(g.publicKeyDer))
            end
            assert(key, f.name .. ": group key refused: " .. tostring(err))
            local hash = g.sha and g.sha:lower():gsub("%-", "")
            local opts = f.pss and { pss = true, salt = g.sLen } or nil
            if f.pss then
               assert.equals(g.sha, g.mgfSha)
            end
            for _, t in ipairs(g.tests) do
               count = count + 1
               local ok = key:verify(fromhex(t.msg), fromhex(t.sig), hash, opts) == true
               if t.result == "acceptable" then
                  acceptable[#acceptable + 1] = t.tcId .. "=" .. tostring(ok)
               elseif ok ~= (t.result == "valid") then
                  mismatches[#mismatches + 1] = t.tcId .. " (" .. t.result .. ", "
                     .. t.comment .. ")"
               end
            end
         end
         assert.equals(doc.numberOfTests, count)
         if #acceptable > 0 then
            print("# " .. f.name .. " acceptable vectors (tcId=our verdict): "
               .. table.concat(acceptable, " "))
         end
         assert.equals("", table.concat(mismatches, "; "), f.name .. " mismatches")
      end)
   end
end)
