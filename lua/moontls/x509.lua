--- moontls.x509: X.509 certificates, trust stores and chain verification.
-- A thin layer over moontls.core's Certificate and TrustStore classes
-- (csrc/lua_x509.c, csrc/x509.c, csrc/x509_verify.c).
--
--   local x509 = require "moontls.x509"
--   local certs = assert(x509.load(pem))          -- list of moontls.Certificate
--   local ok, reason, depth = x509.verify(certs, {cafile = true, host = "example.org"})
--
-- Certificate methods:
--   subject(), issuer()  -> {{"CN", "example.com"}, {"O", "Example"}, ...} and the one-line
--                           text "CN=example.com, O=Example" (attributes in encoding order;
--                           values UTF-8; unnamed types as dotted OIDs)
--   subject_der()        -> the subject Name as DER
--   serial()             -> upper-case hex ("01AF"), as `openssl x509 -serial`
--   not_before(), not_after() -> Unix times
--   san()                -> {dns={...}, ip={...}, email={...}, uri={...}, dirname={...},
--                           other={...}}
--   public_key()         -> moontls.Key (or nil, message, code for key types we do not load)
--   spki()               -> DER SubjectPublicKeyInfo
--   fingerprint(hash)    -> "AB:CD:..." over the DER, hash "sha256" (default) | "sha1" | ...
--   pem(), der(), version(), sigalg()
--   extensions()         -> {{oid=, name=, critical=, value=}, ...}; value is decoded for
--                           basicConstraints {ca=, pathlen=}, keyUsage and extendedKeyUsage
--                           (lists of names), subjectAltName (as san()), nameConstraints
--                           {permitted=, excluded=}, key identifiers (hex); raw bytes otherwise
--   check_host(name, cn_fallback), check_ip(addr) -> boolean
--   close()
-- Malformed input returns nil, message, code; misuse raises.
local core = require "moontls.core"

local M = {}

local Certificate = core.Certificate

--- The public key as a moontls.Key.
function Certificate.public_key(self)
   return core.key_from_spki(self:spki())
end

--- All certificates of a PEM text (several blocks) or one DER certificate.
function M.load(data)
   if type(data) ~= "string" then
      error("bad argument #1 to 'load' (string expected, got " .. type(data) .. ")", 2)
   end
   return core.x509_load(data)
end

--- A TrustStore with the certificates of a PEM/DER string or list of certificates.
function M.store(...)
   local s = core.store_new()
   for i = 1, select("#", ...) do
      local src = select(i, ...)
      if type(src) == "table" then
         for _, c in ipairs(src) do
            local ok, err, code = s:add(c)
            if not ok then return nil, err, code end
         end
      else
         local ok, err, code = s:add(src)
         if not ok then return nil, err, code end
      end
   end
   return s
end

local system_store

--- The system store (/etc/ssl/certs/ca-certificates.crt), loaded once per process.
function M.system_store()
   if not system_store then
      local s = core.store_new()
      local ok, err, code = s:add_file(M.SYSTEM_STORE)
      if not ok then return nil, err, code end
      system_store = s
   end
   return system_store
end

M.SYSTEM_STORE = "/etc/ssl/certs/ca-certificates.crt"

local function as_chain(chain)
   if type(chain) == "string" then
      return core.x509_load(chain)
   elseif type(chain) == "userdata" then
      return { chain }
   elseif type(chain) == "table" then
      return chain
   end
   error("bad argument #1 to 'verify' (certificate, list or PEM string expected)", 3)
end

local function trust(opts)
   if opts.ca == nil and (opts.cafile == nil or opts.cafile == true) then
      return M.system_store()
   end
   local s = core.store_new()
   if type(opts.cafile) == "string" then
      local ok, err, code = s:add_file(opts.cafile)
      if not ok then return nil, err, code end
   elseif opts.cafile == true then
      local ok, err, code = s:add_file(M.SYSTEM_STORE)
      if not ok then return nil, err, code end
   end
   local ca = opts.ca
   if type(ca) == "string" or type(ca) == "userdata" then
      local ok, err, code = s:add(ca)
      if not ok then return nil, err, code end
   elseif type(ca) == "table" then
      for _, c in ipairs(ca) do
         local ok, err, code = s:add(c)
         if not ok then return nil, err, code end
      end
   end
   return s
end

--- Verify a chain: `chain` is a certificate, a list (leaf first, then untrusted
-- intermediates in any order) or a PEM string. opts: cafile = path | true (system
-- store), ca = PEM string | certificate | list, store = TrustStore, host =, ip =,
-- time = unix (default now), purpose = "server" | "client" | nil, allow_sha1,
-- max_depth (default 10), cn_fallback (default true), strict (RFC 5280 profile checks).
-- Without cafile, ca or store the system store is used.
-- Returns true, or nil, reason, depth (0 = leaf), code.
function M.verify(chain, opts)
   opts = opts or {}
   local certs, err, code = as_chain(chain)
   if not certs then return nil, err, 0, code end
   if #certs == 0 then return nil, "no certificate to verify", 0, "invalid_argument" end
   local store = opts.store
   if not store then
      store, err, code = trust(opts)
      if not store then return nil, err, 0, code end
   end
   return core.x509_verify(certs, store, {
      time = opts.time or os.time(),
      purpose = opts.purpose,
      allow_sha1 = opts.allow_sha1,
      max_depth = opts.max_depth,
      host = opts.host,
      ip = opts.ip,
      cn_fallback = opts.cn_fallback,
      strict = opts.strict,
   })
end

--- Certificate issuance lives in moontls.certgen.
M.selfsigned = function(...) return require("moontls.certgen").selfsigned(...) end
M.issue = function(...) return require("moontls.certgen").issue(...) end

return M
