-- Loading Wycheproof vector files (../shared/testdata/wycheproof, read-only).
local json = require "dkjson"

local wycheproof = {}

wycheproof.dir = require("helpers").testdata("wycheproof")

function wycheproof.load(name)
   local f = assert(io.open(wycheproof.dir .. "/" .. name))
   local text = f:read("a")
   f:close()
   local doc, _, err = json.decode(text)
   assert(doc, err)
   return doc
end

function wycheproof.unhex(s)
   return (s:gsub("%x%x", function(h) return string.char(tonumber(h, 16)) end))
end

function wycheproof.hex(s)
   return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

--- Calls fn(group, test) for every vector; returns a table of counts by result.
function wycheproof.each(doc, fn)
   local counts = { total = 0 }
   for _, g in ipairs(doc.testGroups) do
      for _, t in ipairs(g.tests) do
         counts.total = counts.total + 1
         counts[t.result] = (counts[t.result] or 0) + 1
         fn(g, t)
      end
   end
   return counts
end

return wycheproof
