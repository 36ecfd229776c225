-- Wireshark decrypts moontls connections with the SSLKEYLOGFILE lines moontls writes (the
-- context option `keylog`). A connection runs through spec/support/tcp_relay.lua, which
-- records the bytes each way; spec/support/pcap.lua turns the recording into a pcap (no root,
-- no capture device); tshark decrypts it with moontls' keylog file, and the application data
-- it shows must be exactly what the two ends sent. Cases: moontls as client (against openssl
-- s_server -www) and as server (spec/support/tls_server.lua, against openssl s_client), with
-- AES-GCM, ChaCha20-Poly1305, CBC with encrypt_then_mac, CBC without, and a resumed session
-- (the capture holds only the abbreviated handshake, the keylog only its line). The CBC
-- without EtM and the resumed cases (negative = true) also run tshark with the master
-- secret's first byte changed: then nothing may decrypt, though the handshake still dissects.
local peers = require "support.peers"
local certs = require "support.certs"
local helpers = require "helpers"
local msrv = require "support.moontls_server"
local pcap = require "support.pcap"
local socket = require "socket"
local tls = require "moontls"

local pki = certs.get()
local SERVER_PORT = 4433 -- in the pcap; tshark is told it is TLS

local CASES = {
   { suite = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", id = 0xc02b, kind = "ec",
      openssl = "ECDHE-ECDSA-AES128-GCM-SHA256" },
   { suite = "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", id = 0xcca8, kind = "rsa",
      openssl = "ECDHE-RSA-CHACHA20-POLY1305" },
   { suite = "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", id = 0xc027, kind = "rsa",
      openssl = "ECDHE-RSA-AES128-SHA256", etm = true },
   { suite = "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", id = 0x0039, kind = "rsa",
      openssl = "DHE-RSA-AES256-SHA", etm = false, negative = true },
   { suite = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", id = 0xc02c, kind = "ec",
      openssl = "ECDHE-ECDSA-AES256-GCM-SHA384", resumed = true, negative = true },
}

local function slurp(path)
   local f = io.open(path, "rb")
   if not f then return nil end
   local s = f:read("a")
   f:close()
   return s
end

local function spit(path, data)
   local f = assert(io.open(path, "wb"))
   f:write(data)
   f:close()
end

local function wait_for(f, what)
   local deadline = socket.gettime() + 10
   repeat
      local v = f()
      if v then return v end
      socket.sleep(0.02)
   until socket.gettime() > deadline
   error("timed out waiting for " .. what)
end

local function unhex(h)
   return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

-- Kills pid only while it is still the process started here (its command line names
-- tcp_relay.lua): a pid that exited may already belong to someone else.
local function kill_ours(pid)
   local f = io.open("/proc/" .. pid .. "/cmdline", "rb")
   local cmd = f and f:read("a") or ""
   if f then f:close() end
   if cmd:find("tcp_relay.lua", 1, true) then os.execute("kill " .. pid .. " 2>/dev/null") end
end

local relays = {}

-- Starts a relay to 127.0.0.1:target for n connections, recording into dir.
local function relay(dir, target, n)
   local ok, _, out = helpers.run(("timeout 60 %s spec/support/tcp_relay.lua %s/relay.port %d "
      .. "%s %d >%s/relay.log 2>&1 </dev/null & echo $!"):format(helpers.lua, dir, target, dir,
      n, dir))
   assert(ok, out)
   relays[#relays + 1] = tonumber(out:match("(%d+)%s*$"))
   return wait_for(function() return tonumber(slurp(dir .. "/relay.port") or "") end, "relay")
end

-- The pcap of recorded connection n.
local function capture(dir, n)
   wait_for(function() return slurp(("%s/%d.done"):format(dir, n)) end, "the recording")
   local path = ("%s/conn%d.pcap"):format(dir, n)
   pcap.write(path, { { client_port = 50000 + n, server_port = SERVER_PORT,
      chunks = pcap.read_recording(assert(slurp(("%s/%d.rec"):format(dir, n)))) } })
   return path
end

-- tshark on a capture with a keylog file: the ServerHello's suite and extension types, and
-- the decrypted application data each way.
local function tshark(cap, keylog)
   local ok, _, out = helpers.run(("tshark -n -r %s -o tls.keylog_file:%s -d tcp.port==%d,tls "
      .. "-Y tls.handshake.type==2 -T fields -e tls.handshake.ciphersuite "
      .. "-e tls.handshake.extension.type -z follow,tls,raw,0 2>/dev/null"):format(cap, keylog,
      SERVER_PORT))
   assert(ok, out)
   local r = { client = {}, server = {}, out = out }
   local suite, exts = out:match("^(0x%x+)\t([%d,]*)\n")
   r.suite = suite and tonumber(suite)
   r.extensions = {}
   for e in (exts or ""):gmatch("%d+") do r.extensions[tonumber(e)] = true end
   -- Node 0 is whichever end sent the first protected record (the server, when it resumes);
   -- its data lines start in column 1, node 1's after a tab
   local node0 = out:match("\nNode 0: ([%d.]+):")
   local first, second = r.client, r.server
   if node0 == "10.0.0.2" then first, second = r.server, r.client end
   local follow = out:match("Node 1:[^\n]*\n(.-)=======")
   for line in (follow or ""):gmatch("[^\n]+") do
      local tab, hex = line:match("^(\t?)(%x+)$")
      if hex then
         local t = tab == "" and first or second
         t[#t + 1] = unhex(hex)
      end
   end
   r.client, r.server = table.concat(r.client), table.concat(r.server)
   r.followed = follow ~= nil
   return r
end

-- A copy of the keylog with the master secret's first byte changed.
local function corrupt(keylog, dir)
   local text = assert(slurp(keylog))
   local bad = text:gsub("(CLIENT_RANDOM %x+ )(%x%x)", function(pre, b)
      return pre .. ("%02x"):format(tonumber(b, 16) ~ 0x5a)
   end)
   assert(bad ~= text)
   spit(dir .. "/bad.keylog", bad)
   return dir .. "/bad.keylog"
end

-- What every case asserts about its capture.
local function check(c, cap, keylog, dir, sent_by_client, sent_by_server)
   local good = tshark(cap, keylog)
   assert.equals(c.id, good.suite, good.out)
   assert.equals(c.etm == true, good.extensions[22] == true, good.out) -- encrypt_then_mac
   assert.is_true(good.followed, good.out)
   assert.equals(sent_by_client, good.client)
   assert.equals(sent_by_server, good.server)
   if not c.negative then return end
   local bad = tshark(cap, corrupt(keylog, dir))
   assert.equals(c.id, bad.suite, bad.out) -- the capture itself still dissects
   assert.equals("", bad.client, bad.out)
   assert.equals("", bad.server, bad.out)
end

local function leaf(kind)
   return kind == "ec" and pki.ec or pki.rsa
end

describe("Wireshark decrypts with moontls' keylog", function()
   local dirs = {}
   local function tmp()
      dirs[#dirs + 1] = helpers.tmpdir()
      return dirs[#dirs]
   end

   teardown(function()
      msrv.stop_all()
      peers.stop_all()
      for _, pid in ipairs(relays) do kill_ours(pid) end
      for _, d in ipairs(dirs) do helpers.rmtree(d) end
   end)

   it("tshark is installed (tools/deps)", function()
      assert.is_true((helpers.run("tshark --version")))
   end)

   for _, c in ipairs(CASES) do
      local what = c.resumed and "resumed" or c.etm == true and "EtM on"
         or c.etm == false and "EtM off" or "AEAD"
      if c.negative then what = what .. ", and not with a corrupted keylog" end
      it(("moontls client, %s, %s"):format(c.suite, what), function()
         local dir = tmp()
         local args = { "-tls1_2", "-cipher", c.openssl }
         if c.etm == false then args[#args + 1] = "-no_etm" end
         if c.resumed then args[#args + 1] = "-no_ticket" end
         local srv = peers.openssl_server { cert = leaf(c.kind).cert, key = leaf(c.kind).key,
            www = true, args = args }
         local port = relay(dir, srv.port, c.resumed and 2 or 1)
         local keylog = dir .. "/moontls.keylog"
         local ctx = assert(tls.context { cafile = pki.cafile, ciphers = { c.suite },
            keylog = keylog })
         local session, page, info
         for _ = 1, c.resumed and 2 or 1 do
            local f = assert(tls.connect("127.0.0.1", port, { context = ctx,
               server_name = "localhost", timeout = 5, session = session }))
            info = f:info()
            assert(f:send("GET / HTTP/1.0\r\n\r\n"))
            local body, _, partial = f:receive("*a")
            page = body or partial
            session = f:getsession()
            f:close()
         end
         srv.stop()
         assert.equals(c.suite, info.cipher)
         assert.equals(c.etm == true, info.etm)
         assert.equals(c.resumed == true, info.resumed)
         assert.is_truthy(page:find("Cipher is " .. c.openssl .. "\n", 1, true), page)
         local n = c.resumed and 2 or 1
         local lines = {}
         for l in slurp(keylog):gmatch("[^\n]+\n") do lines[#lines + 1] = l end
         assert.equals(n, #lines)
         spit(dir .. "/this.keylog", lines[n]) -- only this connection's line
         check(c, capture(dir, n), dir .. "/this.keylog", dir, "GET / HTTP/1.0\r\n\r\n", page)
      end)

      it(("moontls server, %s, %s"):format(c.suite, what), function()
         local dir = tmp()
         local keylog = dir .. "/moontls.keylog"
         local srv = msrv.start(leaf(c.kind).cert, leaf(c.kind).key, { count = 2,
            ciphers = { c.suite }, keylog = keylog })
         local port = relay(dir, srv.port, c.resumed and 2 or 1)
         local line = "wireshark sees " .. c.suite
         local args = { "-tls1_2", "-cipher", c.openssl }
         if c.etm == false then args[#args + 1] = "-no_etm" end
         local r
         if c.resumed then
            local sess = dir .. "/sess.pem"
            r = peers.openssl_client { port = port, args = { "-tls1_2", "-no_ticket",
               "-cipher", c.openssl, "-sess_out", sess }, input = line .. "\n", expect = line,
               cafile = pki.cafile, servername = "localhost" }
            assert.is_false(r.info.reused, r.stdout)
            args = { "-tls1_2", "-no_ticket", "-cipher", c.openssl, "-sess_in", sess }
         end
         r = peers.openssl_client { port = port, args = args, input = line .. "\n",
            expect = line, cafile = pki.cafile, servername = "localhost" }
         assert.equals(c.openssl, r.info.cipher, r.stdout .. r.stderr)
         assert.equals(c.resumed == true, r.info.reused)
         assert.is_truthy(r.stdout:find("\n" .. line .. "\n", 1, true), r.stdout)
         local n = c.resumed and 2 or 1
         local cap = capture(dir, n)
         local lines = {}
         wait_for(function()
            lines = {}
            for l in (slurp(keylog) or ""):gmatch("[^\n]+\n") do lines[#lines + 1] = l end
            return #lines >= n
         end, "the keylog")
         spit(dir .. "/this.keylog", lines[n])
         check(c, cap, dir .. "/this.keylog", dir, line .. "\n", line .. "\n")
      end)
   end
end)
