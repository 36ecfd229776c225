-- x509-limbo (C2SP): every case of the shared limbo.json through moontls.x509.verify.
-- Cases we do not implement are listed with a reason in spec/limbo-exceptions.lua;
-- any other mismatch fails. The goals (every cve::, pathological::, pathlen:: and
-- rfc5280::validity:: case passes; >= 95 % of the rest that applies) are asserted.
local json = require "dkjson"
local x509 = require "moontls.x509"
local exceptions = require "limbo-exceptions"

local LIMBO = require("helpers").testdata("x509-limbo/limbo.json")

local function read(path)
   local f = assert(io.open(path, "rb"))
   local s = f:read("a")
   f:close()
   return s
end

-- "2024-01-01T00:00:00+00:00" / "...Z" / fractional seconds -> Unix time (floor).
local function iso_time(s)
   local y, mo, d, h, mi, sec, rest = s:match("^(%d+)-(%d+)-(%d+)T(%d+):(%d+):(%d+)(.*)$")
   assert(y, "bad time " .. s)
   y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
   -- days from civil (proleptic Gregorian), Howard Hinnant's algorithm
   if mo <= 2 then y = y - 1 end
   local era = (y >= 0 and y or y - 399) // 400
   local yoe = y - era * 400
   local mp = (mo + 9) % 12
   local doy = (153 * mp + 2) // 5 + d - 1
   local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
   local days = era * 146097 + doe - 719468
   local t = days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec)
   local sign, oh, om = rest:match("([%+%-])(%d%d):(%d%d)$")
   if sign then
      local off = tonumber(oh) * 3600 + tonumber(om) * 60
      t = sign == "+" and t - off or t + off
   end
   return t
end

local function load_one(pem)
   local list, err = x509.load(pem)
   if not list then return nil, err end
   return list[1]
end

-- Runs one case; returns "SUCCESS" or "FAILURE" and the reason.
local function run_case(tc)
   local leaf, err = load_one(tc.peer_certificate)
   if not leaf then return "FAILURE", "leaf: " .. tostring(err) end
   local chain = { leaf }
   for _, pem in ipairs(tc.untrusted_intermediates) do
      local c = load_one(pem)
      if c then chain[#chain + 1] = c end   -- an unparsable intermediate is never used
   end
   local store = assert(x509.store())
   for _, pem in ipairs(tc.trusted_certs) do
      store:add(pem)                          -- anchors are parsed lazily, when needed
   end
   local purpose = tc.validation_kind == "CLIENT" and "client" or "server"
   for _, eku in ipairs(tc.extended_key_usage) do
      if eku == "clientAuth" then purpose = "client" elseif eku == "serverAuth" then
         purpose = "server"
      end
   end
   local opts = {
      store = store,
      time = tc.validation_time and iso_time(tc.validation_time) or os.time(),
      purpose = purpose,
      max_depth = tc.max_chain_depth ~= json.null and tc.max_chain_depth or nil,
      -- limbo follows RFC 9525 (no CN fallback) and the RFC 5280 profile rules
      cn_fallback = false,
      strict = true,
   }
   local name = tc.expected_peer_name
   if name and name ~= json.null then
      if name.kind == "DNS" then
         opts.host = name.value
      elseif name.kind == "IP" then
         opts.ip = name.value
      end
   end
   local ok, reason, depth = x509.verify(chain, opts)
   if ok then return "SUCCESS" end
   return "FAILURE", ("%s (depth %s)"):format(reason, tostring(depth))
end

local function category(id)
   local a, b = id:match("^([^:]+)::([^:]+)")
   if a == "rfc5280" and b == "validity" then return "rfc5280::validity" end
   return a
end

describe("x509-limbo", function()
   local doc = assert(json.decode(read(LIMBO)))
   local cases = doc.testcases

   it("has the 208 cases of the shared copy and every exception names one", function()
      assert.equals(208, #cases)
      local ids = {}
      for _, tc in ipairs(cases) do ids[tc.id] = true end
      for id, reason in pairs(exceptions) do
         assert.is_true(ids[id] ~= nil, "exception for unknown case " .. id)
         assert.is_string(reason)
      end
   end)

   it("matches the expected result of every case not excepted", function()
      local stats, mismatches = {}, {}
      local run, passed = 0, 0
      for _, tc in ipairs(cases) do
         local cat = category(tc.id)
         stats[cat] = stats[cat] or { pass = 0, total = 0, excepted = 0 }
         local st = stats[cat]
         if exceptions[tc.id] then
            st.excepted = st.excepted + 1
         else
            local got, why = run_case(tc)
            st.total = st.total + 1
            run = run + 1
            if got == tc.expected_result then
               st.pass = st.pass + 1
               passed = passed + 1
            else
               mismatches[#mismatches + 1] = ("%s: expected %s, got %s %s"):format(
                  tc.id, tc.expected_result, got, why or "")
            end
         end
      end
      local cats = {}
      for k in pairs(stats) do cats[#cats + 1] = k end
      table.sort(cats)
      for _, k in ipairs(cats) do
         local st = stats[k]
         print(("# limbo %-20s %3d/%3d passed, %d excepted"):format(k, st.pass, st.total,
            st.excepted))
      end
      print(("# limbo total %d/%d passed (%.1f %%), %d excepted"):format(passed, run,
         100 * passed / run, #cases - run))
      for _, m in ipairs(mismatches) do print("# mismatch " .. m) end
      -- goals: these categories pass entirely and none of their cases is excepted
      for _, k in ipairs({ "cve", "pathological", "pathlen", "rfc5280::validity" }) do
         assert.equals(0, stats[k].excepted, k .. " cases must not be excepted")
         assert.equals(stats[k].total, stats[k].pass, k .. " must pass entirely")
      end
      assert.is_true(passed / run >= 0.95, "pass rate below 95 %")
      assert.same({}, mismatches)
   end)
end)
