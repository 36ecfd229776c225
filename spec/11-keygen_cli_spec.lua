-- bin/moontls keygen: writes a PKCS#8 key openssl accepts, mode 0600, and exits
-- 1 on errors and 2 on usage errors.
local helpers = require "helpers"

local function cli(args)
   return helpers.run(helpers.lua .. " bin/moontls " .. args)
end

describe("moontls keygen", function()
   local dir
   setup(function() dir = helpers.tmpdir() end)
   teardown(function() helpers.rmtree(dir) end)

   local expect = {
      { "ec-p256", "ec-p256, 256 bits", "ASN1 OID: prime256v1" },
      { "ec-p384", "ec-p384, 384 bits", "ASN1 OID: secp384r1" },
      { "ec-p521", "ec-p521, 521 bits", "ASN1 OID: secp521r1" },
      { "ed25519", "ed25519, 255 bits", "ED25519 Private%-Key" },
      { "ed448", "ed448, 448 bits", "ED448 Private%-Key" },
      { "rsa-2048", "rsa, 2048 bits", "Private%-Key: %(2048 bit, 2 primes%)" },
      { "rsa-pss-2048", "rsa-pss, 2048 bits", "No PSS parameter restrictions" },
   }
   for _, e in ipairs(expect) do
      it("writes a " .. e[1] .. " key openssl accepts, with mode 0600", function()
         local f = dir .. "/" .. e[1] .. ".pem"
         local ok, code, out = cli("keygen --type " .. e[1] .. " --out " .. f)
         assert.is_true(ok, out)
         assert.equals(0, code)
         assert.equals("wrote " .. f .. " (" .. e[2] .. ")\n", out)
         local _, _, mode = helpers.run("stat -c %a " .. f)
         assert.equals("600\n", mode)
         local pem = io.open(f):read("a")
         assert.matches("^%-%-%-%-%-BEGIN PRIVATE KEY%-%-%-%-%-\n", pem)
         local sok, _, text = helpers.run("openssl pkey -in " .. f .. " -noout -text")
         assert.is_true(sok, text)
         assert.matches(e[3], text)
         local pok, _, pub = helpers.run("openssl pkey -in " .. f .. " -pubout -out "
            .. f .. ".pub && openssl pkey -pubin -in " .. f .. ".pub -noout")
         assert.is_true(pok, pub)
      end)
   end

   it("replaces an existing file and still makes it 0600", function()
      local f = dir .. "/old.pem"
      local h = io.open(f, "w")
      h:write("old")
      h:close()
      os.execute("chmod 644 " .. f)
      local ok, _, out = cli("keygen --type ed25519 --out " .. f)
      assert.is_true(ok, out)
      local _, _, mode = helpers.run("stat -c %a " .. f)
      assert.equals("600\n", mode)
      assert.matches("^%-%-%-%-%-BEGIN PRIVATE KEY", io.open(f):read("a"))
   end)

   it("exits 2 on usage errors", function()
      for _, args in ipairs({ "keygen", "keygen --type ec-p256", "keygen --out x.pem",
                              "keygen --type dsa --out " .. dir .. "/x.pem",
                              "keygen --type ec-p256 --out", "keygen --bits 3 --out x" }) do
         local ok, code, out = cli(args)
         assert.is_false(ok, args)
         assert.equals(2, code, args)
         assert.matches("usage:", out, 1, true)
      end
   end)

   it("exits 1 with a message when the file cannot be written", function()
      local ok, code, out = cli("keygen --type ec-p256 --out " .. dir .. "/missing/k.pem")
      assert.is_false(ok)
      assert.equals(1, code)
      assert.matches("^moontls keygen: cannot write ", out)
   end)

   it("lists keygen in the usage text", function()
      local _, _, out = cli("help")
      assert.matches("keygen %-%-type T %-%-out F", out)
   end)
end)
