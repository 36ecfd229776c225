-- A throwaway test PKI for the interop specs, made with openssl (never with moontls, so a
-- moontls bug cannot hide behind certificates it made itself).
--
--   local certs = require "support.certs"
--   local pki = certs.get()          -- made once per process, cached; raises if openssl fails
--   pki.ec.cert, pki.ec.key          -- ECDSA P-256 server leaf (SAN DNS:localhost, IP:127.0.0.1)
--   pki.ec.ca                        -- its ECDSA P-256 root
--   pki.rsa.cert, pki.rsa.key, pki.rsa.ca           -- RSA-2048 leaf and RSA-2048 root
--   pki.ed25519.cert, pki.ed25519.key, pki.ed25519.ca   -- Ed25519 leaf, issued by the EC root
--   pki.client.cert, pki.client.key, pki.client.ca  -- client certificate (clientAuth), EC root
--   pki.cafile                       -- both roots in one PEM file
--   pki.dir                          -- the temporary directory (removed when Lua exits)
--
-- Every leaf is valid for serverAuth and clientAuth except the client certificate
-- (clientAuth only); all are valid from one day ago for 30 days.
local helpers = require "helpers"

local certs = {}

local cached

local function quote(s)
   return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function openssl(args)
   local q = {}
   for i, a in ipairs(args) do
      q[i] = quote(a)
   end
   local ok, _, out = helpers.run("openssl " .. table.concat(q, " "))
   if not ok then
      error("certs: openssl " .. table.concat(args, " ") .. " failed:\n" .. out, 2)
   end
end

local function write(path, text)
   local f = assert(io.open(path, "w"))
   f:write(text)
   f:close()
end

local KEYGEN = {
   ec = { "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256" },
   rsa = { "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048" },
   ed25519 = { "genpkey", "-algorithm", "ED25519" },
}

local function keygen(dir, name, kind)
   local path = dir .. "/" .. name .. ".key"
   local args = table.move(KEYGEN[kind], 1, #KEYGEN[kind], 1, {})
   args[#args + 1] = "-out"
   args[#args + 1] = path
   openssl(args)
   return path
end

-- A self-signed root CA.
local function root(dir, name, kind)
   local key = keygen(dir, name, kind)
   local cert = dir .. "/" .. name .. ".pem"
   openssl { "req", "-x509", "-new", "-key", key, "-out", cert, "-days", "30",
      "-subj", "/O=moontls test/CN=" .. name,
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,keyCertSign,cRLSign" }
   return { cert = cert, key = key }
end

-- A leaf issued by ca, with the extensions given as config lines.
local function leaf(dir, name, kind, ca, ext)
   local key = keygen(dir, name, kind)
   local csr = dir .. "/" .. name .. ".csr"
   local cert = dir .. "/" .. name .. ".pem"
   local extfile = dir .. "/" .. name .. ".ext"
   write(extfile, table.concat(ext, "\n") .. "\n")
   openssl { "req", "-new", "-key", key, "-out", csr, "-subj", "/O=moontls test/CN=" .. name }
   openssl { "x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial",
      "-out", cert, "-days", "30", "-extfile", extfile }
   return { cert = cert, key = key, ca = ca.cert }
end

local SERVER_EXT = {
   "basicConstraints=critical,CA:FALSE",
   "subjectAltName=DNS:localhost,IP:127.0.0.1",
   "extendedKeyUsage=serverAuth,clientAuth",
}

local function make()
   local dir = helpers.tmpdir()
   local pki = { dir = dir }
   local ok, err = pcall(function()
      local ec_root = root(dir, "ec-root", "ec")
      local rsa_root = root(dir, "rsa-root", "rsa")
      local ec_ext = { table.unpack(SERVER_EXT) }
      ec_ext[#ec_ext + 1] = "keyUsage=critical,digitalSignature"
      pki.ec = leaf(dir, "ec-leaf", "ec", ec_root, ec_ext)
      local rsa_ext = { table.unpack(SERVER_EXT) }
      rsa_ext[#rsa_ext + 1] = "keyUsage=critical,digitalSignature,keyEncipherment"
      pki.rsa = leaf(dir, "rsa-leaf", "rsa", rsa_root, rsa_ext)
      pki.ed25519 = leaf(dir, "ed25519-leaf", "ed25519", ec_root, ec_ext)
      pki.client = leaf(dir, "client", "ec", ec_root, {
         "basicConstraints=critical,CA:FALSE",
         "keyUsage=critical,digitalSignature",
         "extendedKeyUsage=clientAuth",
      })
      pki.ec_root, pki.rsa_root = ec_root, rsa_root
      pki.cafile = dir .. "/roots.pem"
      local a, b = assert(io.open(ec_root.cert)), assert(io.open(rsa_root.cert))
      write(pki.cafile, a:read("a") .. b:read("a"))
      a:close()
      b:close()
   end)
   if not ok then
      helpers.rmtree(dir)
      error(err, 0)
   end
   -- removed when the Lua state closes (busted exits with os.exit(code, true))
   pki._cleanup = setmetatable({}, { __gc = function() helpers.rmtree(dir) end })
   return pki
end

--- The test PKI of this process (made on first use).
function certs.get()
   if not cached then
      cached = make()
   end
   return cached
end

return certs
