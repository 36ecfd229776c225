-- Helpers for the certificate specs: files in a temporary directory and openssl.
local helpers = require "helpers"

local pki = {}
pki.__index = pki

--- A workspace: a temporary directory where certificates and keys are written.
function pki.new()
   return setmetatable({ dir = helpers.tmpdir(), n = 0 }, pki)
end

function pki:close()
   helpers.rmtree(self.dir)
end

--- Writes data to a fresh file in the workspace; returns its path.
function pki:file(data, hint)
   self.n = self.n + 1
   local path = string.format("%s/%03d-%s", self.dir, self.n, hint or "f.pem")
   local f = assert(io.open(path, "wb"))
   f:write(data)
   f:close()
   return path
end

--- Concatenation of PEM strings in one file.
function pki:bundle(list, hint)
   return self:file(table.concat(list), hint or "bundle.pem")
end

local function quote(s)
   return "'" .. s:gsub("'", "'\\''") .. "'"
end
pki.quote = quote

--- Runs openssl with the arguments (a list, quoted here); returns ok, output.
function pki.openssl(args)
   local q = {}
   for i, a in ipairs(args) do
      q[i] = quote(a)
   end
   local ok, _, out = helpers.run("openssl " .. table.concat(q, " "))
   return ok, out
end

--- openssl x509 -text of a PEM certificate (via a file); raises if openssl refuses it.
function pki:text(pem)
   local ok, out = pki.openssl { "x509", "-in", self:file(pem, "text.pem"), "-noout", "-text" }
   assert(ok, out)
   return out
end

return pki
