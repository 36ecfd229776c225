-- Certificate issuance (moontls.certgen, bin/moontls cert) checked against openssl.
local helpers = require "helpers"
local pki = require "pki"
local certgen = require "moontls.certgen"
local keys = require "moontls.keys"

local KINDS = {
   { kind = "rsa-2048", sig = "sha256WithRSAEncryption", pub = "rsaEncryption" },
   { kind = "ec-p256", sig = "ecdsa%-with%-SHA256", pub = "NIST CURVE: P%-256" },
   { kind = "ec-p384", sig = "ecdsa%-with%-SHA384", pub = "NIST CURVE: P%-384" },
   { kind = "ec-p521", sig = "ecdsa%-with%-SHA512", pub = "NIST CURVE: P%-521" },
   { kind = "ed25519", sig = "ED25519", pub = "Public Key Algorithm: ED25519" },
   { kind = "ed448", sig = "ED448", pub = "Public Key Algorithm: ED448" },
}

-- one key per type for the whole file (RSA generation is the slow one)
local K = {}
for _, row in ipairs(KINDS) do
   K[row.kind] = assert(keys.generate(row.kind))
end

local function esc(s)
   return (s:gsub("%p", "%%%0"))
end

local function verify(ws, ca_pems, leaf_pem, extra)
   local args = { "verify", "-CAfile", ws:bundle(ca_pems, "ca.pem") }
   for _, a in ipairs(extra or {}) do
      args[#args + 1] = a
   end
   args[#args + 1] = ws:file(leaf_pem, "leaf.pem")
   return pki.openssl(args)
end

describe("moontls.certgen", function()
   local ws
   before_each(function()
      ws = pki.new()
   end)
   after_each(function()
      ws:close()
   end)

   for _, row in ipairs(KINDS) do
      it("makes a self-signed " .. row.kind .. " certificate openssl reads and verifies", function()
         local pem, der = certgen.selfsigned { key = K[row.kind], cn = "self " .. row.kind }
         assert.is_string(pem, der)
         assert.matches("^%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-\n", pem)
         local text = ws:text(pem)
         assert.matches("Version: 3 %(0x2%)", text)
         assert.matches("Signature Algorithm: " .. row.sig, text)
         assert.matches(row.pub, text)
         assert.matches("Subject: CN = self " .. esc(row.kind), text)
         assert.matches("Issuer: CN = self " .. esc(row.kind), text)
         -- the DER is the PEM's content
         local ok, out = pki.openssl { "x509", "-inform", "DER", "-in", ws:file(der, "c.der") }
         assert.is_true(ok, out)
         assert.equals(pem, out)
         ok, out = verify(ws, { pem }, pem)
         assert.is_true(ok, out)
         assert.matches(": OK\n$", out)
      end)

      it("issues a chain under a " .. row.kind .. " CA that openssl verify accepts", function()
         local ca = assert(certgen.selfsigned { key = K[row.kind], cn = "CA " .. row.kind,
            subject = { O = "moontls tests" }, ca = true, pathlen = 1 })
         local ik = K["ec-p256"]
         local inter = assert(certgen.issue { key = ik, ca_cert = ca, ca_key = K[row.kind],
            cn = "Intermediate", ca = true, pathlen = 0 })
         local leaf = assert(certgen.issue { key = K["ed25519"]:public(), ca_cert = inter,
            ca_key = ik, cn = "leaf", san = { "DNS:leaf.example" }, eku = { "serverAuth" } })
         local ok, out = verify(ws, { ca }, leaf, { "-untrusted", ws:file(inter, "i.pem"),
            "-x509_strict", "-purpose", "sslserver", "-verify_hostname", "leaf.example" })
         assert.is_true(ok, out)
         assert.matches(": OK\n$", out)
         -- the leaf's issuer is the intermediate's subject, key ids link up
         local it_text, lt_text = ws:text(inter), ws:text(leaf)
         assert.matches("Issuer: O = moontls tests, CN = CA " .. esc(row.kind), it_text)
         assert.matches("Issuer: CN = Intermediate", lt_text)
         local ski = it_text:match("Subject Key Identifier: *\n%s*([%x:]+)")
         local aki = lt_text:match("Authority Key Identifier: *\n%s*([%x:]+)")
         assert.is_string(ski)
         assert.equals(ski, aki)
      end)
   end

   it("writes subjectAltName, extKeyUsage and basicConstraints as given", function()
      local pem = assert(certgen.selfsigned {
         key = K["ec-p256"], cn = "alt",
         san = { "DNS:a.example", "DNS:*.b.example", "IP:192.0.2.1", "IP:2001:db8::7",
                 "email:ops@example.org", "URI:https://example.org/x" },
         eku = { "serverAuth", "clientAuth", "codeSigning", "emailProtection" },
      })
      local text = ws:text(pem)
      assert.matches("X509v3 Subject Alternative Name: *\n%s*DNS:a%.example, DNS:%*%.b%.example, "
         .. "IP Address:192%.0%.2%.1, IP Address:2001:DB8:0:0:0:0:0:7, "
         .. "email:ops@example%.org, URI:https://example%.org/x\n", text)
      assert.matches("X509v3 Extended Key Usage: *\n%s*TLS Web Server Authentication, "
         .. "TLS Web Client Authentication, Code Signing, E%-mail Protection\n", text)
      assert.matches("X509v3 Basic Constraints: critical\n%s*CA:FALSE\n", text)
      assert.matches("X509v3 Key Usage: critical\n%s*Digital Signature\n", text)

      local ca = assert(certgen.selfsigned { key = K["ec-p384"], cn = "ca", ca = true,
         pathlen = 3 })
      text = ws:text(ca)
      assert.matches("X509v3 Basic Constraints: critical\n%s*CA:TRUE, pathlen:3\n", text)
      assert.matches("X509v3 Key Usage: critical\n%s*Certificate Sign, CRL Sign\n", text)
      assert.not_matches("Extended Key Usage", text)

      -- the san = {dns=, ip=} form and explicit key usages
      local pem2 = assert(certgen.selfsigned { key = K["rsa-2048"], cn = "alt2",
         san = { dns = { "c.example" }, ip = { "10.9.8.7" } },
         key_usage = { "digitalSignature", "keyAgreement" } })
      text = ws:text(pem2)
      assert.matches("DNS:c%.example, IP Address:10%.9%.8%.7\n", text)
      assert.matches("Key Usage: critical\n%s*Digital Signature, Key Agreement\n", text)
      -- the RSA default adds keyEncipherment
      text = ws:text(assert(certgen.selfsigned { key = K["rsa-2048"], cn = "r" }))
      assert.matches("Key Usage: critical\n%s*Digital Signature, Key Encipherment\n", text)
   end)

   it("writes the subject in order with its string types", function()
      local pem = assert(certgen.selfsigned { key = K["ed25519"], cn = "Zoë",
         subject = { C = "DE", ST = "Bayern", L = "München", O = "Moon", OU = "QA",
                     emailAddress = "qa@example.org" } })
      local ok, out = pki.openssl { "x509", "-in", ws:file(pem), "-noout", "-subject",
         "-nameopt", "RFC2253,show_type,-esc_msb" }
      assert.is_true(ok, out)
      assert.equals("subject=emailAddress=IA5STRING:qa@example.org,CN=UTF8STRING:Zoë,"
         .. "OU=UTF8STRING:QA,O=UTF8STRING:Moon,L=UTF8STRING:München,"
         .. "ST=UTF8STRING:Bayern,C=PRINTABLESTRING:DE\n", out)
      -- the list form keeps the caller's order and types
      pem = assert(certgen.selfsigned { key = K["ed25519"],
         subject = { { "O", "First" }, { "CN", "second", "printable" } } })
      ok, out = pki.openssl { "x509", "-in", ws:file(pem), "-noout", "-subject",
         "-nameopt", "RFC2253,show_type" }
      assert.is_true(ok, out)
      assert.equals("subject=CN=PRINTABLESTRING:second,O=UTF8STRING:First\n", out)
   end)

   it("honours hash, pss, serial and validity", function()
      local nb = os.time { year = 2030, month = 1, day = 2, hour = 3, min = 4, sec = 5 }
      local pem = assert(certgen.selfsigned { key = K["rsa-2048"], cn = "pss", pss = true,
         hash = "sha384", serial = "0x0123456789abcdef01", not_before = nb, days = 10 })
      local text = ws:text(pem)
      assert.matches("Signature Algorithm: rsassaPss", text)
      assert.matches("Hash Algorithm: sha384", text)
      assert.matches("Salt Length: 0x30", text)
      assert.matches("Serial Number:%s*01:23:45:67:89:ab:cd:ef:01\n", text)
      local ok, out = pki.openssl { "x509", "-in", ws:file(pem), "-noout", "-dates" }
      assert.is_true(ok, out)
      local want_nb = os.date("!%b %e %H:%M:%S %Y GMT", nb)
      local want_na = os.date("!%b %e %H:%M:%S %Y GMT", nb + 10 * 86400)
      assert.equals("notBefore=" .. want_nb .. "\nnotAfter=" .. want_na .. "\n", out)
      ok, out = verify(ws, { pem }, pem, { "-attime", tostring(nb + 1) })
      assert.is_true(ok, out)

      text = ws:text(assert(certgen.selfsigned { key = K["ec-p521"], cn = "h", hash = "sha256",
         serial = 7 }))
      assert.matches("Signature Algorithm: ecdsa%-with%-SHA256", text)
      assert.matches("Serial Number: 7 %(0x7%)", text)
      text = ws:text(assert(certgen.selfsigned { key = K["rsa-2048"], cn = "s1", hash = "sha1" }))
      assert.matches("Signature Algorithm: sha1WithRSAEncryption", text)
      text = ws:text(assert(certgen.selfsigned { key = K["rsa-2048"], cn = "s5", hash = "sha512" }))
      assert.matches("Signature Algorithm: sha512WithRSAEncryption", text)
   end)

   it("writes name constraints and extra extensions that openssl enforces", function()
      local ca = assert(certgen.selfsigned { key = K["ec-p256"], cn = "nc", ca = true,
         name_constraints = { permitted = { "DNS:example.com", "IP:10.0.0.0/8" },
                              excluded = { "DNS:bad.example.com", "IP:10.1.0.0/16" } } })
      local text = ws:text(ca)
      assert.matches("X509v3 Name Constraints: critical\n%s*Permitted:\n%s*DNS:example%.com\n"
         .. "%s*IP:10%.0%.0%.0/255%.0%.0%.0\n%s*Excluded:\n%s*DNS:bad%.example%.com\n"
         .. "%s*IP:10%.1%.0%.0/255%.255%.0%.0\n", text)
      local good = assert(certgen.issue { key = K["ed25519"], ca_cert = ca, ca_key = K["ec-p256"],
         cn = "ok", san = { "DNS:www.example.com", "IP:10.2.3.4" } })
      local bad = assert(certgen.issue { key = K["ed25519"], ca_cert = ca, ca_key = K["ec-p256"],
         cn = "no", san = { "DNS:x.bad.example.com" } })
      local ok, out = verify(ws, { ca }, good)
      assert.is_true(ok, out)
      ok, out = verify(ws, { ca }, bad)
      assert.is_false(ok)
      assert.matches("excluded subtree violation", out)

      -- an unknown critical extension is written as given and makes openssl refuse
      local odd = assert(certgen.selfsigned { key = K["ec-p256"], cn = "odd",
         extensions = { { oid = "1.3.6.1.4.1.55555.1", critical = true, value = "\5\0" } } })
      text = ws:text(odd)
      assert.matches("1%.3%.6%.1%.4%.1%.55555%.1: critical", text)
      ok, out = verify(ws, { odd }, odd)
      assert.is_false(ok)
      assert.matches("unhandled critical extension", out)
   end)

   it("is moontls.x509.selfsigned/issue, takes a Certificate as ca_cert, and re-parses", function()
      local x509 = require "moontls.x509"
      local ca_pem = assert(x509.selfsigned { key = K["ec-p256"], cn = "Obj CA", ca = true,
         pathlen = 0 })
      local ca = assert(x509.load(ca_pem))[1]
      local pem, der = x509.issue { key = K["ed448"], ca_cert = ca, ca_key = K["ec-p256"],
         cn = "obj leaf", subject = { O = "Objects" }, san = { "DNS:obj.example", "IP:192.0.2.9" },
         eku = { "clientAuth" }, serial = "0badc0de", not_before = 1800000000, days = 2 }
      assert.is_string(pem, der)
      local c = assert(x509.load(der))[1]
      assert.equals(der, c:der())
      assert.same({ { "O", "Objects" }, { "CN", "obj leaf" } }, (c:subject()))
      assert.same({ { "CN", "Obj CA" } }, (c:issuer()))
      assert.equals("0BADC0DE", c:serial())
      assert.equals(1800000000, c:not_before())
      assert.equals(1800000000 + 2 * 86400, c:not_after())
      assert.equals(3, c:version())
      assert.same({ "obj.example" }, c:san().dns)
      assert.same({ "192.0.2.9" }, c:san().ip)
      local ext = {}
      for _, e in ipairs(c:extensions()) do
         ext[e.name or e.oid] = e
      end
      assert.is_true(ext.basicConstraints.critical)
      assert.is_false(ext.basicConstraints.value.ca)
      assert.is_true(ext.keyUsage.critical)
      assert.same({ "digitalSignature" }, ext.keyUsage.value)
      assert.same({ "clientAuth" }, ext.extendedKeyUsage.value)
      local ca_ext = {}
      for _, e in ipairs(ca:extensions()) do
         ca_ext[e.name or e.oid] = e
      end
      assert.equals(ca_ext.subjectKeyIdentifier.value, ext.authorityKeyIdentifier.value.keyid)
      assert.same({ ca = true, pathlen = 0 }, ca_ext.basicConstraints.value)
      assert.same({ "keyCertSign", "cRLSign" }, ca_ext.keyUsage.value)
      assert.is_true(x509.verify(pem, { ca = ca_pem, host = "obj.example", ip = "192.0.2.9",
         purpose = "client", time = 1800000000 + 60 }))
      local ok, _, _, code = x509.verify(pem, { ca = ca_pem, purpose = "server",
         time = 1800000000 + 60 })
      assert.is_nil(ok)
      assert.equals("unsuitable_purpose", code)
   end)

   it("returns nil, message, code for bad parameters and raises on misuse", function()
      local ca = assert(certgen.selfsigned { key = K["ec-p256"], cn = "ca", ca = true })
      local pem, msg, code = certgen.issue { key = K["ed448"], ca_cert = ca,
         ca_key = K["ec-p384"], cn = "x" }
      assert.is_nil(pem)
      assert.equals("ca_key is not the key of ca_cert", msg)
      assert.equals("invalid_argument", code)
      pem, msg = certgen.selfsigned { key = K["ec-p256"]:public(), cn = "x" }
      assert.is_nil(pem)
      assert.equals("the signing key is a public key", msg)
      pem, msg, code = certgen.issue { key = K["ed448"], ca_cert = "not a cert",
         ca_key = K["ec-p256"], cn = "x" }
      assert.is_nil(pem)
      assert.equals("certificate_malformed", code, msg)
      pem, msg, code = certgen.selfsigned { key = K["ed25519"], cn = "x", hash = "sha256" }
      assert.is_nil(pem)
      assert.equals("signature_unsupported", code, msg)
      pem, msg, code = certgen.selfsigned { key = K["ec-p256"], san = { "IP:1.2.3" } }
      assert.is_nil(pem)
      assert.equals("invalid_argument", code, msg)
      pem, msg = certgen.selfsigned { key = K["ec-p256"], cn = "x", days = 1,
         not_before = 100, not_after = 50 }
      assert.is_nil(pem)
      assert.equals("not_after is before not_before", msg)

      assert.has_error(function() certgen.selfsigned { cn = "no key" } end)
      assert.has_error(function() certgen.selfsigned { key = K["ec-p256"], colour = "red" } end)
      assert.has_error(function() certgen.selfsigned { key = K["ec-p256"], san = { "dns:x" } } end)
      assert.has_error(function()
         certgen.selfsigned { key = K["ec-p256"], cn = "x", key_usage = { "signing" } }
      end)
      assert.has_error(function() certgen.selfsigned { key = "not a key", cn = "x" } end)
      assert.has_error(function() certgen.issue { key = K["ec-p256"], cn = "x" } end)
   end)
end)

describe("bin/moontls cert", function()
   local ws, cli
   before_each(function()
      ws = pki.new()
      cli = function(args)
         return helpers.run(helpers.lua .. " bin/moontls cert " .. args)
      end
   end)
   after_each(function()
      ws:close()
   end)

   it("makes a self-signed and a CA-signed certificate", function()
      local cak = ws:file(K["ec-p384"]:pem(), "cak.pem")
      local lk = ws:file(K["ed25519"]:pem(), "lk.pem")
      local cacert = ws.dir .. "/ca.pem"
      local ok, code, out = cli("--key " .. cak .. " --cn 'CLI CA' --ca-cert --pathlen 0 --days 30"
         .. " --out " .. cacert)
      assert.is_true(ok, out)
      assert.equals(0, code)
      assert.equals("", out)
      local f = assert(io.open(cacert))
      local capem = f:read("a")
      f:close()
      local text = ws:text(capem)
      assert.matches("CA:TRUE, pathlen:0", text)
      assert.matches("Subject: CN = CLI CA", text)

      ok, code, out = cli("--key " .. lk .. " --cn leaf --san DNS:leaf.test,IP:127.0.0.1"
         .. " --eku serverAuth,clientAuth --ca " .. cacert .. " --ca-key " .. cak)
      assert.is_true(ok, out)
      assert.equals(0, code)
      assert.matches("^%-%-%-%-%-BEGIN CERTIFICATE", out)
      local vok, vout = verify(ws, { capem }, out, { "-verify_hostname", "leaf.test",
         "-verify_ip", "127.0.0.1", "-purpose", "sslclient" })
      assert.is_true(vok, vout)
      text = ws:text(out)
      assert.matches("DNS:leaf%.test, IP Address:127%.0%.0%.1", text)
      assert.matches("Issuer: CN = CLI CA", text)
   end)

   it("exits 2 on usage errors and 1 on runtime errors, with the message on stderr", function()
      local k = ws:file(K["ec-p256"]:pem(), "k.pem")
      local other = ws:file(K["ec-p384"]:pem(), "o.pem")
      for _, args in ipairs { "", "--cn x", "--key " .. k, "--key " .. k .. " --cn x --bogus",
         "--key " .. k .. " --cn x --ca " .. k, "--key " .. k .. " --cn x --days -3",
         "--key " .. k .. " --cn x --san foo:bar", "--key " .. k .. " --cn x --pathlen 1",
         "--key " .. k .. " --cn" } do
         local ok, code, out = cli(args)
         assert.is_false(ok, args)
         assert.equals(2, code, args)
         assert.matches("usage: moontls cert", out, 1, args)
      end
      local ok, code, out = cli("--key " .. ws.dir .. "/missing.pem --cn x")
      assert.is_false(ok)
      assert.equals(1, code)
      assert.matches("missing%.pem", out)
      local notkey = ws:file("hello", "nk.pem")
      ok, code = cli("--key " .. notkey .. " --cn x")
      assert.is_false(ok)
      assert.equals(1, code)
      local ca = ws:file((assert(certgen.selfsigned { key = K["ec-p256"], cn = "c", ca = true })))
      ok, code, out = cli("--key " .. k .. " --cn x --ca " .. ca .. " --ca-key " .. other)
      assert.is_false(ok)
      assert.equals(1, code, out)
      assert.equals("moontls cert: ca_key is not the key of ca_cert\n", out)
      ok, code, out = cli("--key " .. k .. " --cn x --hash md4")
      assert.is_false(ok)
      assert.equals(1, code)
      assert.matches("unknown hash", out)
      ok, code, out = cli("--help")
      assert.is_true(ok)
      assert.equals(0, code)
      assert.matches("usage: moontls cert", out)
   end)
end)
