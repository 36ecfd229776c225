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

--- The Lua interpreter running the specs.
helpers.lua = os.getenv("LUA") or "lua5.4"

return helpers
