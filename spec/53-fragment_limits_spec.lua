-- Record size limits against real peers: max_fragment_length (RFC 6066 4) with openssl
-- s_client / s_server, record_size_limit (RFC 8449) with gnutls-cli / gnutls-serv. The peers
-- enforce the limits they negotiated on what they receive, so a record of ours over the limit
-- would fail the exchange. Peers run on 127.0.0.1 only.
local peers = require "support.peers"
local certs = require "support.certs"
local tls = require "moontls"
local socket = require "socket"

local pki = certs.get()

-- A moontls echo server process for one connection.
local server = require "support.moontls_server"
local function moontls_server(env)
   return server.start(pki.ec.cert, pki.ec.key, { count = 1, env = env })
end

-- Wait (bounded) until the server log has its "conn 1" line.
local function conn_line(h)
   for _ = 1, 100 do
      local line = h.log():match("conn 1 [^\n]*")
      if line then return line end
      socket.sleep(0.05)
   end
   return h.log()
end

local function stop_everything()
   server.stop_all()
   peers.stop_all()
end

describe("max_fragment_length and record_size_limit against real peers", function()
   after_each(stop_everything)

   it("serves openssl s_client -maxfraglen 512 a 100 kB line in 512-byte records", function()
      local srv = moontls_server()
      local line = string.rep("x", 100000) .. "END"
      local r = peers.openssl_client { port = srv.port, args = { "-tls1_2", "-maxfraglen", "512" },
         input = line .. "\n", expect = "xxxxEND", timeout = 20 }
      assert.truthy(r.stdout:find(line, 1, true), "echo missing; s_client said: " .. r.stderr)
      assert.matches("conn 1 ok TLSv1.2 .* mfl=512", conn_line(srv))
   end)

   it("moontls client with max_fragment_length = 1024 against openssl s_server", function()
      local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key,
         args = { "-tls1_2" } }
      local ctx = assert(tls.context { cafile = pki.cafile, max_fragment_length = 1024 })
      local f = assert(tls.connect("127.0.0.1", srv.port, { context = ctx,
         server_name = "localhost", timeout = 5 }))
      assert.equal(1024, f:info().max_fragment_length)
      local data = string.rep("y", 50000) .. "END\n"
      assert(f:send(data))
      -- s_server prints what it receives; it would refuse a record over 1024 bytes
      local log
      for _ = 1, 100 do
         log = srv.log()
         if log:find("yyyyEND", 1, true) then break end
         socket.sleep(0.05)
      end
      assert.truthy(log:find(data, 1, true), "s_server log: " .. log:sub(-500))
      -- and what s_server sends comes in records of at most 1024 bytes too
      srv.write(string.rep("z", 20000) .. "END\n")
      local got = assert(f:receive("*l"))
      assert.equal(string.rep("z", 20000) .. "END", got)
      f:close()
   end)

   it("answers gnutls-cli --recordsize=512 with record_size_limit", function()
      if not peers.available().gnutls_cli then return end
      local srv = moontls_server("MOONTLS_RECORD_SIZE_LIMIT=1000 MOONTLS_MAX_VERSION=tls1.2")
      -- gnutls-cli 3.7.9 sends only one record per read of its stdin (the rest is dropped),
      -- so the line stays under its limit
      local line = string.rep("w", 400) .. "LAST"
      local r = peers.gnutls_client { port = srv.port, insecure = true,
         args = { "--recordsize=512" }, input = line .. "\n", expect = "wLAST", timeout = 15 }
      assert.truthy(r.stdout:find(line, 1, true), "gnutls-cli: " .. r.stderr:sub(-500))
      -- GnuTLS offers 513 (TLS 1.3's count), takes 512 under TLS 1.2: we send 512
      assert.matches("conn 1 ok TLSv1.2 .* mfl=%- send_limit=512 recv_limit=1000", conn_line(srv))
   end)

   it("moontls client with record_size_limit = 512 against gnutls-serv", function()
      if not peers.available().gnutls_serv then return end
      local srv = peers.gnutls_server { cert = pki.ec.cert, key = pki.ec.key, mode = "echo" }
      local ctx = assert(tls.context { cafile = pki.cafile, record_size_limit = 512,
         max_version = "tls1.2" })
      local f = assert(tls.connect("127.0.0.1", srv.port, { context = ctx,
         server_name = "localhost", timeout = 5 }))
      local info = f:info()
      assert.equal(512, info.recv_limit)
      assert.truthy(info.send_limit)
      -- gnutls-serv echoes each record; a record of its over 512 bytes fails our receive
      local line = string.rep("v", 20000) .. "END"
      assert(f:send(line .. "\n"))
      assert.equal(line, assert(f:receive("*l")))
      f:close()
   end)
end)
