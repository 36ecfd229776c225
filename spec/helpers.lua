-- Shared helpers for the specs: running commands and temporary directories.
local helpers = {}

--- Runs a shell command; returns ok, exit code, combined output.
function helpers.run(cmd)
   local p = assert(io.popen("(" .. cmd .. ") 2>&1", "r"))
   local out = p:read("a")
   local ok, _, code = p:close()
   return ok == true, code, out
end

--- A fresh temporary directory, removed by helpers.rmtree.
function helpers.tmpdir()
   local ok, _, out = helpers.run("mktemp -d")
   assert(ok, out)
   return (out:gsub("%s+$", ""))
end

function helpers.rmtree(dir)
   assert(dir:match("^/tmp/"), "refusing to remove " .. dir)
   os.execute("rm -rf '" .. dir .. "'")
end

--- Path of the external test data (shared/testdata, never edited): $MOONTLS_TESTDATA, or
-- shared/ beside the checkout (as CI lays it out), or the workplace copy.
function helpers.testdata(sub)
   for _, d in ipairs { os.getenv("MOONTLS_TESTDATA") or false, "../shared/testdata",
      "/work/shared/testdata" } do
      if d then
         local f = io.open(d .. "/MANIFEST.md")
         if f then
            f:close()
            return d .. "/" .. sub
         end
      end
   end
   error("external test data not found: set MOONTLS_TESTDATA or put shared/ beside the checkout")
end

--- The Lua interpreter running the specs.
helpers.lua = os.getenv("LUA") or "lua5.4"

return helpers
