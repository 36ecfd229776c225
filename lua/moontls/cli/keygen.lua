--- moontls keygen --type T --out F
local moontls = require "moontls"

local M = {}

M.usage = [[
  keygen --type T --out F
             generate a private key and write it to F as PKCS#8 PEM (mode 0600);
             T is rsa-2048, rsa-3072, rsa-4096, rsa-pss-2048, rsa-pss-3072,
             rsa-pss-4096 (an RSASSA-PSS key: signs with PSS only), ec-p256,
             ec-p384, ec-p521, ed25519 or ed448]]

local kinds = { ["rsa-2048"] = true, ["rsa-3072"] = true, ["rsa-4096"] = true,
   ["rsa-pss-2048"] = true, ["rsa-pss-3072"] = true, ["rsa-pss-4096"] = true,
   ["ec-p256"] = true, ["ec-p384"] = true, ["ec-p521"] = true,
   ed25519 = true, ed448 = true }

function M.run(cli, args)
   local opts, rest = cli.options(args, { type = "value", out = "value" })
   if #rest > 0 then cli.usage_error("keygen takes no FILE argument") end
   if not opts.type or not opts.out then cli.usage_error("keygen needs --type and --out") end
   if not kinds[opts.type] then cli.usage_error("unknown key type '" .. opts.type .. "'") end
   local key, err = moontls.keys.generate(opts.type)
   if not key then cli.fail("key generation failed: " .. tostring(err)) end
   local ok, werr = moontls.write_private_file(opts.out, key:pem())
   if not ok then cli.fail("cannot write " .. opts.out .. ": " .. tostring(werr)) end
   print(("wrote %s (%s, %d bits)"):format(opts.out, key:type(), key:bits()))
   key:close()
   return 0
end

return M
