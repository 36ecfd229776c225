-- examples/*.lua run as documented, against local servers (bin/moontls server, the example
-- servers themselves) and openssl s_client.
local helpers = require "helpers"
local peers = require "support.peers"
local certs = require "support.certs"
local socket = require "socket"

local pki = certs.get()

-- Starts a long-running command printing "... on|listening on 127.0.0.1:PORT".
local function start(cmd)
   return helpers.start(cmd, helpers.port_on_stdout)
end

teardown(helpers.stop_all)

local function moontls_server(args)
   return start(helpers.lua .. " bin/moontls server --port 0 " .. args)
end

-- N clients at once on moontls.loop, each sending a line and reading it back.
local function many_clients(port, n)
   local tls = require "moontls"
   local loop = require "moontls.loop"
   local lp = loop.new()
   local cctx = assert(tls.context { mode = "client", cafile = pki.cafile })
   local ok = 0
   for i = 1, n do
      lp:spawn(function()
         local f = assert(tls.connect("127.0.0.1", port, { context = cctx,
            server_name = "localhost", timeout = 20 }))
         f:send("line " .. i .. "\n")
         if f:receive("*l") == "line " .. i then ok = ok + 1 end
         f:close()
      end)
   end
   assert(lp:run())
   lp:close()
   return ok
end

-- Waits (at most 20 s) for a started example to exit; returns whether it did.
local function exited(h)
   for _ = 1, 400 do
      if not os.execute("kill -0 " .. h.pid .. " 2>/dev/null") then return true end
      socket.sleep(0.05)
   end
   return false
end

describe("examples", function()
   for _, name in ipairs { "cqueues_server", "copas_server" } do
      it(name .. ".lua serves 50 concurrent connections", function()
         local srv = start(("%s examples/%s.lua %s %s 0 50"):format(helpers.lua, name,
            pki.ec.cert, pki.ec.key))
         assert.equal(50, many_clients(srv.port, 50))
         assert.is_true(exited(srv), srv.out() .. srv.err())
         assert.not_matches("failed", srv.out() .. srv.err())
      end)
   end

   it("https_get.lua fetches a page, verifying against CAFILE", function()
      local srv = moontls_server(("--cert %s --key %s"):format(pki.ec.cert, pki.ec.key))
      local ok, _, out = helpers.run(("%s examples/https_get.lua https://localhost:%d/x %s")
         :format(helpers.lua, srv.port, pki.cafile))
      assert.is_true(ok, out)
      assert.matches("TLSv1.3 TLS_AES_", out)
      assert.matches("request: GET /x HTTP/1.1", out)
      -- the system store does not know the test CA: a verification failure, status 1
      local bad, code, bout = helpers.run(("%s examples/https_get.lua https://localhost:%d/")
         :format(helpers.lua, srv.port))
      assert.is_false(bad)
      assert.equals(1, code)
      assert.matches("certificate verify failed", bout)
   end)

   it("echo_server.lua echoes lines to openssl s_client", function()
      local srv = start(("%s examples/echo_server.lua %s %s 0"):format(helpers.lua, pki.rsa.cert,
         pki.rsa.key))
      local r = peers.openssl_client { port = srv.port, args = { "-quiet" },
         input = "hello echo\n", expect = "hello echo\n" }
      assert.matches("hello echo\n", r.stdout)
   end)

   it("session_reuse.lua resumes its second and third connections", function()
      -- session ids: TLS 1.2 resumption (TLS 1.3 resumption is not there yet)
      local srv = moontls_server(("--echo --cert %s --key %s --max-version tls1.2"):format(
         pki.ec.cert, pki.ec.key))
      local ok, _, out = helpers.run(("%s examples/session_reuse.lua localhost %d %s")
         :format(helpers.lua, srv.port, pki.cafile))
      assert.is_true(ok, out)
      local r = {}
      for v in out:gmatch("resumed: (%a+)") do r[#r + 1] = v end
      assert.same({ "false", "true", "true" }, r)
   end)

   it("sni_hooks.lua loads a certificate for a name on first use", function()
      local dir = helpers.tmpdir()
      assert(os.execute(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
         .. "-keyout %s/shop.example.key -out %s/shop.example.pem -days 2 "
         .. "-subj /CN=shop.example 2>/dev/null"):format(dir, dir)))
      local srv = start(("%s examples/sni_hooks.lua %s %s %s 0"):format(helpers.lua,
         pki.ec.cert, pki.ec.key, dir))
      local r = peers.openssl_client { port = srv.port, servername = "shop.example",
         args = { "-tls1_2" }, input = "", expect = "hello shop.example" }
      helpers.rmtree(dir)
      assert.matches("subject=CN = shop.example", r.stdout)
      assert.matches("hello shop.example", r.stdout)
   end)
end)
