--- moontls cert: issue a certificate (moontls.certgen).
local keys = require "moontls.keys"
local certgen = require "moontls.certgen"

local M = {}

M.summary = [[
  cert --key F --cn N [--san DNS:x,IP:y] [--days N] [--ca F --ca-key F]
       [--ca-cert] [--pathlen N] [--eku L] [--hash H] [--out F]
             issue a self-signed or CA-signed certificate (moontls cert --help)]]

M.usage = [[
usage: moontls cert --key F --cn N [--san DNS:x,IP:y,...] [--days N]
                    [--ca F --ca-key F] [--ca-cert] [--pathlen N]
                    [--eku serverAuth,clientAuth,...] [--hash H] [--out F]
  --key F      the subject's key (PEM/DER, private, or public with --ca)
  --cn N       subject common name
  --san L      comma-separated subjectAltName entries: DNS:name, IP:addr, email:a, URI:u
  --days N     validity in days from now (default 365)
  --ca F       sign with this CA certificate (and --ca-key); default: self-signed
  --ca-key F   the CA's private key
  --ca-cert    make a CA certificate (basicConstraints CA:TRUE, keyCertSign)
  --pathlen N  pathLenConstraint of a CA certificate
  --eku L      comma-separated extended key usages
  --hash H     signature hash (sha256, sha384, sha512, ...; default from the key)
  --out F      write the PEM there instead of stdout]]

local function list(s)
   local out = {}
   for item in (s or ""):gmatch("[^,]+") do out[#out + 1] = item end
   return out
end

local function load_key(cli, path)
   local k, err = keys.load(cli.read_file(path))
   if not k then cli.fail(path .. ": " .. tostring(err)) end
   return k
end

function M.run(cli, args)
   local opt, rest = cli.options(args, {
      key = "value", cn = "value", san = "value", days = "value", ca = "value",
      ["ca-key"] = "value", ["ca-cert"] = "flag", pathlen = "value", eku = "value",
      hash = "value", out = "value", help = "flag" })
   if opt.help then
      print(M.usage)
      return 0
   end
   if #rest > 0 then cli.usage_error("unknown argument '" .. rest[1] .. "'") end
   if not opt.key then cli.usage_error("--key is required") end
   if (opt.ca == nil) ~= (opt["ca-key"] == nil) then
      cli.usage_error("--ca and --ca-key go together")
   end
   local days = 365
   if opt.days then
      days = math.tointeger(tonumber(opt.days))
      if not days or days < 0 then cli.usage_error("--days needs a non-negative whole number") end
   end
   local pathlen
   if opt.pathlen then
      pathlen = math.tointeger(tonumber(opt.pathlen))
      if not pathlen or pathlen < 0 or not opt["ca-cert"] then
         cli.usage_error("--pathlen needs a non-negative integer and --ca-cert")
      end
   end
   local san = list(opt.san)
   for _, v in ipairs(san) do
      if not (v:match("^DNS:") or v:match("^IP:") or v:match("^email:") or v:match("^URI:")) then
         cli.usage_error("--san entry '" .. v .. "' must start with DNS:, IP:, email: or URI:")
      end
   end
   if not opt.cn and #san == 0 then cli.usage_error("give --cn or --san") end
   local o = { key = load_key(cli, opt.key), cn = opt.cn, san = san, days = days,
      ca = opt["ca-cert"], pathlen = pathlen, hash = opt.hash,
      eku = opt.eku and list(opt.eku) or nil }
   local ok, pem, berr
   if opt.ca then
      o.ca_cert, o.ca_key = cli.read_file(opt.ca), load_key(cli, opt["ca-key"])
      ok, pem, berr = pcall(certgen.issue, o)
   else
      ok, pem, berr = pcall(certgen.selfsigned, o)
   end
   if not ok then cli.fail((tostring(pem):gsub("^.-moontls%.certgen: ", ""))) end
   if not pem then cli.fail(berr) end
   if opt.out then
      local f, oerr = io.open(opt.out, "wb")
      if not f then cli.fail(oerr) end
      f:write(pem)
      f:close()
   else
      io.stdout:write(pem)
   end
   return 0
end

return M
