-- The class skeleton: moontls.Context, moontls.Session, moontls.File, moontls.Poller share one
-- life cycle -- created closed, initialised, closed by close/__close/__gc.
local core = require "moontls.core"

local classes = {
   { name = "moontls.Context", new = function() return core.context_new("server") end,
     method = "mode" },
   { name = "moontls.Session", new = core.session_new, method = "time" },
   { name = "moontls.File", new = function() return core.file_new(core.context_new("client")) end,
     method = "dirty" },
   -- the poll backend: 2000 of them below hold no fd until collected
   { name = "moontls.Poller", new = function() return core.poller_new("poll") end,
     method = "count" },
}

for _, c in ipairs(classes) do
   describe(c.name, function()
      it("has the metatable named " .. c.name, function()
         local o = c.new()
         assert.equals(c.name, getmetatable(o).__name)
         assert.equals(getmetatable(o), debug.getregistry()[c.name])
      end)

      it("describes itself without secrets", function()
         local o = c.new()
         local s = tostring(o)
         assert.matches("^" .. c.name:gsub("%.", "%%.") .. "[ :(]", s)
         o:close()
         assert.equals(c.name .. " (closed)", tostring(o))
      end)

      it("closes idempotently and then refuses use with a clear error", function()
         local o = c.new()
         assert.is_false(o:closed())
         assert.has_no_error(function() return o[c.method](o) end)
         o:close()
         o:close()
         assert.is_true(o:closed())
         assert.has_error(function() return o[c.method](o) end,
            "attempt to use a closed " .. c.name)
      end)

      it("closes on leaving a <close> scope", function()
         local kept
         do
            local o <close> = c.new()
            kept = o
            assert.is_false(kept:closed())
         end
         assert.is_true(kept:closed())
      end)

      it("is collected safely whether open or closed", function()
         for i = 1, 2000 do
            local o = c.new()
            if i % 2 == 0 then o:close() end
         end
         collectgarbage()
         collectgarbage()
         assert.is_true(collectgarbage("count") < 64 * 1024)
      end)

      it("rejects objects of another class", function()
         local other = c.name == "moontls.File" and core.session_new()
            or core.file_new(core.context_new("client"))
         assert.has_error(function() return c.new()[c.method](other) end)
         assert.has_error(function() return c.new().close({}) end)
      end)
   end)
end

describe("moontls.Context skeleton", function()
   it("keeps its mode", function()
      assert.equals("client", core.context_new("client"):mode())
      assert.equals("server", core.context_new("server"):mode())
   end)

   it("rejects an unknown mode", function()
      assert.has_error(function() core.context_new("proxy") end)
      assert.has_error(function() core.context_new() end)
   end)
end)

describe("moontls.Session skeleton", function()
   it("records its creation time", function()
      local before = os.time()
      local t = core.session_new():time()
      assert.is_true(t >= before and t <= os.time())
   end)
end)
