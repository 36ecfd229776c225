--- moontls.keys: public and private keys (RSA, ECDSA P-256/384/521, Ed25519,
-- Ed448, DSA). A thin layer over moontls.core's Key class (csrc/lua_keys.c).
--
--   local keys = require "moontls.keys"
--   local k = keys.generate("ec-p256")
--   local sig = k:sign("data", "sha256")
--   assert(k:public():verify("data", sig, "sha256"))
--
-- Key methods: type(), bits(), private(), public(), pem(), der(), spki(),
-- sign(data, hash, opts), verify(data, sig, hash, opts), close().
-- hash is "sha1" | "sha224" | "sha256" | "sha384" | "sha512" (nil for EdDSA);
-- opts may be {pss = true, salt = n} for RSA-PSS (salt defaults to the hash length).
-- Bad input returns nil, message, code; misuse raises.
local core = require "moontls.core"

local keys = {}

--- Load a key from PEM or DER: PKCS#8 (also encrypted, given `password`),
-- PKCS#1, SEC1, OpenSSL DSA, SubjectPublicKeyInfo.
function keys.load(data, password)
   return core.key_load(data, password)
end

--- Generate a key: "rsa-2048" | "rsa-3072" | "rsa-4096" | "ec-p256" | "ec-p384"
-- | "ec-p521" | "ed25519" | "ed448" | "rsa-pss-2048" | "rsa-pss-3072" | "rsa-pss-4096" (an
-- id-RSASSA-PSS key: PSS signatures only, key:type() "rsa-pss"; TLS rsa_pss_pss_* schemes).
function keys.generate(kind)
   return core.key_generate(kind)
end

--- Public key from a DER SubjectPublicKeyInfo.
function keys.from_spki(der)
   return core.key_from_spki(der)
end

return keys
