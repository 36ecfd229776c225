--- moontls.certgen: issue X.509 v3 certificates, self-signed or signed by a CA
-- (enough to run a private test CA). A thin layer over core.x509_build
-- (csrc/lua_x509write.c, csrc/x509_write.c).
--
--   local certgen = require "moontls.certgen"
--   local keys = require "moontls.keys"
--   local cak = keys.generate("ec-p256")
--   local ca = certgen.selfsigned{key = cak, cn = "Test CA", ca = true}
--   local k = keys.generate("ec-p256")
--   local pem, der = certgen.issue{key = k, ca_cert = ca, ca_key = cak,
--                                  cn = "www.example", san = {"DNS:www.example"}}
--
-- Fields (all optional except key, and ca_cert/ca_key for issue):
--   key        the subject's moontls.Key (private or public); signs when self-signed
--   cn         common name (unless subject has CN: in its place in a subject map, last
--              after a subject list)
--   subject    {{"O", "Acme"}, {"C", "DE"}} in order, or a map {O = "Acme", C = "DE"}
--              (written C, ST, L, O, OU, CN, emailAddress, then the rest by name);
--              an element may carry a third field "utf8" | "printable" | "ia5"
--   san        {"DNS:a.example", "IP:192.0.2.1", "IP:2001:db8::1", "email:x@y", "URI:u"}
--              or {dns = {...}, ip = {...}, email = {...}, uri = {...}}
--   days       validity in days from not_before (default 365)
--   not_before, not_after   Unix times (default: now, now + days)
--   ca         true for a CA certificate; pathlen = n sets its pathLenConstraint
--   key_usage  {"digitalSignature", "keyCertSign", ...} or false for none
--              (default: CA keyCertSign+cRLSign; leaf digitalSignature (+keyEncipherment RSA))
--   eku        {"serverAuth", "clientAuth", "codeSigning", "emailProtection",
--              "timeStamping", "OCSPSigning", "anyExtendedKeyUsage", or dotted OIDs}
--   name_constraints  {permitted = {"DNS:example.com", "IP:10.0.0.0/8"}, excluded = {...}}
--   hash       "sha256" | "sha384" | "sha512" | "sha1" | ... (default from the signing key)
--   pss        true for RSASSA-PSS with an RSA signing key
--   serial     integer or hex string (default: 16 random bytes, top bit clear)
--   extensions {{oid = "1.2.3", critical = true, value = <DER of extnValue>}, ...}
--   no_ski, no_aki, no_basic_constraints   leave those extensions out
--   skip_key_check   do not check that the signing key belongs to the CA certificate
--              (or, self-signed, to the subject): for negative tests only
-- Returns the certificate as PEM and as DER, or nil, message, code.
-- Misuse (wrong types, unknown names) raises.
local core = require "moontls.core"

local certgen = {}

local SAN_KINDS = { DNS = "DNS", IP = "IP", email = "email", URI = "URI" }
local SAN_KEYS = { dns = "DNS", ip = "IP", email = "email", uri = "URI" }
local SAN_KEY_ORDER = { "dns", "ip", "email", "uri" }
local SUBJECT_ORDER = { "C", "ST", "L", "O", "OU", "CN", "emailAddress" }

local function argerror(msg)
   error("moontls.certgen: " .. msg, 3)
end

--- "DNS:x" / {dns = {...}} lists into {{kind, value}, ...}.
local function general_names(list, what)
   local out = {}
   if list == nil then
      return out
   end
   if type(list) ~= "table" then
      argerror(what .. " must be a table")
   end
   for i, v in ipairs(list) do
      if type(v) ~= "string" then
         argerror(what .. "[" .. i .. "] must be a string such as 'DNS:name'")
      end
      local kind, value = v:match("^([%a]+):(.*)$")
      if not kind or not SAN_KINDS[kind] then
         argerror(what .. "[" .. i .. "] '" .. v .. "' must start with DNS:, IP:, email: or URI:")
      end
      out[#out + 1] = { SAN_KINDS[kind], value }
   end
   for _, key in ipairs(SAN_KEY_ORDER) do
      local kind, l = SAN_KEYS[key], list[key]
      if l ~= nil then
         if type(l) ~= "table" then
            argerror(what .. "." .. key .. " must be a list")
         end
         for _, value in ipairs(l) do
            out[#out + 1] = { kind, value }
         end
      end
   end
   for k in pairs(list) do
      if type(k) ~= "number" and not SAN_KEYS[k] then
         argerror(what .. ": unknown field '" .. tostring(k) .. "'")
      end
   end
   return out
end

local function subject_list(o)
   local out = {}
   local subject = o.subject
   if subject ~= nil and type(subject) ~= "table" then
      argerror("subject must be a table")
   end
   subject = subject or {}
   if #subject > 0 then
      for i, a in ipairs(subject) do
         if type(a) ~= "table" or type(a[1]) ~= "string" or type(a[2]) ~= "string" then
            argerror("subject[" .. i .. "] must be {attribute, value}")
         end
         out[#out + 1] = { a[1], a[2], a[3] }
      end
   else
      if o.cn ~= nil and subject.CN == nil then
         local copy = { CN = o.cn }
         for k, v in pairs(subject) do
            copy[k] = v
         end
         subject = copy
      end
      local done = {}
      for _, name in ipairs(SUBJECT_ORDER) do
         if subject[name] ~= nil then
            out[#out + 1] = { name, subject[name] }
            done[name] = true
         end
      end
      local rest = {}
      for name in pairs(subject) do
         if not done[name] then
            rest[#rest + 1] = name
         end
      end
      table.sort(rest)
      for _, name in ipairs(rest) do
         out[#out + 1] = { name, subject[name] }
      end
   end
   for _, a in ipairs(out) do
      if type(a[2]) ~= "string" then
         argerror("subject value of " .. tostring(a[1]) .. " must be a string")
      end
   end
   if o.cn ~= nil then
      if type(o.cn) ~= "string" then
         argerror("cn must be a string")
      end
      local has_cn = false
      for _, a in ipairs(out) do
         has_cn = has_cn or a[1] == "CN"
      end
      if not has_cn then
         out[#out + 1] = { "CN", o.cn }
      end
   end
   return out
end

local function serial_bytes(serial)
   if serial == nil then
      return nil
   end
   if math.type(serial) == "integer" then
      if serial <= 0 then
         argerror("serial must be positive")
      end
      local hex = string.format("%x", serial)
      serial = hex
   end
   if type(serial) ~= "string" then
      argerror("serial must be an integer or a hex string")
   end
   local hex = serial:gsub("^0[xX]", ""):gsub(":", "")
   if hex == "" or hex:find("[^%x]") then
      argerror("serial must be an integer or a hex string")
   end
   if #hex % 2 == 1 then
      hex = "0" .. hex
   end
   return (hex:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

local function validity(o)
   local now = os.time()
   local nb = o.not_before or now
   local days = o.days or 365
   if math.type(nb) ~= "integer" then
      argerror("not_before must be an integer (Unix time)")
   end
   if type(days) ~= "number" or days < 0 then
      argerror("days must be a non-negative number")
   end
   local na = o.not_after or nb + math.floor(days * 86400)
   if math.type(na) ~= "integer" then
      argerror("not_after must be an integer (Unix time)")
   end
   return nb, na
end

local KNOWN = {
   key = true, cn = true, subject = true, san = true, days = true, not_before = true,
   not_after = true, ca = true, pathlen = true, key_usage = true, eku = true,
   name_constraints = true, hash = true, pss = true, serial = true, extensions = true,
   no_ski = true, no_aki = true, no_basic_constraints = true, skip_key_check = true,
   ca_cert = true, ca_key = true,
}

--- A CA certificate given as PEM/DER string or as an object with der().
local function cert_bytes(c)
   if type(c) == "string" then
      return c
   end
   if (type(c) == "table" or type(c) == "userdata") and c.der then
      local der = c:der()
      if type(der) == "string" then
         return der
      end
   end
   argerror("ca_cert must be a PEM/DER string or a certificate object")
end

local function build(o, signing_key, ca_cert)
   for k in pairs(o) do
      if not KNOWN[k] then
         argerror("unknown field '" .. tostring(k) .. "'")
      end
   end
   if o.key == nil then
      argerror("key is required")
   end
   local nb, na = validity(o)
   local nc = o.name_constraints or {}
   if type(nc) ~= "table" then
      argerror("name_constraints must be {permitted = {...}, excluded = {...}}")
   end
   if o.pathlen ~= nil and math.type(o.pathlen) ~= "integer" then
      argerror("pathlen must be an integer")
   end
   if o.eku ~= nil and type(o.eku) ~= "table" then
      argerror("eku must be a list of names")
   end
   return core.x509_build {
      key = o.key,
      sign_key = signing_key,
      ca_cert = ca_cert,
      subject = subject_list(o),
      san = general_names(o.san, "san"),
      not_before = nb,
      not_after = na,
      ca = o.ca and true or false,
      pathlen = o.pathlen,
      key_usage = o.key_usage,
      eku = o.eku,
      nc_permitted = general_names(nc.permitted, "name_constraints.permitted"),
      nc_excluded = general_names(nc.excluded, "name_constraints.excluded"),
      hash = o.hash,
      pss = o.pss,
      serial = serial_bytes(o.serial),
      extensions = o.extensions,
      no_ski = o.no_ski,
      no_aki = o.no_aki,
      no_basic_constraints = o.no_basic_constraints,
      skip_ca_key_check = o.skip_key_check,
   }
end

--- A self-signed certificate for opts.key (a private moontls.Key).
function certgen.selfsigned(opts)
   if type(opts) ~= "table" then
      argerror("selfsigned expects a table")
   end
   if opts.ca_cert ~= nil or opts.ca_key ~= nil then
      argerror("selfsigned takes no ca_cert/ca_key (use issue)")
   end
   return build(opts, opts.key, nil)
end

--- A certificate for opts.key signed by opts.ca_key under opts.ca_cert.
function certgen.issue(opts)
   if type(opts) ~= "table" then
      argerror("issue expects a table")
   end
   if opts.ca_cert == nil or opts.ca_key == nil then
      argerror("issue needs ca_cert and ca_key")
   end
   return build(opts, opts.ca_key, cert_bytes(opts.ca_cert))
end

return certgen
