-- The moontls module: version and the random generator.
local moontls = require "moontls"
local core = require "moontls.core"

describe("moontls module", function()
   it("exposes a version string", function()
      assert.is_string(moontls._VERSION)
      assert.matches("^moontls %d+%.%d+%.%d+$", moontls._VERSION)
      assert.equals("moontls " .. core._VERSION, moontls._VERSION)
   end)

   it("loads the C core from the build under test", function()
      local path = package.searchpath("moontls.core", package.cpath)
      assert.is_string(path)
      assert.equals((os.getenv("MOONTLS_BUILD") or "build") .. "/moontls/core.so", path)
   end)
end)

describe("moontls.random", function()
   it("returns exactly n bytes", function()
      for _, n in ipairs { 0, 1, 2, 31, 32, 33, 64, 1000, 65536 } do
         local s = moontls.random(n)
         assert.is_string(s)
         assert.equals(n, #s)
      end
   end)

   it("never repeats itself", function()
      local seen = {}
      for _ = 1, 1000 do
         local s = moontls.random(16)
         assert.is_nil(seen[s])
         seen[s] = true
      end
   end)

   it("has every byte value roughly equally often", function()
      local s = moontls.random(256 * 1024)
      local count = {}
      for i = 1, #s do
         local b = s:byte(i)
         count[b] = (count[b] or 0) + 1
      end
      -- expected 1024 each, standard deviation 32: [800, 1250] is 7 sigma wide
      for b = 0, 255 do
         assert.is_true(count[b] ~= nil and count[b] > 800 and count[b] < 1250,
            "byte " .. b .. " seen " .. tostring(count[b]) .. " times")
      end
   end)

   it("rejects bad sizes with an argument error", function()
      assert.has_error(function() moontls.random(-1) end,
         "bad argument #1 to 'random' (byte count must be between 0 and 16777216)")
      assert.has_error(function() moontls.random(16 * 1024 * 1024 + 1) end)
      assert.has_error(function() moontls.random("many") end)
      assert.has_error(function() moontls.random(1.5) end)
      assert.has_error(function() moontls.random() end)
   end)
end)

describe("the error table", function()
   it("names every error with a message and the alert it sends", function()
      local errors = core.errors()
      assert.equals("malformed message", errors.decode_error.message)
      assert.equals("decode_error", errors.decode_error.alert)
      assert.equals("decode_error", errors.truncated.alert)
      assert.equals("bad_record_mac", errors.bad_record_mac.alert)
      assert.is_nil(errors.wantread.alert)
      local n = 0
      for name, e in pairs(errors) do
         n = n + 1
         assert.matches("^[a-z][a-z0-9_]+$", name)
         assert.is_string(e.message)
      end
      assert.is_true(n >= 30)
   end)
end)
