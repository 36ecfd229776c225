-- TLS 1.2 client certificates against real peers (RFC 5246 7.4.4, 7.4.6, 7.4.8):
--   moontls server (spec/support/tls_server.lua) <- openssl s_client [-cert -key]
--   moontls client with a certificate -> openssl s_server -Verify/-verify [-verify_return_error]
--   moontls client -> moontls server
-- Certificates are made with openssl in a temporary directory. Every peer runs on 127.0.0.1
-- under `timeout`, every wait is bounded, and every process is gone when a test ends.
local helpers = require "helpers"
local socket = require "socket"
local tls = require "moontls"

local function have_openssl()
   return (helpers.run("openssl version"))
end

describe("client certificates (TLS 1.2)", function()
   local dir
   local spawned = {}

   local function sh(cmd)
      local ok, _, out = helpers.run(cmd)
      assert(ok, cmd .. "\n" .. out)
      return out
   end

   local function write(name, text)
      local f = assert(io.open(dir .. "/" .. name, "w"))
      f:write(text)
      f:close()
   end

   local function read(path)
      local f = io.open(path, "rb")
      if not f then return "" end
      local s = f:read("a")
      f:close()
      return s
   end

   -- key options for openssl -newkey
   local KEYS = { ec = "ec -pkeyopt ec_paramgen_curve:P-256", rsa = "rsa:2048", ed = "ed25519" }

   -- name.pem / name.key signed by `ca` with the extensions in `ext`.
   local function issue(name, cn, keytype, ca, ext)
      write(name .. ".ext", ext)
      sh(("cd %s && openssl req -new -newkey %s -nodes -keyout %s.key -out %s.csr -subj '/CN=%s'")
         :format(dir, KEYS[keytype], name, name, cn))
      sh(("cd %s && openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key -set_serial %d "
         .. "-days 2 -out %s.pem -extfile %s.ext"):format(dir, name, ca, ca, math.random(1, 1e9),
         name, name))
   end

   local function make_ca(name, cn)
      sh(("cd %s && openssl req -x509 -newkey %s -nodes -keyout %s.key -out %s.pem -days 2 "
         .. "-subj '/CN=%s' -addext basicConstraints=critical,CA:TRUE "
         .. "-addext keyUsage=critical,keyCertSign,cRLSign"):format(dir, KEYS.ec, name, name, cn))
   end

   local CLIENT_EXT = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
      .. "extendedKeyUsage=clientAuth\n"
   local SERVER_EXT = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
      .. "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n"

   setup(function()
      dir = helpers.tmpdir()
      if not have_openssl() then return end
      make_ca("ca", "moontls test CA")
      make_ca("other", "another CA")
      issue("server", "localhost", "ec", "ca", SERVER_EXT)
      issue("client", "ec client", "ec", "ca", CLIENT_EXT)
      issue("rsaclient", "rsa client", "rsa", "ca", CLIENT_EXT)
      issue("edclient", "ed25519 client", "ed", "ca", CLIENT_EXT)
      issue("rogue", "rogue client", "ec", "other", CLIENT_EXT)
   end)

   -- Whether pid still runs (a zombie waiting for its new parent to reap it does not).
   local function alive(pid)
      local stat = read("/proc/" .. pid .. "/stat")
      return stat ~= "" and not stat:match("^%d+ %b() Z")
   end

   -- Waits up to `secs` for pid to end; kills it (SIGTERM, then SIGKILL) if it does not.
   local function reap(pid, secs)
      local due = socket.gettime() + secs
      while socket.gettime() < due do
         if not alive(pid) then return true end
         socket.sleep(0.05)
      end
      if alive(pid) then os.execute("kill " .. pid .. " 2>/dev/null") end
      socket.sleep(0.2)
      if alive(pid) then os.execute("kill -9 " .. pid .. " 2>/dev/null") end
      return false
   end

   after_each(function()
      for _, pid in ipairs(spawned) do reap(pid, 5) end
      spawned = {}
   end)

   teardown(function()
      for _, pid in ipairs(spawned) do reap(pid, 0) end
      if dir then helpers.rmtree(dir) end
   end)

   -- Starts `cmd` in the background under timeout, output to `out`; returns its pid.
   local function spawn(cmd, out)
      local p = assert(io.popen(("timeout 30 %s >%s 2>&1 </dev/null & echo $!"):format(cmd, out)))
      local pid = p:read("l")
      p:close()
      assert(pid and pid:match("^%d+$"), "could not start " .. cmd)
      spawned[#spawned + 1] = pid
      return pid
   end

   -- Polls until f() returns a value, at most 10 s.
   local function wait_for(f, what)
      local due = socket.gettime() + 10
      while socket.gettime() < due do
         local v = f()
         if v then return v end
         socket.sleep(0.05)
      end
      error("timed out waiting for " .. what)
   end

   local n = 0

   -- A moontls server for one connection with `verify`; returns port, pid, output path.
   local function moontls_server(verify)
      n = n + 1
      local portfile, out = dir .. "/port" .. n, dir .. "/srv" .. n .. ".out"
      local pid = spawn(("%s spec/support/tls_server.lua %s %s/server.pem %s/server.key 1 echo - - "
         .. "%s %s/ca.pem"):format(helpers.lua, portfile, dir, dir, verify, dir), out)
      local port = wait_for(function() return tonumber(read(portfile)) end, "the moontls server")
      return port, pid, out
   end

   -- The moontls server's line for its connection, once it has exited.
   local function server_result(pid, out)
      assert(reap(pid, 10), "the moontls server did not exit")
      return read(out)
   end

   -- openssl s_client with `cert` (a name in dir, or nil); returns its output.
   local function s_client(port, cert)
      local certopts = cert and ("-cert %s/%s.pem -key %s/%s.key"):format(dir, cert, dir, cert)
         or ""
      local _, _, out = helpers.run(("printf 'hello\\nquit\\n' | timeout 15 openssl s_client "
         .. "-connect 127.0.0.1:%d -servername localhost -tls1_2 -CAfile %s/ca.pem "
         .. "-verify_return_error %s"):format(port, dir, certopts))
      return out
   end

   describe("moontls server, openssl s_client", function()
      it("require + EC client certificate: verified, visible to the application", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port, pid, out = moontls_server("require")
         local client = s_client(port, "client")
         local got = server_result(pid, out)
         assert.matches("conn 1 ok TLSv1.2 .* peer=CN=ec client", got)
         assert.matches("Verify return code: 0", client)
      end)

      it("require + RSA client certificate", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port, pid, out = moontls_server("require")
         s_client(port, "rsaclient")
         assert.matches("conn 1 ok .* peer=CN=rsa client", server_result(pid, out))
      end)

      it("require + Ed25519 client certificate (CertificateVerify over the whole transcript)",
         function()
            if not have_openssl() then return pending("openssl not installed") end
            local port, pid, out = moontls_server("require")
            s_client(port, "edclient")
            assert.matches("conn 1 ok .* peer=CN=ed25519 client", server_result(pid, out))
         end)

      it("require + no certificate: handshake_failure", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port, pid, out = moontls_server("require")
         local client = s_client(port, nil)
         local got = server_result(pid, out)
         assert.matches("conn 1 fail the client sent no certificate", got)
         assert.matches("alert handshake failure", client)
      end)

      it("optional + no certificate: connected without a peer certificate", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port, pid, out = moontls_server("optional")
         s_client(port, nil)
         assert.matches("conn 1 ok TLSv1.2 .* peer=%-", server_result(pid, out))
      end)

      it("optional + a certificate from another CA: refused (unknown_ca)", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port, pid, out = moontls_server("optional")
         local client = s_client(port, "rogue")
         assert.matches("conn 1 fail certificate verify failed", server_result(pid, out))
         assert.matches("alert unknown ca", client)
      end)

      it("require + a server-only certificate (no clientAuth): refused", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port, pid, out = moontls_server("require")
         s_client(port, "server")
         assert.matches("conn 1 fail certificate verify failed: unsuitable certificate purpose",
            server_result(pid, out))
      end)
   end)

   describe("moontls client, openssl s_server", function()
      -- s_server for one connection with `flags`; returns its port and output path.
      local function s_server(flags)
         n = n + 1
         local out = dir .. "/ossl" .. n .. ".out"
         spawn(("openssl s_server -accept 127.0.0.1:0 -naccept 1 -www -tls1_2 -cert %s/server.pem "
            .. "-key %s/server.key -CAfile %s/ca.pem %s"):format(dir, dir, dir, flags), out)
         local port = wait_for(function()
            return tonumber(read(out):match("ACCEPT 127%.0%.0%.1:(%d+)"))
         end, "openssl s_server")
         return port
      end

      -- Connects with client certificate `cert` (or none) and fetches the -www page.
      local function fetch(port, cert)
         local ctx = assert(tls.context { mode = "client", cafile = dir .. "/ca.pem",
            certificate = cert and dir .. "/" .. cert .. ".pem" or nil,
            key = cert and dir .. "/" .. cert .. ".key" or nil })
         local f, err = tls.connect("127.0.0.1", port, { context = ctx, server_name = "localhost",
            timeout = 10 })
         if not f then return nil, err end
         assert(f:send("GET / HTTP/1.0\r\n\r\n"))
         local page, rerr, partial = f:receive("*a")
         f:close()
         return page or partial, rerr
      end

      for _, row in ipairs {
         { cert = "client", cn = "ec client" },
         { cert = "rsaclient", cn = "rsa client" },
         { cert = "edclient", cn = "ed25519 client" },
      } do
         it("-Verify 1 -verify_return_error + " .. row.cert .. ": the server sees it", function()
            if not have_openssl() then return pending("openssl not installed") end
            local port = s_server("-Verify 1 -verify_return_error")
            local page, err = fetch(port, row.cert)
            assert.is_truthy(page, err)
            assert.matches("Client certificate", page)
            assert.matches("CN *= *" .. row.cn, page)
         end)
      end

      it("-Verify 1 without a certificate: the handshake fails", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port = s_server("-Verify 1")
         local page, err = fetch(port, nil)
         assert.is_nil(page)
         assert.matches("handshake_failure alert received", err)
      end)

      it("-Verify 1 -verify_return_error + a certificate from another CA: refused", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port = s_server("-Verify 1 -verify_return_error")
         local page, err = fetch(port, "rogue")
         assert.is_nil(page)
         assert.matches("alert received", err)
      end)

      it("-verify 1 (optional) without a certificate: connected", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port = s_server("-verify 1")
         local page, err = fetch(port, nil)
         assert.is_truthy(page, err)
         assert.matches("no client certificate available", page)
      end)
   end)

   describe("moontls client, moontls server", function()
      it("require: the client's certificate reaches the server's application", function()
         if not have_openssl() then return pending("openssl not installed") end
         local port, pid, out = moontls_server("require")
         local ctx = assert(tls.context { mode = "client", cafile = dir .. "/ca.pem",
            certificate = dir .. "/edclient.pem", key = dir .. "/edclient.key" })
         local f = assert(tls.connect("127.0.0.1", port, { context = ctx,
            server_name = "localhost", timeout = 10 }))
         assert(f:send("ping\n"))
         assert.equal("ping", f:receive("*l"))
         assert(f:send("quit\n"))
         f:close()
         assert.matches("conn 1 ok .* peer=CN=ed25519 client", server_result(pid, out))
      end)
   end)

   describe("context options", function()
      it("server verify modes need cafile; bad modes raise", function()
         local pem = "-----BEGIN CERTIFICATE-----\n"
         assert.error_matches(function()
            tls.context { mode = "server", certificate = pem, key = pem, verify = "require" }
         end, "needs cafile")
         assert.error_matches(function()
            tls.context { mode = "server", certificate = pem, key = pem, verify = "peer" }
         end, "'none', 'optional' or 'require' for a server")
         assert.error_matches(function() tls.context { mode = "client", verify = "require" } end,
            "'peer' or 'none' for a client")
      end)
   end)
end)
