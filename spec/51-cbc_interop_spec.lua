-- CBC cipher suites (RFC 5246 6.2.3.2) with and without encrypt_then_mac (RFC 7366) against
-- OpenSSL, both directions, ECDSA and RSA certificates:
--   moontls client -> openssl s_server -tls1_2 -www [-no_etm]  (the page names the cipher)
--   openssl s_client [-no_etm] -> moontls server (spec/support/tls_server.lua, echo)
-- Every peer process runs under `timeout`, listens on 127.0.0.1 only and is killed by its pid
-- when the spec ends.
local helpers = require "helpers"
local socket = require "socket"
local tls = require "moontls"

local SUITES = {
   { "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", "ec", "0xC0,0x09" },
   { "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA", "ec", "0xC0,0x0A" },
   { "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256", "ec", "0xC0,0x23" },
   { "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384", "ec", "0xC0,0x24" },
   { "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-ECDSA-CAMELLIA128-SHA256", "ec",
      "0xC0,0x72" },
   { "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-ECDSA-CAMELLIA256-SHA384", "ec",
      "0xC0,0x73" },
   { "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", "rsa", "0xC0,0x13" },
   { "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA", "rsa", "0xC0,0x14" },
   { "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256", "rsa", "0xC0,0x27" },
   { "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "ECDHE-RSA-AES256-SHA384", "rsa", "0xC0,0x28" },
   { "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", "ECDHE-RSA-CAMELLIA128-SHA256", "rsa",
      "0xC0,0x76" },
   { "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", "ECDHE-RSA-CAMELLIA256-SHA384", "rsa",
      "0xC0,0x77" },
}

local function has_openssl()
   return helpers.run("command -v openssl")
end

-- The suites of SUITES that this OpenSSL offers (by IANA id in `openssl ciphers -V`).
local function offered()
   local ok, _, out = helpers.run("openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'")
   assert(ok, out)
   local t = {}
   for _, s in ipairs(SUITES) do
      if out:find(s[4], 1, true) then t[#t + 1] = s end
   end
   return t
end

-- Starts `cmd` in the background under timeout; returns its pid (the timeout process, which
-- passes a TERM on to the command).
local function spawn(cmd, log)
   local ok, _, out = helpers.run("timeout 25 " .. cmd .. " >'" .. log
      .. "' 2>&1 </dev/null & echo $!")
   assert(ok, out)
   return assert(tonumber(out:match("(%d+)%s*$")), out)
end

local function slurp(path)
   local f = io.open(path, "rb")
   if not f then return "" end
   local s = f:read("a")
   f:close()
   return s
end

-- Polls (at most 10 s) until f() returns a value.
local function wait_for(f, what)
   for _ = 1, 200 do
      local v = f()
      if v then return v end
      socket.sleep(0.05)
   end
   error("timed out waiting for " .. what)
end

local function alive(pid)
   return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
end

describe("CBC suites interoperate with OpenSSL", function()
   if not has_openssl() then
      pending("openssl not installed")
      return
   end
   local dir, pids, suites = nil, {}, offered()

   setup(function()
      dir = helpers.tmpdir()
      for _, k in ipairs {
         { "ec", "-newkey ec -pkeyopt ec_paramgen_curve:P-256" },
         { "rsa", "-newkey rsa:2048" },
      } do
         local ok, _, out = helpers.run(("openssl req -x509 %s -nodes -keyout %s/%s.key "
            .. "-out %s/%s.crt -subj /CN=localhost -days 2"):format(k[2], dir, k[1], dir, k[1]))
         assert(ok, out)
      end
   end)

   teardown(function()
      for _, pid in ipairs(pids) do
         os.execute("kill " .. pid .. " 2>/dev/null")
      end
      for _, pid in ipairs(pids) do
         wait_for(function() return not alive(pid) end, "peer " .. pid .. " to exit")
      end
      if dir then helpers.rmtree(dir) end
   end)

   it("OpenSSL offers every CBC suite moontls runs", function()
      -- the list below must not shrink silently; a smaller OpenSSL shows up here
      assert.are.equal(#SUITES, #suites)
   end)

   for _, etm in ipairs { true, false } do
      for _, kind in ipairs { "ec", "rsa" } do
         it(("moontls client -> openssl s_server, %s certificate, EtM %s"):format(kind,
            etm and "on" or "off"), function()
            local mine = {}
            for _, s in ipairs(suites) do
               if s[3] == kind then mine[#mine + 1] = s end
            end
            local names = {}
            for i, s in ipairs(mine) do names[i] = s[2] end
            local log = ("%s/s_server-%s-%s.log"):format(dir, kind, tostring(etm))
            assert.is_true(#mine > 0)
            local pid = spawn(("openssl s_server -accept 127.0.0.1:0 -tls1_2 -cipher %s "
               .. "-cert %s/%s.crt -key %s/%s.key -www -naccept %d -tlsextdebug %s"):format(
               table.concat(names, ":"), dir, kind, dir, kind, #mine, etm and "" or "-no_etm"), log)
            pids[#pids + 1] = pid
            local port = wait_for(function()
               return slurp(log):match("ACCEPT 127%.0%.0%.1:(%d+)")
            end, "s_server to listen")
            for _, s in ipairs(mine) do
               local ctx = assert(tls.context {
                  mode = "client", verify = "none", ciphers = { s[1] } })
               local f, err = tls.connect("127.0.0.1", tonumber(port),
                  { context = ctx, server_name = "localhost", timeout = 5 })
               assert(f, s[1] .. ": " .. tostring(err))
               local info = f:info()
               assert.are.equal(s[1], info.cipher)
               assert.are.equal("TLSv1.2", info.version)
               assert.are.equal(etm, info.etm)
               assert(f:send("GET / HTTP/1.0\r\n\r\n"))
               local page = f:receive("*a")
               f:close()
               assert.is_truthy(page)
               -- s_server -www names the cipher it runs: both ends agree
               assert.are.equal(s[2], page:match("Cipher is (%S+)"))
            end
            -- moontls offered encrypt_then_mac with its CBC suite (RFC 7366 2)
            assert.is_truthy(slurp(log):find('"encrypt-then-mac" (id=22)', 1, true))
         end)

         it(("openssl s_client -> moontls server, %s certificate, EtM %s"):format(kind,
            etm and "on" or "off"), function()
            local mine = {}
            for _, s in ipairs(suites) do
               if s[3] == kind then mine[#mine + 1] = s end
            end
            assert.is_true(#mine > 0)
            local iana = {}
            for i, s in ipairs(mine) do iana[i] = s[1] end
            local log = ("%s/moontls-%s-%s.log"):format(dir, kind, tostring(etm))
            local portfile = ("%s/port-%s-%s"):format(dir, kind, tostring(etm))
            local pid = spawn(("%s spec/support/tls_server.lua %s %s/%s.crt %s/%s.key %d echo %s")
               :format(helpers.lua, portfile, dir, kind, dir, kind, #mine, table.concat(iana, ",")),
               log)
            pids[#pids + 1] = pid
            local port = wait_for(function()
               local p = slurp(portfile)
               return p ~= "" and p or nil
            end, "the moontls server to listen")
            for _, s in ipairs(mine) do
               local line = "ping-" .. s[2]
               local ok, _, out = helpers.run(("printf '%s\\nquit\\n' | timeout 10 openssl "
                  .. "s_client -connect 127.0.0.1:%s -tls1_2 -cipher %s -servername localhost "
                  .. "-tlsextdebug -ign_eof %s"):format(line, port, s[2], etm and "" or "-no_etm"))
               assert(ok, out)
               assert.is_truthy(out:find("Cipher is " .. s[2], 1, true), out)
               -- the echo came back through both directions of CBC protection
               assert.is_truthy(out:find("\n" .. line .. "\n", 1, true), out)
               -- moontls answers encrypt_then_mac exactly when it was offered (RFC 7366 3)
               local echoed = out:find('"encrypt-then-mac" (id=22)', 1, true) ~= nil
               assert.are.equal(etm, echoed)
            end
            wait_for(function() return not alive(pid) end, "the moontls server to exit")
            local n = 0
            for num, cipher in slurp(log):gmatch("conn (%d+) ok TLSv1%.2 (%S+)") do
               n = n + 1
               assert.are.equal(mine[tonumber(num)][1], cipher)
            end
            assert.are.equal(#mine, n)
         end)
      end
   end
end)
