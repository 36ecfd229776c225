--- moontls x509 show FILE | moontls x509 verify FILE [options]
local moontls = require "moontls"

local M = {}

M.usage = [[
  x509 show FILE
             print subject, issuer, serial, validity, SAN, key, signature
             algorithm and fingerprints of every certificate in FILE
  x509 verify FILE [--cafile F] [--host N] [--ip A] [--time UNIX]
             [--purpose server|client] [--allow-sha1] [--max-depth N]
             verify FILE (leaf, then intermediates) against F or the system
             store; prints OK (exit 0) or the reason on stderr (exit 1)]]

local function load_certs(cli, path)
   local certs, err = moontls.x509.load(cli.read_file(path))
   if not certs then cli.fail(path .. ": " .. tostring(err)) end
   return certs
end

local function utc(t)
   return os.date("!%Y-%m-%d %H:%M:%S UTC", t)
end

local function show(cli, args)
   local _, rest = cli.options(args, {})
   if #rest ~= 1 then cli.usage_error("x509 show needs exactly one FILE") end
   for i, c in ipairs(load_certs(cli, rest[1])) do
      if i > 1 then print() end
      local _, subject = c:subject()
      local _, issuer = c:issuer()
      print("subject:     " .. subject)
      print("issuer:      " .. issuer)
      print("version:     " .. c:version())
      print("serial:      " .. c:serial())
      print("not before:  " .. utc(c:not_before()))
      print("not after:   " .. utc(c:not_after()))
      local san, names = c:san(), {}
      for _, kind in ipairs({ "dns", "ip", "email", "uri" }) do
         for _, v in ipairs(san[kind]) do names[#names + 1] = kind:upper() .. ":" .. v end
      end
      print("san:         " .. (#names > 0 and table.concat(names, ", ") or "(none)"))
      local key = c:public_key()
      local desc = key and (key:type() .. " " .. key:bits() .. " bits") or "(unsupported)"
      print("key:         " .. desc)
      print("sigalg:      " .. c:sigalg())
      print("sha256:      " .. c:fingerprint("sha256"))
      print("sha1:        " .. c:fingerprint("sha1"))
   end
   return 0
end

local function verify(cli, args)
   local o, rest = cli.options(args, { cafile = "value", host = "value", ip = "value",
      time = "value", purpose = "value", ["allow-sha1"] = "flag", ["max-depth"] = "value" })
   if #rest ~= 1 then cli.usage_error("x509 verify needs exactly one FILE") end
   local opts = { cafile = o.cafile, host = o.host, ip = o.ip, allow_sha1 = o["allow-sha1"] }
   if o.time then
      opts.time = math.tointeger(tonumber(o.time)) or cli.usage_error("--time needs a Unix time")
   end
   if o["max-depth"] then
      opts.max_depth = math.tointeger(tonumber(o["max-depth"]))
         or cli.usage_error("--max-depth needs a number")
   end
   if o.purpose then
      if o.purpose ~= "server" and o.purpose ~= "client" then
         cli.usage_error("--purpose must be server or client")
      end
      opts.purpose = o.purpose
   end
   local file = rest[1]
   local ok, reason, depth = moontls.x509.verify(load_certs(cli, file), opts)
   if ok then
      print("OK")
      return 0
   end
   cli.fail(file .. ": verification failed at depth " .. tostring(depth) .. ": " .. reason)
end

function M.run(cli, args)
   local sub = table.remove(args, 1)
   if sub == "show" then
      return show(cli, args)
   elseif sub == "verify" then
      return verify(cli, args)
   end
   cli.usage_error("x509 needs show or verify")
end

return M
