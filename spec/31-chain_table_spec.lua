-- The chain-validation table: every case is built at test time (moontls.certgen, openssl
-- for the MD5 signature it cannot make), verified by moontls.x509.verify AND by
-- `openssl verify`, and both verdicts are checked against the row's expectation, so a
-- case where both agree on the wrong answer fails too.
--
-- Row: {name, build = function(f) -> {leaf = pem, untrusted = {pem...}, anchors = {pem...}},
--       host =, ip =, purpose = "server" | "client", allow_sha1 =, strict =, time =,
--       openssl_args = {...} (extra arguments, documented per row),
--       expect = true | {code = <moontls error name>, depth = n, openssl = <pattern>}}
-- `expect.openssl` defaults to OPENSSL_MESSAGE[code]; the depth is checked for both.
-- A row with `openssl_expect` is a documented divergence: openssl's verdict is asserted
-- to be openssl_expect and moontls's to be `expect` (only the partial-label wildcard).
--
-- Mapping of options: time -> -attime, host -> -verify_hostname, ip -> -verify_ip,
-- purpose -> -purpose sslserver | sslclient, strict -> -x509_strict, untrusted ->
-- -untrusted, anchors -> -CAfile. Signature strength: moontls refuses MD5 and SHA-1
-- (unless allow_sha1) and RSA keys under 2048 bits, which is what `-auth_level 2`
-- enforces in openssl; `openssl verify` without -auth_level checks no algorithm
-- strength at all (it accepts MD5), so every row passes -auth_level 2, and the
-- allow_sha1 row passes -auth_level 0 instead (SHA-1 accepted on both sides).
local helpers = require "helpers"
local pki = require "pki"
local certgen = require "moontls.certgen"
local keys = require "moontls.keys"

local x509_ok, x509 = pcall(require, "moontls.x509")

local DAY = 86400
-- Validation time: an hour from now, so certificates openssl makes now are valid then.
local T = os.time() + 3600
local NB, NA = T - 30 * DAY, T + 365 * DAY

local OPENSSL_MESSAGE = {
   certificate_expired_at = "certificate has expired",
   certificate_not_yet_valid = "certificate is not yet valid",
   hostname_mismatch = "hostname mismatch",
   ip_mismatch = "IP address mismatch",
   unable_to_get_issuer = "unable to get local issuer certificate",
   self_signed_in_chain = "self%-signed certificate in certificate chain",
   self_signed_leaf = "self%-signed certificate$",
   invalid_ca = "invalid CA certificate",
   path_length_exceeded = "path length constraint exceeded",
   unsuitable_purpose = "unsuitable certificate purpose",
   unhandled_critical_extension = "unhandled critical extension",
   certificate_signature_failure = "certificate signature failure",
   weak_signature_algorithm = "CA signature digest algorithm too weak",
}

-- Keys, made once: ECDSA and EdDSA are cheap, two RSA keys for the RSA rows.
local K = {}
for _, name in ipairs { "root", "inter", "inter2", "leaf", "other", "cross", "x1", "x2" } do
   K[name] = assert(keys.generate("ec-p256"))
end
K.p384 = assert(keys.generate("ec-p384"))
K.p521 = assert(keys.generate("ec-p521"))
K.ed_root = assert(keys.generate("ed25519"))
K.ed_inter = assert(keys.generate("ed25519"))
K.ed_leaf = assert(keys.generate("ed25519"))
K.ed448 = assert(keys.generate("ed448"))
K.rsa1 = assert(keys.generate("rsa-2048"))
K.rsa2 = assert(keys.generate("rsa-2048"))

-- Certificate makers. An entity is {pem =, key =}.
local function with_defaults(o)
   o.not_before = o.not_before or NB
   o.not_after = o.not_after or NA
   return o
end

local function root(cn, key, o)
   o = with_defaults(o or {})
   o.key, o.cn, o.ca = key, cn, true
   return { pem = assert(certgen.selfsigned(o)), key = key }
end

local function ca(cn, key, issuer, o)
   o = with_defaults(o or {})
   o.key, o.cn, o.ca_cert, o.ca_key = key, cn, issuer.pem, issuer.key
   if o.ca == nil then
      o.ca = true
   end
   return { pem = assert(certgen.issue(o)), key = key }
end

local function leaf(issuer, o)
   o = with_defaults(o or {})
   o.key = o.key or K.leaf
   o.cn = o.cn or "Test Leaf"
   o.san = o.san or { "DNS:www.example.com" }
   o.ca_cert, o.ca_key = issuer.pem, o.ca_key or issuer.key
   return (assert(certgen.issue(o)))
end

-- The default hierarchy: Root -> Intermediate -> leaf (all P-256).
local ROOT = root("Table Root", K.root)
local INTER = ca("Table Intermediate", K.inter, ROOT)
local OTHER_ROOT = root("Other Root", K.other)

local function chain(lf, untrusted, anchors)
   return { leaf = lf, untrusted = untrusted or { INTER.pem }, anchors = anchors or { ROOT.pem } }
end

local function std(o)
   return chain(leaf(INTER, o))
end

local function std0()
   return std {}
end

local function fail(code, depth, openssl)
   return { code = code, depth = depth, openssl = openssl }
end

-- Cross-signing: root A (ROOT) and root B; B's key also certified by A (B_CROSS);
-- intermediate XI issued by B.
local ROOT_B = root("Cross Root B", K.cross)
local B_CROSS = ca("Cross Root B", K.cross, ROOT)
local B_CROSS_EXPIRED = ca("Cross Root B", K.cross, ROOT,
   { not_before = T - 400 * DAY, not_after = T - DAY })
local XI = ca("Cross Intermediate", K.x1, ROOT_B)

-- An MD5-signed leaf, made by openssl (moontls does not sign with MD5), under an RSA
-- intermediate.
local function openssl_md5_leaf(ws, issuer, host)
   local key = ws:file(K.leaf:pem(), "md5leaf.key")
   local cakey = ws:file(issuer.key:pem(), "md5ca.key")
   local capem = ws:file(issuer.pem, "md5ca.pem")
   local csr = ws.dir .. "/md5.csr"
   local out = ws.dir .. "/md5leaf.pem"
   local ext = ws:file("basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:" .. host
      .. "\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n", "md5.ext")
   local ok, msg = pki.openssl { "req", "-new", "-key", key, "-subj", "/CN=MD5 Leaf", "-out", csr }
   assert(ok, msg)
   ok, msg = pki.openssl { "x509", "-req", "-in", csr, "-CA", capem, "-CAkey", cakey, "-md5",
      "-days", "30", "-set_serial", "77", "-extfile", ext, "-out", out }
   assert(ok, msg)
   local f = assert(io.open(out))
   local pem = f:read("a")
   f:close()
   return pem
end

local UNKNOWN_CRIT = { { oid = "1.3.6.1.4.1.55555.7", critical = true, value = "\5\0" } }
local UNKNOWN_NONCRIT = { { oid = "1.3.6.1.4.1.55555.8", critical = false, value = "\5\0" } }

local ROWS = {
   -- algorithms
   { "valid ECDSA chain (P-384 root, P-256 intermediate, P-521 leaf)", function()
      local r = root("EC Root", K.p384)
      local i = ca("EC Intermediate", K.inter2, r)
      return chain(leaf(i, { key = K.p521 }), { i.pem }, { r.pem })
   end, host = "www.example.com", expect = true },
   { "valid RSA chain (PKCS#1 v1.5 SHA-256)", function()
      local r = root("RSA Root", K.rsa1)
      local i = ca("RSA Intermediate", K.rsa2, r)
      return chain(leaf(i), { i.pem }, { r.pem })
   end, host = "www.example.com", expect = true },
   { "valid RSA-PSS chain (SHA-256 and SHA-384)", function()
      local r = root("PSS Root", K.rsa1, { pss = true, hash = "sha384" })
      local i = ca("PSS Intermediate", K.rsa2, r, { pss = true })
      return chain(leaf(i, { pss = true }), { i.pem }, { r.pem })
   end, host = "www.example.com", expect = true },
   { "valid Ed25519 chain with an Ed448 leaf key", function()
      local r = root("Ed Root", K.ed_root)
      local i = ca("Ed Intermediate", K.ed_inter, r)
      local i2 = ca("Ed Intermediate 2", K.ed448, i)
      return chain(leaf(i2, { key = K.ed_leaf }), { i.pem, i2.pem }, { r.pem })
   end, host = "www.example.com", expect = true },
   { "leaf issued directly by the root", function()
      return chain(leaf(ROOT), {}, { ROOT.pem })
   end, expect = true },

   -- validity periods
   { "expired leaf", function()
      return std { not_before = T - 100 * DAY, not_after = T - 1 }
   end, expect = fail("certificate_expired_at", 0) },
   { "not-yet-valid leaf", function()
      return std { not_before = T + 1, not_after = T + 100 * DAY }
   end, expect = fail("certificate_not_yet_valid", 0) },
   { "expired intermediate", function()
      local i = ca("Old Intermediate", K.inter2, ROOT,
         { not_before = T - 400 * DAY, not_after = T - DAY })
      return chain(leaf(i), { i.pem })
   end, expect = fail("certificate_expired_at", 1) },
   { "not-yet-valid intermediate", function()
      local i = ca("Future Intermediate", K.inter2, ROOT,
         { not_before = T + DAY, not_after = T + 400 * DAY })
      return chain(leaf(i), { i.pem })
   end, expect = fail("certificate_not_yet_valid", 1) },
   { "expired trust anchor", function()
      local r = root("Old Root", K.x2, { not_before = T - 400 * DAY, not_after = T - DAY })
      return chain(leaf(r), {}, { r.pem })
   end, expect = fail("certificate_expired_at", 1) },

   -- host names (RFC 6125)
   { "host matches a DNS SAN", std0, host = "www.example.com", expect = true },
   { "wrong host", std0, host = "mail.example.com", expect = fail("hostname_mismatch", 0) },
   { "host matching is case-insensitive", std0, host = "WWW.Example.COM", expect = true },
   { "wildcard matches one left-most label", function()
      return std { san = { "DNS:*.example.com" } }
   end, host = "foo.example.com", expect = true },
   { "wildcard does not match two labels", function()
      return std { san = { "DNS:*.example.com" } }
   end, host = "a.b.example.com", expect = fail("hostname_mismatch", 0) },
   { "wildcard does not match the bare parent", function()
      return std { san = { "DNS:*.example.com" } }
   end, host = "example.com", expect = fail("hostname_mismatch", 0) },
   { "wildcard only in the left-most label", function()
      return std { san = { "DNS:www.*.example.com" } }
   end, host = "www.foo.example.com", expect = fail("hostname_mismatch", 0) },
   -- Known divergence, asserted on both sides: openssl 3.0's X509_check_host accepts a
   -- partial-label wildcard unless X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS is set, and
   -- `openssl verify` has no option to set it; moontls refuses it (RFC 9525 6.3, the
   -- browsers' rule).
   { "partial-label wildcard f*.example.com (divergence: openssl accepts)", function()
      return std { san = { "DNS:f*.example.com" } }
   end, host = "foo.example.com", openssl_expect = true, expect = fail("hostname_mismatch", 0) },
   { "no wildcard on a public suffix (*.com)", function()
      return std { san = { "DNS:*.com" } }
   end, host = "example.com", expect = fail("hostname_mismatch", 0) },
   { "subject CN is used when there is no SAN", function()
      return std { cn = "www.example.com", san = {} }
   end, host = "www.example.com", expect = true },
   { "subject CN is ignored when a DNS SAN is present", function()
      return std { cn = "www.example.com", san = { "DNS:other.example.com" } }
   end, host = "www.example.com", expect = fail("hostname_mismatch", 0) },

   -- IP addresses
   { "IPv4 address SAN", function()
      return std { san = { "DNS:www.example.com", "IP:192.0.2.10" } }
   end, ip = "192.0.2.10", expect = true },
   { "IPv6 address SAN in another spelling", function()
      return std { san = { "IP:2001:db8::a:1" } }
   end, ip = "2001:0db8:0:0:0:0:a:1", expect = true },
   { "wrong IP address", function()
      return std { san = { "IP:192.0.2.10" } }
   end, ip = "192.0.2.11", expect = fail("ip_mismatch", 0) },
   { "IP address not matched by a DNS SAN", function()
      return std { san = { "DNS:192.0.2.10" } }
   end, ip = "192.0.2.10", expect = fail("ip_mismatch", 0) },
   { "IPv6 SAN does not match an IPv4 address", function()
      return std { san = { "IP:::ffff:192.0.2.10" } }
   end, ip = "192.0.2.10", expect = fail("ip_mismatch", 0) },

   -- path building
   { "missing intermediate", function()
      return chain(leaf(INTER), {})
   end, expect = fail("unable_to_get_issuer", 0) },
   { "extra unrelated intermediates are ignored", function()
      local stray = ca("Stray CA", K.x2, OTHER_ROOT)
      return chain(leaf(INTER), { stray.pem, OTHER_ROOT.pem, INTER.pem })
   end, expect = true },
   { "intermediates in shuffled order", function()
      local i2 = ca("Second Intermediate", K.inter2, INTER)
      local i3 = ca("Third Intermediate", K.x2, i2)
      return chain(leaf(i3), { INTER.pem, i3.pem, i2.pem })
   end, expect = true },
   { "root only in the untrusted list", function()
      return chain(leaf(INTER), { INTER.pem, ROOT.pem }, { OTHER_ROOT.pem })
   end, expect = fail("self_signed_in_chain", 2) },
   { "wrong trust anchor", function()
      return chain(leaf(INTER), { INTER.pem }, { OTHER_ROOT.pem })
   end, expect = fail("unable_to_get_issuer", 1) },
   { "untrusted self-signed leaf", function()
      local pem = assert(certgen.selfsigned { key = K.leaf, cn = "Self", san = { "DNS:self.test" },
         not_before = NB, not_after = NA })
      return chain(pem, {}, { ROOT.pem })
   end, expect = fail("self_signed_leaf", 0) },
   { "trusted self-signed leaf", function()
      local pem = assert(certgen.selfsigned { key = K.leaf, cn = "Self", san = { "DNS:self.test" },
         not_before = NB, not_after = NA })
      return chain(pem, {}, { pem })
   end, host = "self.test", expect = true },
   { "intermediate as trust anchor (openssl: -partial_chain)", function()
      return chain(leaf(INTER), {}, { INTER.pem })
   end, openssl_args = { "-partial_chain" }, expect = true },
   { "signature by the wrong key", function()
      return chain(leaf(INTER, { ca_key = K.other, skip_key_check = true }))
   end, expect = fail("certificate_signature_failure", 0) },

   -- cross-signed root: A (trusted) certifies B's key; XI is issued by B
   { "cross-signed: path through the cross certificate to root A", function()
      return chain(leaf(XI), { XI.pem, B_CROSS.pem }, { ROOT.pem })
   end, expect = true },
   { "cross-signed: root B trusted directly, cross certificate also offered", function()
      return chain(leaf(XI), { B_CROSS.pem, XI.pem }, { ROOT_B.pem })
   end, expect = true },
   { "cross-signed: expired cross certificate, second path via trusted B", function()
      return chain(leaf(XI), { B_CROSS_EXPIRED.pem, XI.pem }, { ROOT.pem, ROOT_B.pem })
   end, expect = true },
   { "cross-signed: only the expired cross certificate leads to a trusted root", function()
      return chain(leaf(XI), { B_CROSS_EXPIRED.pem, XI.pem }, { ROOT.pem })
   end, expect = fail("certificate_expired_at", 2) },

   -- CA constraints
   { "intermediate with CA:FALSE", function()
      local i = ca("Not A CA", K.inter2, ROOT, { ca = false })
      return chain(leaf(i), { i.pem })
   end, expect = fail("invalid_ca", 1) },
   { "intermediate without basicConstraints", function()
      local i = ca("No BC", K.inter2, ROOT, { ca = false, no_basic_constraints = true,
         key_usage = { "keyCertSign", "cRLSign" } })
      return chain(leaf(i), { i.pem })
   end, expect = fail("invalid_ca", 1) },
   { "pathLen 0 on the root exceeded by an intermediate", function()
      local r = root("Pathlen Root", K.x2, { pathlen = 0 })
      local i = ca("Below Pathlen", K.inter2, r)
      return chain(leaf(i), { i.pem }, { r.pem })
   end, expect = fail("path_length_exceeded", 2) },
   { "pathLen 0 intermediate issuing a leaf is fine", function()
      local i = ca("Pathlen Zero", K.inter2, ROOT, { pathlen = 0 })
      return chain(leaf(i), { i.pem })
   end, expect = true },
   { "pathLen 1 exceeded by two intermediates", function()
      local i1 = ca("Pathlen One", K.inter2, ROOT, { pathlen = 1 })
      local i2 = ca("Pathlen Child", K.x1, i1)
      local i3 = ca("Pathlen Grandchild", K.x2, i2)
      return chain(leaf(i3), { i1.pem, i2.pem, i3.pem })
   end, expect = fail("path_length_exceeded", 3) },
   { "intermediate keyUsage without keyCertSign", function()
      local i = ca("No CertSign", K.inter2, ROOT, { key_usage = { "digitalSignature", "cRLSign" } })
      return chain(leaf(i), { i.pem })
   end, expect = fail("key_usage", 1, "invalid CA certificate") },

   -- extended key usage
   { "clientAuth leaf used for a server", function()
      return std { eku = { "clientAuth" } }
   end, purpose = "server", expect = fail("unsuitable_purpose", 0) },
   { "serverAuth leaf used for a client", function()
      return std { eku = { "serverAuth" } }
   end, purpose = "client", expect = fail("unsuitable_purpose", 0) },
   { "serverAuth leaf used for a server", function()
      return std { eku = { "serverAuth", "clientAuth" } }
   end, purpose = "server", expect = true },
   { "leaf without EKU is fine for a server", std0, purpose = "server", expect = true },
   { "intermediate restricted to clientAuth, server purpose", function()
      local i = ca("Client CA", K.inter2, ROOT, { eku = { "clientAuth" } })
      return chain(leaf(i, { eku = { "serverAuth" } }), { i.pem })
   end, purpose = "server", expect = fail("unsuitable_purpose", 1) },

   -- critical extensions
   { "unknown critical extension in the leaf", function()
      return std { extensions = UNKNOWN_CRIT }
   end, expect = fail("unhandled_critical_extension", 0) },
   { "unknown critical extension in the intermediate", function()
      local i = ca("Odd CA", K.inter2, ROOT, { extensions = UNKNOWN_CRIT })
      return chain(leaf(i), { i.pem })
   end, expect = fail("unhandled_critical_extension", 1) },
   { "unknown non-critical extension is ignored", function()
      return std { extensions = UNKNOWN_NONCRIT }
   end, expect = true },

   -- name constraints
   { "name constraints: permitted DNS subtree", function()
      local i = ca("NC CA", K.inter2, ROOT,
         { name_constraints = { permitted = { "DNS:example.com" } } })
      return chain(leaf(i, { san = { "DNS:www.example.com" } }), { i.pem })
   end, expect = true },
   { "name constraints: DNS outside the permitted subtree", function()
      local i = ca("NC CA", K.inter2, ROOT,
         { name_constraints = { permitted = { "DNS:example.com" } } })
      return chain(leaf(i, { san = { "DNS:www.example.org" } }), { i.pem })
   end, expect = fail("name_constraints", 0, "permitted subtree violation") },
   { "name constraints: DNS in an excluded subtree", function()
      local i = ca("NC CA", K.inter2, ROOT,
         { name_constraints = { excluded = { "DNS:bad.example.com" } } })
      return chain(leaf(i, { san = { "DNS:x.bad.example.com" } }), { i.pem })
   end, expect = fail("name_constraints", 0, "excluded subtree violation") },
   { "name constraints: permitted IPv4 subnet", function()
      local i = ca("NC CA", K.inter2, ROOT,
         { name_constraints = { permitted = { "IP:10.0.0.0/8", "DNS:example.com" } } })
      return chain(leaf(i, { san = { "DNS:www.example.com", "IP:10.20.30.40" } }), { i.pem })
   end, expect = true },
   { "name constraints: IPv4 outside the permitted subnet", function()
      local i = ca("NC CA", K.inter2, ROOT,
         { name_constraints = { permitted = { "IP:10.0.0.0/8" } } })
      return chain(leaf(i, { san = { "DNS:www.example.com", "IP:192.0.2.1" } }), { i.pem })
   end, expect = fail("name_constraints", 0, "permitted subtree violation") },
   { "name constraints: IPv6 in an excluded subnet", function()
      local i = ca("NC CA", K.inter2, ROOT,
         { name_constraints = { excluded = { "IP:2001:db8::/32" } } })
      return chain(leaf(i, { san = { "DNS:www.example.com", "IP:2001:db8::5" } }), { i.pem })
   end, expect = fail("name_constraints", 0, "excluded subtree violation") },

   -- signature algorithms
   { "MD5 signature (made by openssl)", function(f)
      local r = root("RSA Root", K.rsa1)
      local i = ca("RSA Intermediate", K.rsa2, r)
      return chain(openssl_md5_leaf(f.ws, i, "www.example.com"), { i.pem }, { r.pem })
   end, expect = fail("weak_signature_algorithm", 0) },
   { "SHA-1 signature refused by default", function()
      local r = root("RSA Root", K.rsa1)
      local i = ca("RSA Intermediate", K.rsa2, r)
      return chain(leaf(i, { hash = "sha1" }), { i.pem }, { r.pem })
   end, expect = fail("weak_signature_algorithm", 0) },
   { "SHA-1 signature with allow_sha1 (openssl: -auth_level 0)", function()
      return chain(leaf(INTER, { hash = "sha1" }))
   end, allow_sha1 = true, auth_level = "0", expect = true },

   -- RFC 5280 profile checks (-x509_strict / strict = true)
   { "strict: leaf without authorityKeyIdentifier", function()
      return std { no_aki = true }
   end, strict = true, expect = fail("certificate_invalid", 0,
      "[Mm]issing [Aa]uthority [Kk]ey [Ii]dentifier") },
   { "not strict: leaf without authorityKeyIdentifier", function()
      return std { no_aki = true }
   end, expect = true },
   { "strict: CA basicConstraints not critical", function()
      local i = ca("Soft BC", K.inter2, ROOT, { ca = false, no_basic_constraints = true,
         key_usage = { "keyCertSign", "cRLSign" },
         extensions = { { oid = "2.5.29.19", critical = false, value = "\48\3\1\1\255" } } })
      return chain(leaf(i), { i.pem })
   end, strict = true, expect = fail("certificate_invalid", 1,
      "[Bb]asic [Cc]onstraints of CA cert not marked critical") },
}

--- openssl's verdict: true, or nil, message, depth.
local function openssl_verdict(ws, row, c)
   local args = { "verify", "-CAfile", ws:bundle(c.anchors, "anchors.pem"),
      "-attime", tostring(row.time or T), "-auth_level", row.auth_level or "2" }
   if #c.untrusted > 0 then
      args[#args + 1] = "-untrusted"
      args[#args + 1] = ws:bundle(c.untrusted, "untrusted.pem")
   end
   local function add(...)
      for _, a in ipairs { ... } do
         args[#args + 1] = a
      end
   end
   if row.host then add("-verify_hostname", row.host) end
   if row.ip then add("-verify_ip", row.ip) end
   if row.purpose then add("-purpose", row.purpose == "server" and "sslserver" or "sslclient") end
   if row.strict then add("-x509_strict") end
   for _, a in ipairs(row.openssl_args or {}) do add(a) end
   add(ws:file(c.leaf, "leaf.pem"))
   local ok, out = pki.openssl(args)
   if ok and out:match(": OK\n$") then
      return true
   end
   local depth, msg = out:match("error %d+ at (%d+) depth lookup: ([^\n]*)")
   return nil, msg or out, tonumber(depth)
end

--- moontls's verdict: true, or nil, code, depth, reason.
local function moontls_verdict(row, c)
   assert(x509_ok, "moontls.x509 is not available: " .. tostring(x509))
   local ok, reason, depth, code = x509.verify(c.leaf .. table.concat(c.untrusted), {
      ca = table.concat(c.anchors), time = row.time or T, host = row.host, ip = row.ip,
      purpose = row.purpose, allow_sha1 = row.allow_sha1, strict = row.strict,
   })
   if ok == true then
      return true
   end
   return nil, code, depth, reason
end

describe("chain validation table (moontls.x509.verify vs openssl verify)", function()
   it("has at least 40 cases", function()
      assert.is_true(#ROWS >= 40, #ROWS .. " rows")
   end)

   for _, row in ipairs(ROWS) do
      it(row[1], function()
         local ws = pki.new()
         local ok, err = pcall(function()
            local expect = row.expect
            local c = row[2] { ws = ws }
            local o_ok, o_msg, o_depth = openssl_verdict(ws, row, c)
            local m_ok, m_code, m_depth, m_reason = moontls_verdict(row, c)
            local summary = string.format("openssl: %s%s; moontls: %s%s",
               o_ok and "OK" or tostring(o_msg), o_ok and "" or " @" .. tostring(o_depth),
               m_ok and "OK" or tostring(m_code) .. " (" .. tostring(m_reason) .. ")",
               m_ok and "" or " @" .. tostring(m_depth))
            local divergent = row.openssl_expect ~= nil
            if divergent then
               -- a documented divergence: each side is held to its own verdict
               assert((o_ok == true) == row.openssl_expect, "openssl verdict; " .. summary)
            end
            if expect == true then
               assert(m_ok, "expected OK from moontls; " .. summary)
               assert(divergent or o_ok, "expected OK from openssl; " .. summary)
            else
               assert(not m_ok, "expected " .. expect.code .. " from moontls; " .. summary)
               assert(m_code == expect.code, "moontls code; " .. summary)
               assert(m_depth == expect.depth, "moontls depth; " .. summary)
               if not divergent then
                  local pat = expect.openssl or OPENSSL_MESSAGE[expect.code]
                  assert(not o_ok and o_msg:match(pat), "openssl message; " .. summary)
                  assert(o_depth == expect.depth, "openssl depth; " .. summary)
               end
            end
         end)
         ws:close()
         assert(ok, err)
      end)
   end
end)

-- The spec must not pass without the module it tests.
describe("chain validation table prerequisites", function()
   it("loads moontls.x509", function()
      assert.is_true(x509_ok, tostring(x509))
      assert.is_function(x509.verify)
   end)
   it("runs openssl", function()
      local ok, _, out = helpers.run("openssl version")
      assert.is_true(ok, out)
      assert.matches("^OpenSSL 3%.", out)
   end)
end)
