-- docs/file.md: every Lua example runs (after the setup block) and prints what its
-- "--> " comments say (comments with "..." are left unchecked).
local helpers = require "helpers"

local function read(path)
   local f = assert(io.open(path))
   local s = f:read("a")
   f:close()
   return s
end

local blocks = {}
for code in read("docs/file.md"):gmatch("```lua\n(.-)```") do blocks[#blocks + 1] = code end
local setup = table.remove(blocks, 1)

describe("docs/file.md examples", function()
   it("has a setup block and examples", function()
      assert.matches("^%-%- setup", setup)
      assert.is_true(#blocks >= 7)
   end)

   for i, code in ipairs(blocks) do
      local title = code:match("^[^\n]*")
      it(("example %d runs (%s)"):format(i, title), function()
         local path = os.tmpname()
         local f = assert(io.open(path, "w"))
         f:write(("package.path = %q\npackage.cpath = %q\n"):format(package.path,
            package.cpath), setup, "\n", code)
         f:close()
         local ok, _, out = helpers.run(("timeout 30 %s %s"):format(helpers.lua or "lua5.4",
            path))
         os.remove(path)
         assert(ok, out)
         local flat = out:gsub("\t", " ")
         for want in code:gmatch("%-%-> ([^\n]*)") do
            if not want:find("...", 1, true) then
               assert.is_truthy(flat:find(want, 1, true), "missing '" .. want .. "' in:\n" .. out)
            end
         end
      end)
   end
end)
