-- luacheck: ignore 311
-- moontls.x509 against certificates openssl makes at test time: every accessor is compared
-- with `openssl x509` output, chains are verified, and the CLI is exercised.
local helpers = require "helpers"
local moontls = require "moontls"
local x509 = moontls.x509

local function sh(cmd)
   local ok, code, out = helpers.run(cmd)
   assert(ok, ("command failed (%s): %s\n%s"):format(tostring(code), cmd, out))
   return out
end

local function read(path)
   local f = assert(io.open(path, "rb"))
   local s = f:read("a")
   f:close()
   return s
end

local function write(path, s)
   local f = assert(io.open(path, "wb"))
   f:write(s)
   f:close()
end

local function months(m)
   return ({ Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9,
      Oct = 10, Nov = 11, Dec = 12 })[m]
end

-- "Nov 25 19:12:29 2026 GMT" -> Unix time
local function openssl_time(s)
   local mon, d, h, mi, sec, y = s:match("(%a+)%s+(%d+) (%d+):(%d+):(%d+) (%d+) GMT")
   y, mon, d = tonumber(y), months(mon), tonumber(d)
   if mon <= 2 then y = y - 1 end
   local era = y // 400
   local yoe = y - era * 400
   local doy = (153 * ((mon + 9) % 12) + 2) // 5 + d - 1
   local days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
   return days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec)
end

describe("moontls.x509", function()
   local dir
   local root, inter, leaf, chain_pem

   setup(function()
      dir = helpers.tmpdir()
      write(dir .. "/ca.ext", "basicConstraints=critical,CA:TRUE,pathlen:0\n"
         .. "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"
         .. "authorityKeyIdentifier=keyid\n")
      write(dir .. "/leaf.ext", "basicConstraints=CA:FALSE\n"
         .. "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
         .. "subjectAltName=DNS:test.example,DNS:*.wild.example,IP:127.0.0.1,IP:::1,"
         .. "email:a@test.example,URI:https://test.example/\n"
         .. "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
      write(dir .. "/client.ext", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n"
         .. "subjectAltName=DNS:client.example\n")
      local d = dir
      sh("cd " .. d .. " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
         .. " -keyout root.key -out root.pem -days 3650 -subj '/C=DE/O=Moon Test/CN=Spec Root'"
         .. " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign")
      sh("cd " .. d .. " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes"
         .. " -keyout int.key -out int.csr -subj '/O=Moon Test/CN=Spec Intermediate'"
         .. " && openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -days 3000"
         .. " -set_serial 7 -extfile ca.ext -out int.pem -sha384")
      sh("cd " .. d .. " && openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr"
         .. " -subj '/C=FR/ST=Ile-de-France/O=Caf\xC3\xA9 Ltd/CN=test.example' -utf8"
         .. " && openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -days 365"
         .. " -set_serial 0x00ff0102030405 -extfile leaf.ext -out leaf.pem -sha256")
      sh("cd " .. d .. " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
         .. " -keyout client.key -out client.csr -subj '/CN=client.example'"
         .. " && openssl x509 -req -in client.csr -CA int.pem -CAkey int.key -days 365"
         .. " -set_serial 9 -extfile client.ext -out client.pem")
      chain_pem = read(d .. "/leaf.pem") .. read(d .. "/int.pem")
      write(d .. "/chain.pem", chain_pem)
      root = assert(x509.load(read(d .. "/root.pem")))[1]
      inter = assert(x509.load(read(d .. "/int.pem")))[1]
      leaf = assert(x509.load(read(d .. "/leaf.pem")))[1]
   end)

   teardown(function()
      if dir then helpers.rmtree(dir) end
   end)

   it("loads PEM with several blocks and DER", function()
      local list = assert(x509.load(chain_pem))
      assert.equals(2, #list)
      sh("openssl x509 -in " .. dir .. "/leaf.pem -outform der -out " .. dir .. "/leaf.der")
      local der = read(dir .. "/leaf.der")
      local one = assert(x509.load(der))
      assert.equals(1, #one)
      assert.equals(der, one[1]:der())
      assert.equals(der, leaf:der())
      local again = assert(x509.load(leaf:pem()))
      assert.equals(der, again[1]:der())
   end)

   it("returns nil, message for malformed input", function()
      local c, err = x509.load("not a certificate")
      assert.is_nil(c)
      assert.is_string(err)
      c, err = x509.load(leaf:der():sub(1, -2))
      assert.is_nil(c)
      assert.equals("certificate is malformed", err)
   end)

   it("subject and issuer match openssl", function()
      local t, s = leaf:subject()
      local opt = " -nameopt utf8,sep_comma_plus_space"
      local want = sh("openssl x509 -in " .. dir .. "/leaf.pem -noout -subject" .. opt)
      assert.equals("subject=" .. s .. "\n", want)
      assert.same({ { "C", "FR" }, { "ST", "Ile-de-France" }, { "O", "Caf\xC3\xA9 Ltd" },
         { "CN", "test.example" } }, t)
      local _, i = leaf:issuer()
      want = sh("openssl x509 -in " .. dir .. "/leaf.pem -noout -issuer" .. opt)
      assert.equals("issuer=" .. i .. "\n", want)
      assert.equals("moontls.Certificate: C=FR, ST=Ile-de-France, O=Caf\xC3\xA9 Ltd,"
         .. " CN=test.example", tostring(leaf))
   end)

   it("serial, dates and fingerprints match openssl", function()
      for _, name in ipairs({ "root", "int", "leaf" }) do
         local c = ({ root = root, int = inter, leaf = leaf })[name]
         local f = dir .. "/" .. name .. ".pem"
         assert.equals(sh("openssl x509 -in " .. f .. " -noout -serial"),
            "serial=" .. c:serial() .. "\n")
         local dates = sh("openssl x509 -in " .. f .. " -noout -dates")
         assert.equals(openssl_time(dates:match("notBefore=([^\n]+)")), c:not_before())
         assert.equals(openssl_time(dates:match("notAfter=([^\n]+)")), c:not_after())
         assert.equals(sh("openssl x509 -in " .. f .. " -noout -fingerprint -sha256"),
            "sha256 Fingerprint=" .. c:fingerprint("sha256") .. "\n")
         assert.equals(sh("openssl x509 -in " .. f .. " -noout -fingerprint -sha1"),
            "sha1 Fingerprint=" .. c:fingerprint("sha1") .. "\n")
      end
      assert.equals("FF0102030405", leaf:serial())
   end)

   it("version, signature algorithm, SAN, key and extensions match openssl -text", function()
      local text = sh("openssl x509 -in " .. dir .. "/leaf.pem -noout -text")
      assert.equals(tonumber(text:match("Version: (%d+)")), leaf:version())
      assert.equals(text:match("Signature Algorithm: (%S+)"), leaf:sigalg())
      assert.equals("ecdsa-with-SHA384", inter:sigalg())
      local san = leaf:san()
      assert.same({ "test.example", "*.wild.example" }, san.dns)
      assert.same({ "127.0.0.1", "::1" }, san.ip)
      assert.same({ "a@test.example" }, san.email)
      assert.same({ "https://test.example/" }, san.uri)
      local sanline = text:match("Subject Alternative Name:%s*\n%s*([^\n]+)")
      assert.equals("DNS:test.example, DNS:*.wild.example, IP Address:127.0.0.1,"
         .. " IP Address:0:0:0:0:0:0:0:1, email:a@test.example, URI:https://test.example/",
         sanline)
      local key = assert(leaf:public_key())
      assert.equals(tonumber(text:match("Public%-Key: %((%d+) bit%)")), key:bits())
      local byname = {}
      for _, e in ipairs(leaf:extensions()) do byname[e.name or e.oid] = e end
      assert.is_true(byname.keyUsage.critical)
      assert.same({ "digitalSignature" }, byname.keyUsage.value)
      assert.same({ "serverAuth" }, byname.extendedKeyUsage.value)
      assert.same({ ca = false }, byname.basicConstraints.value)
      assert.equals("2.5.29.17", byname.subjectAltName.oid)
      local ski = text:match("Subject Key Identifier:%s*\n%s*([^\n]+)")
      assert.equals(ski, byname.subjectKeyIdentifier.value)
      local ibc
      for _, e in ipairs(inter:extensions()) do
         if e.name == "basicConstraints" then ibc = e end
      end
      assert.same({ ca = true, pathlen = 0 }, ibc.value)
      assert.is_true(ibc.critical)
   end)

   describe("verify", function()
      local now
      before_each(function() now = os.time() end)

      it("accepts the chain in any order, with the anchor as a PEM file or string", function()
         local cafile = dir .. "/root.pem"
         assert.is_true(x509.verify({ leaf, inter }, { cafile = cafile, host = "test.example" }))
         assert.is_true(x509.verify(chain_pem, { ca = read(cafile), host = "a.wild.example" }))
         assert.is_true(x509.verify({ leaf, root, inter }, { ca = { root }, ip = "::1",
            purpose = "server" }))
         -- openssl agrees
         sh("openssl verify -CAfile " .. cafile .. " -untrusted " .. dir .. "/int.pem "
            .. dir .. "/leaf.pem")
      end)

      it("reports the reason and depth of failures", function()
         local ok, reason, depth = x509.verify({ leaf }, { ca = { root } })
         assert.is_nil(ok)
         assert.equals("unable to get local issuer certificate", reason)
         assert.equals(0, depth)
         ok, reason, depth = x509.verify({ leaf, inter }, { ca = { root }, host = "other.example" })
         assert.equals("host name mismatch", reason)
         ok, reason = x509.verify({ leaf, inter }, { ca = { root }, host = "a.b.wild.example" })
         assert.equals("host name mismatch", reason)
         ok, reason = x509.verify({ leaf, inter }, { ca = { root }, ip = "127.0.0.2" })
         assert.equals("IP address mismatch", reason)
         ok, reason, depth = x509.verify({ leaf, inter }, { ca = { root },
            time = now + 400 * 86400 })
         assert.equals("certificate has expired", reason)
         assert.equals(0, depth)
         ok, reason, depth = x509.verify({ leaf, inter }, { ca = { root },
            time = inter:not_after() + 1 })
         assert.equals("certificate has expired", reason)
         assert.equals(0, depth)  -- the leaf expired first
         ok, reason = x509.verify({ leaf, inter }, { ca = { root }, time = now - 86400 })
         assert.equals("certificate is not yet valid", reason)
         ok, reason = x509.verify({ leaf, inter }, { ca = { root }, purpose = "client" })
         assert.equals("unsuitable certificate purpose (extended key usage)", reason)
         ok, reason, depth = x509.verify({ leaf, inter, root }, { ca = { leaf:pem() } })
         assert.is_true(ok)  -- a leaf in the store is an anchor itself
         ok, reason, depth = x509.verify({ leaf, inter, root }, { ca = { inter } })
         assert.is_true(ok)  -- an intermediate anchor ends the path
         ok, reason, depth = x509.verify({ leaf, inter, root }, { cafile = dir .. "/int.pem",
            max_depth = 0 })
         assert.is_true(ok)
         ok, reason, depth = x509.verify({ leaf, inter }, { ca = { root }, max_depth = 0 })
         assert.equals("certificate chain too long", reason)
         ok, reason, depth = x509.verify({ leaf, inter, root }, { cafile = dir .. "/leaf.ext" })
         assert.is_nil(ok)
         assert.is_string(reason)
      end)

      it("applies the intermediate's pathlen and the purpose of client certificates", function()
         local client = assert(x509.load(read(dir .. "/client.pem")))[1]
         assert.is_true(x509.verify({ client, inter }, { ca = { root }, purpose = "client",
            host = "client.example" }))
         local ok, reason = x509.verify({ client, inter }, { ca = { root }, purpose = "server" })
         assert.is_nil(ok)
         assert.equals("unsuitable certificate purpose (extended key usage)", reason)
         -- an intermediate issued below int (pathlen 0) is refused
         write(dir .. "/sub.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n")
         sh("cd " .. dir .. " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
            .. " -keyout sub.key -out sub.csr -subj '/CN=Sub CA' && openssl x509 -req -in sub.csr"
            .. " -CA int.pem -CAkey int.key -days 30 -set_serial 11 -extfile sub.ext -out sub.pem"
            .. " && openssl x509 -req -in client.csr -CA sub.pem -CAkey sub.key -days 30"
            .. " -set_serial 12 -extfile client.ext -out deep.pem")
         local sub = assert(x509.load(read(dir .. "/sub.pem")))[1]
         local deep = assert(x509.load(read(dir .. "/deep.pem")))[1]
         local depth
         ok, reason, depth = x509.verify({ deep, inter, sub }, { ca = { root } })
         assert.equals("path length constraint exceeded", reason)
         assert.equals(2, depth)
         assert.is_false(helpers.run("openssl verify -CAfile " .. dir .. "/root.pem -untrusted "
            .. dir .. "/int.pem -untrusted " .. dir .. "/sub.pem " .. dir .. "/deep.pem"))
      end)

      it("refuses a bad signature", function()
         local der = leaf:der()
         local bad = der:sub(1, -3) .. string.char(der:byte(-2) ~ 0x55) .. der:sub(-1)
         local list = x509.load(bad)
         if list then
            local ok, reason = x509.verify({ list[1], inter }, { ca = { root } })
            assert.is_nil(ok)
            assert.equals("certificate signature failure", reason)
         end
      end)
   end)

   describe("system store", function()
      it("loads cheaply and verifies against it", function()
         local f = io.open(x509.SYSTEM_STORE)
         if not f then
            pending("no system store at " .. x509.SYSTEM_STORE)
            return
         end
         f:close()
         local t0 = os.clock()
         local store = assert(x509.system_store())
         local loaded = os.clock() - t0
         assert.is_true(store:count() > 10)
         -- our own root is not in it
         local ok, reason = x509.verify({ leaf, inter }, { cafile = true })
         assert.is_nil(ok)
         assert.equals("unable to get local issuer certificate", reason)
         print(("# system store: %d anchors loaded in %.1f ms"):format(store:count(),
            loaded * 1000))
         assert.is_true(loaded < 1.0)
      end)
   end)

   describe("bin/moontls x509", function()
      local function cli(args)
         return helpers.run(helpers.lua .. " bin/moontls x509 " .. args)
      end

      it("shows a certificate", function()
         local ok, code, out = cli("show " .. dir .. "/leaf.pem")
         assert.is_true(ok, out)
         assert.equals(0, code)
         assert.matches("subject:     C=FR, ST=Ile%-de%-France", out)
         assert.matches("serial:      FF0102030405", out)
         assert.matches("san:         DNS:test.example, DNS:%*.wild.example, IP:127.0.0.1", out)
         assert.matches("key:         rsa 2048 bits", out)
         assert.matches("sha256:      " .. leaf:fingerprint("sha256"), out, 1, true)
      end)

      it("verifies a chain with exit codes 0, 1 and 2", function()
         local ok, code, out = cli("verify " .. dir .. "/chain.pem --cafile " .. dir
            .. "/root.pem --host test.example --purpose server")
         assert.is_true(ok, out)
         assert.equals(0, code)
         assert.equals("OK\n", out)
         ok, code, out = cli("verify " .. dir .. "/chain.pem --cafile " .. dir
            .. "/root.pem --host nope.example")
         assert.is_false(ok)
         assert.equals(1, code)
         assert.matches("host name mismatch", out)
         ok, code, out = cli("verify " .. dir .. "/chain.pem --cafile " .. dir
            .. "/root.pem --time " .. (os.time() + 20 * 365 * 86400))
         assert.equals(1, code)
         assert.matches("certificate has expired", out)
         ok, code = cli("verify")
         assert.equals(2, code)
         ok, code = cli("verify " .. dir .. "/chain.pem --purpose nonsense")
         assert.equals(2, code)
         ok, code = cli("frob")
         assert.equals(2, code)
         ok, code = cli("show " .. dir .. "/missing.pem")
         assert.equals(1, code)
      end)
   end)
end)
