-- bin/moontls server and client: the --www page fetched by curl, openssl s_client, python's
-- ssl and our own client; --echo relayed through the client; --reconnect resuming; certificate
-- verification and the exit statuses a script relies on.
local helpers = require "helpers"
local peers = require "support.peers"
local certs = require "support.certs"
local socket = require "socket"

local pki = certs.get()
local slurp = helpers.slurp

-- Starts `moontls server ARGS --port 0`; h.log() is its stderr (a line per connection).
local function server(args)
   local h = helpers.start(helpers.lua .. " bin/moontls server --port 0 " .. args,
      helpers.port_on_stdout)
   h.log = h.err
   return h
end

-- Runs `moontls client ARGS` with `input` on stdin; returns ok, code, stdout, stderr.
local function client(args, input)
   local dir = helpers.tmpdir()
   local f = assert(io.open(dir .. "/in", "w"))
   f:write(input or "")
   f:close()
   local ok, code = helpers.run(("timeout 30 %s bin/moontls client %s <%s/in >%s/out 2>%s/err")
      :format(helpers.lua, args, dir, dir, dir))
   local out, err = slurp(dir .. "/out"), slurp(dir .. "/err")
   helpers.rmtree(dir)
   return ok, code, out, err
end

teardown(helpers.stop_all)

local GET = "GET / HTTP/1.0\r\n\r\n"

describe("moontls server --www", function()
   it("serves its page to curl, openssl s_client and python's ssl", function()
      local srv = server("--www --alpn http/1.1 --max-version tls1.2")
      local c = peers.curl { port = srv.port, insecure = true }
      assert.is_true(c.ok, c.stderr)
      assert.matches("version: TLSv1.2", c.stdout)
      assert.matches("alpn: http/1.1", c.stdout)
      local o = peers.openssl_client { port = srv.port, args = { "-quiet" }, input = GET,
         expect = "</html>" }
      assert.matches("cipher: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", o.stdout)
      local py = peers.python_client { port = srv.port, insecure = true, input = GET,
         script_args = { "--until", "</html>" } }
      assert.equals("TLSv1.2", py.info.version, py.stdout .. py.stderr)
      assert.matches("request: GET / HTTP/1.0", py.data)
   end)

   it("serves connections concurrently: idle clients do not hold up curl", function()
      local srv = server("--www --timeout 20")
      -- three clients that connect, handshake and then say nothing
      local idle = {}
      for i = 1, 3 do
         idle[i] = assert(require("moontls").connect("127.0.0.1", srv.port,
            { context = assert(require("moontls").context { mode = "client", verify = "none" }),
               timeout = 5 }))
      end
      local t0 = socket.gettime()
      local c = peers.curl { port = srv.port, insecure = true, timeout = 5 }
      local took = socket.gettime() - t0
      for _, f in ipairs(idle) do f:close() end
      assert.is_true(c.ok, c.stderr)
      assert.matches("version: TLSv1%.[23]", c.stdout)
      assert.is_true(took < 4, ("curl took %.1f s"):format(took))
   end)

   it("serves the configured certificate and verifies for our client with --cafile", function()
      local srv = server(("--cert %s --key %s"):format(pki.ec.cert, pki.ec.key))
      local ok, code, out, err = client(("127.0.0.1:%d --servername localhost --cafile %s")
         :format(srv.port, pki.cafile), GET)
      assert.is_true(ok, err)
      assert.equals(0, code)
      assert.matches("verify: ok", err)
      assert.matches("sni: localhost", err)
      assert.matches("HTTP/1.0 200 OK", out)
      assert.matches("sni: localhost", out)
   end)
end)

describe("moontls client", function()
   it("fails with status 1 on a certificate it cannot verify", function()
      local srv = server("")
      local ok, code, out, err = client(("127.0.0.1:%d"):format(srv.port), GET)
      assert.is_false(ok)
      assert.equals(1, code)
      assert.equals("", out)
      assert.matches("moontls client: .*certificate verify failed", err)
   end)

   it("relays stdin and stdout through an --echo server", function()
      local srv = server("--echo")
      local data = ("echo line %d\n"):rep(1000):gsub("%%d", "x")
      local ok, code, out, err = client(("127.0.0.1:%d --insecure --timeout 2"):format(srv.port),
         data)
      assert.is_true(ok, err)
      assert.equals(0, code)
      assert.equals(data, out)
      assert.matches("verify: skipped", err)
   end)

   it("resumes with --reconnect", function()
      local srv = server("--max-version tls1.2") -- session ids: TLS 1.2 resumption
      local ok, _, _, err = client(("127.0.0.1:%d --insecure --reconnect 2"):format(srv.port))
      assert.is_true(ok, err)
      local resumed = {}
      for v in err:gmatch("resumed: (%a+)") do resumed[#resumed + 1] = v end
      assert.same({ "no", "yes", "yes" }, resumed)
      assert.matches("resumed=yes", srv.log())
   end)

   it("talks to openssl s_server -www", function()
      local s = peers.openssl_server { cert = pki.rsa.cert, key = pki.rsa.key,
         args = { "-www", "-tls1_2" } }
      local ok, _, out, err = client(("127.0.0.1:%d --servername localhost --cafile %s")
         :format(s.port, pki.cafile), GET)
      assert.is_true(ok, err)
      assert.matches("cipher: TLS_ECDHE_RSA_WITH_AES_", err)
      assert.matches("Protocol  : TLSv1.2", out)
   end)

   it("exits 2 on usage errors", function()
      for _, args in ipairs { "", "nohostport", "127.0.0.1:99999", "h:1 --insecure --cafile x",
         "h:1 --bogus" } do
         local ok, code, _, err = client(args)
         assert.is_false(ok)
         assert.equals(2, code, args .. ": " .. err)
         assert.matches("moontls client: ", err)
      end
      local ok, code, _, err = helpers.run(helpers.lua .. " bin/moontls server --port x")
      assert.is_false(ok)
      assert.equals(2, code, err)
   end)
end)

describe("make run", function()
   it("starts the demo server that curl can fetch from", function()
      local port = peers.free_port()
      local srv = helpers.start(("env -u MAKEFLAGS -u MAKELEVEL make run RUN_PORT=%d LUA=\"%s\" "
         .. "BUILD=%s"):format(port, helpers.lua, os.getenv("MOONTLS_BUILD") or "build"),
         function(h) return h.out():find("listening on", 1, true) and port end)
      local c = peers.curl { port = port, insecure = true }
      local out = srv.out()
      assert.is_true(c.ok, out .. c.stderr)
      assert.matches("curl %-k https://127.0.0.1:" .. port, out)
      assert.matches("version: TLSv1.3", c.stdout)
   end)
end)
