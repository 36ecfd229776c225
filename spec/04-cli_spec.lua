-- bin/moontls: usage, version and exit codes a script can rely on.
local helpers = require "helpers"
local moontls = require "moontls"

local function cli(args)
   return helpers.run(helpers.lua .. " bin/moontls " .. args)
end

describe("bin/moontls", function()
   it("prints the library version", function()
      local ok, code, out = cli("version")
      assert.is_true(ok)
      assert.equals(0, code)
      assert.equals(moontls._VERSION .. "\n", out)
   end)

   it("prints usage on help with status 0", function()
      local ok, _, out = cli("--help")
      assert.is_true(ok)
      assert.matches("usage: moontls COMMAND", out)
   end)

   it("exits 2 with usage on a missing or unknown command", function()
      local ok, code, out = cli("")
      assert.is_false(ok)
      assert.equals(2, code)
      assert.matches("usage:", out)
      ok, code, out = cli("frobnicate")
      assert.is_false(ok)
      assert.equals(2, code)
      assert.matches("unknown command 'frobnicate'", out)
   end)

   it("runs from another directory through its own path", function()
      local ok, _, out = helpers.run("cd /tmp && " .. helpers.lua .. " "
         .. os.getenv("PWD") .. "/bin/moontls version")
      assert.is_true(ok, out)
      assert.equals(moontls._VERSION .. "\n", out)
   end)
end)
