-- x509-limbo cases we do not run, each with the reason. The data is never edited;
-- 21-limbo_spec.lua skips exactly these ids (and fails if one of them no longer exists).
local E = {}

local function add(reason, ids)
   for _, id in ipairs(ids) do E[id] = reason end
end

add("CRLs: moontls does not check revocation", {
   "crl::revoked-certificate-with-crl",
   "crl::certificate-not-on-crl",
   "crl::certificate-serial-on-crl-different-issuer",
   "crl::crlnumber-critical",
   "crl::crlnumber-missing",
   "crl::issuer-missing-crlsign",
   "crl::issuer-no-keyusage-extension",
   "crl::issuer-valid-crlsign-and-keycertsign",
})

add("conflicts_with its rfc5280:: twin, which moontls follows (RFC 5280 profile)", {
   "webpki::eku::ee-without-eku",
   "webpki::nc::permitted-dns-match-noncritical",
   "webpki::ca-as-leaf",
})

add("CA/B Forum root profile (BR 7.1.2.1.3) for authorityKeyIdentifier; not an RFC 5280 rule", {
   "webpki::aki::root-with-aki-missing-keyidentifier",
   "webpki::aki::root-with-aki-authoritycertissuer",
   "webpki::aki::root-with-aki-authoritycertserialnumber",
   "webpki::aki::root-with-aki-all-fields",
   "webpki::aki::root-with-aki-ski-mismatch",
})

add("CA/B Forum BR 7.1.4.3 CN/SAN consistency: with SANs present moontls never reads the CN"
   .. " (RFC 6125 6.4.4), so the CN's content is not linted", {
   "webpki::cn::ipv4-hex-mismatch",
   "webpki::cn::ipv4-leading-zeros-mismatch",
   "webpki::cn::ipv6-uppercase-mismatch",
   "webpki::cn::ipv6-uncompressed-mismatch",
   "webpki::cn::ipv6-non-rfc5952-mismatch",
   "webpki::cn::punycode-not-in-san",
   "webpki::cn::utf8-vs-punycode-mismatch",
   "webpki::cn::not-in-san",
   "webpki::cn::case-mismatch",
})

add("pedantic-webpki-eku: CA/B Forum EKU profile; moontls accepts anyExtendedKeyUsage, a"
   .. " critical EKU and an EKU in a root, as OpenSSL does", {
   "webpki::eku::ee-anyeku",
   "webpki::eku::ee-critical-eku",
   "webpki::eku::root-has-eku",
})

add("pedantic-public-suffix-wildcard: needs the Public Suffix List; moontls only refuses"
   .. " wildcards with fewer than two labels after them", {
   "webpki::san::public-suffix-multi-label-wildcard-san",
   "webpki::san::public-suffix-private-namespace-wildcard-san",
})

add("CA/B Forum rule; RFC 5280 4.2.1.6 only says SHOULD be non-critical", {
   "webpki::san::san-critical-with-nonempty-subject",
})

add("CA/B Forum key policy: moontls accepts DSA keys of 2048 bits or more", {
   "webpki::forbidden-dsa-root",
   "webpki::forbidden-dsa-leaf",
})

add("CA/B Forum BR 6.1.5 (RSA modulus a multiple of 8 bits); moontls only requires 2048 bits", {
   "webpki::forbidden-rsa-not-divisible-by-8-in-root",
   "webpki::forbidden-rsa-key-not-divisible-by-8-in-leaf",
})

add("CA/B Forum leaf profile: RFC 5280 allows a CA certificate as leaf (rfc5280::ca-as-leaf)", {
   "webpki::ee-basicconstraints-ca",
})

add("pedantic-rfc5280: trust anchors are taken as given; cve::cve-2024-0567 needs a"
   .. " cross-signed anchor without authorityKeyIdentifier to succeed", {
   "rfc5280::aki::cross-signed-root-missing-aki",
})

return E
