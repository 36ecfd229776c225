-- The TLS 1.2 interop matrix: every TLS 1.2 suite moontls implements (read from
-- csrc/suites.c) against every peer, in both directions, CBC suites with and without
-- encrypt_then_mac (RFC 7366):
--   moontls client -> openssl s_server -www, gnutls-serv --http, python3 ssl server
--   moontls server (spec/support/tls_server.lua) <- openssl s_client, gnutls-cli, curl,
--                                                    python3 ssl client
-- One test per suite x peer x direction x EtM, named
--   "<IANA suite> | <peer> | moontls <client|server> | <EtM on|EtM off|AEAD|not offered>"
-- (spec/support/matrix_report.lua turns the TAP output into /work/notes/matrix.md).
-- Every row asserts that both ends name the same suite and TLS 1.2, that EtM is in use
-- exactly when wanted (never with an AEAD suite), and that data went both ways. Which suites
-- a peer has is asked of the peer itself (`openssl ciphers -V`, `gnutls-cli --list`, python's
-- SSLContext.get_ciphers(); curl is asked which OpenSSL it runs on); a suite it lacks is a
-- "not offered" row that asserts the peer's own list lacks it. Servers are shared: one per
-- peer x certificate x EtM setting, the moontls client or the peer client picks the suite.
local peers = require "support.peers"
local certs = require "support.certs"
local helpers = require "helpers"
local msrv = require "support.moontls_server"
local socket = require "socket"
local json = require "dkjson"
local tls = require "moontls"

local pki = certs.get()
local PY = "/usr/bin/python3"
do
   local f = io.open(PY)
   if f then f:close() else PY = "python3" end
end
local PY_MATRIX = "spec/support/py_tls_matrix.py"

local function sh(cmd)
   local ok, _, out = helpers.run(cmd)
   return ok, out
end

---------------------------------------------------------------------------------------------
-- the suites

-- moontls' TLS 1.2 suites, in the order of csrc/suites.c.
local SUITES = {}
do
   local f = assert(io.open("csrc/suites.c"))
   local src = f:read("a")
   f:close()
   for hex, name in src:gmatch('{0x(%x%x%x%x), "(TLS_[%w_]+)"') do
      if name:find("_WITH_", 1, true) then
         SUITES[#SUITES + 1] = { hex = hex:lower(), name = name,
            kind = name:find("^TLS_ECDHE_ECDSA_") and "ec" or "rsa",
            cbc = name:find("_CBC_", 1, true) ~= nil }
      end
   end
end
local ALL_NAMES = {}
for i, s in ipairs(SUITES) do ALL_NAMES[i] = s.name end

-- What each peer offers: hex id -> the peer's name for the suite.
local function openssl_list()
   local ok, out = sh("openssl ciphers -V 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'")
   assert(ok, out)
   local t = {}
   for a, b, name in out:gmatch("0x(%x%x),0x(%x%x) %- (%S+)") do
      t[(a .. b):lower()] = name
   end
   return t
end

local function gnutls_list()
   local ok, out = sh("gnutls-cli --list")
   assert(ok, out)
   local t = {}
   for name, a, b in out:gmatch("\n(TLS_[%w_]+)%s+0x(%x%x), 0x(%x%x)") do
      t[(a .. b):lower()] = name
   end
   return t
end

local function python_list()
   local ok, out = sh(PY .. " " .. PY_MATRIX .. " list")
   assert(ok, out)
   local t = {}
   for hex, name in out:gmatch("(%x%x%x%x) (%S+)") do t[hex] = name end
   return t
end

-- curl has the suites of the OpenSSL it runs on; this asks curl which one that is.
local function curl_openssl()
   local _, v = sh("curl -V")
   local _, o = sh("openssl version")
   return v:match("OpenSSL/(%S+)"), o:match("^OpenSSL (%S+)")
end

local OFFERED = {}
OFFERED.openssl = openssl_list()
OFFERED.gnutls = gnutls_list()
OFFERED.python = python_list()
OFFERED.curl = OFFERED.openssl

-- GnuTLS priority items for a suite from its GnuTLS name (TLS_DHE_RSA_AES_128_CBC_SHA1).
local function gnutls_items(gname)
   local rest = gname:gsub("^TLS_", "")
   local kx
   for _, k in ipairs { "ECDHE_ECDSA", "ECDHE_RSA", "DHE_RSA", "RSA" } do
      if rest:sub(1, #k + 1) == k .. "_" then
         kx, rest = k, rest:sub(#k + 2)
         break
      end
   end
   assert(kx, gname)
   local cipher, mac = rest, "AEAD"
   if rest:find("_CBC_", 1, true) then
      cipher, mac = rest:match("^(.*)_(SHA%d*)$")
   elseif rest:find("_SHA%d+$") then
      cipher = rest:gsub("_SHA%d+$", "")
   end
   return { kx = kx:gsub("_", "-"), cipher = cipher:gsub("_", "-"), mac = mac }
end

local function gnutls_priority(items, etm)
   return ("NONE:+VERS-TLS1.2:+%s:+%s:+%s:+SIGN-ALL:+COMP-NULL:+GROUP-ALL%s"):format(
      items.cipher, items.mac, items.kx, etm and "" or ":%NO_ETM")
end

-- A priority string for a gnutls-serv that has every suite of the matrix.
local function gnutls_priority_all(etm)
   local seen, list = {}, { "NONE", "+VERS-TLS1.2" }
   for _, s in ipairs(SUITES) do
      local g = OFFERED.gnutls[s.hex]
      if g then
         local items = gnutls_items(g)
         for _, it in ipairs { items.cipher, items.mac, items.kx } do
            if not seen[it] then
               seen[it] = true
               list[#list + 1] = "+" .. it
            end
         end
      end
   end
   list[#list + 1] = "+SIGN-ALL:+COMP-NULL:+GROUP-ALL"
   if not etm then list[#list + 1] = "%NO_ETM" end
   return table.concat(list, ":")
end

---------------------------------------------------------------------------------------------
-- shared servers (started on first use, stopped by teardown)

local dir = helpers.tmpdir()
local servers = {}
local bg = {} -- pids of background processes started here

local function slurp(path)
   local f = io.open(path, "rb")
   if not f then return "" end
   local s = f:read("a")
   f:close()
   return s
end

local function wait_for(f, what, seconds)
   local deadline = socket.gettime() + (seconds or 10)
   repeat
      local v = f()
      if v then return v end
      socket.sleep(0.02)
   until socket.gettime() > deadline
   error("timed out waiting for " .. what)
end

local function leaf(kind)
   return kind == "ec" and pki.ec or pki.rsa
end

local dhparam
local function python_server(kind, etm)
   if not dhparam then
      dhparam = dir .. "/ffdhe2048.pem"
      local ok, out = sh("openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "
         .. dhparam)
      assert(ok, out)
   end
   local tag = ("py-%s-%s"):format(kind, etm)
   local portfile = dir .. "/" .. tag .. ".port"
   local ok, out = sh(("timeout 120 %s %s server --cert %s --key %s --dhparam %s --portfile %s "
      .. "--count 1000 %s >%s/%s.log 2>&1 </dev/null & echo $!"):format(PY, PY_MATRIX,
      leaf(kind).cert, leaf(kind).key, dhparam, portfile, etm and "" or "--no-etm", dir, tag))
   assert(ok, out)
   bg[#bg + 1] = assert(tonumber(out:match("(%d+)%s*$")), out)
   local port = wait_for(function() return tonumber(slurp(portfile)) end, "python server")
   return { port = port, log = function() return slurp(dir .. "/" .. tag .. ".log") end }
end

local function server(peer, kind, etm)
   local key = table.concat({ peer, kind, tostring(etm) }, "/")
   if servers[key] then return servers[key] end
   local l, h = leaf(kind), nil
   if peer == "openssl" then
      local args = { "-tls1_2", "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0" }
      if not etm then args[#args + 1] = "-no_etm" end
      h = peers.openssl_server { cert = l.cert, key = l.key, www = true, args = args }
   elseif peer == "gnutls" then
      h = peers.gnutls_server { cert = l.cert, key = l.key, mode = "http",
         priority = gnutls_priority_all(etm) }
   elseif peer == "python" then
      h = python_server(kind, etm)
   elseif peer == "moontls-echo" or peer == "moontls-www" or peer == "moontls-py" then
      h = msrv.start(l.cert, l.key, { count = 1000, ciphers = ALL_NAMES,
         mode = peer == "moontls-www" and "www" or "echo" })
   end
   servers[key] = h
   return h
end

-- The first n status lines the moontls server printed after its log had `mark` bytes (a row
-- looks only at the connections it made, so one failed row cannot shift the next).
-- (fewer when they do not come within 5 s: the row's assertion then fails).
local function conn_lines(h, mark, n)
   local deadline = socket.gettime() + 5
   local lines
   repeat
      lines = {}
      for l in h.log():sub(mark + 1):gmatch("(conn %d+ [^\n]*)\n") do lines[#lines + 1] = l end
      if #lines >= n then break end
      socket.sleep(0.02)
   until socket.gettime() > deadline
   return lines
end

-- Kills pid only while it is still the process started here (its command line names
-- py_tls_matrix.py): a pid that exited may already belong to someone else.
local function kill_ours(pid)
   local f = io.open("/proc/" .. pid .. "/cmdline", "rb")
   local cmd = f and f:read("a") or ""
   if f then f:close() end
   if cmd:find("py_tls_matrix.py", 1, true) then os.execute("kill " .. pid .. " 2>/dev/null") end
end

local function stop_servers()
   msrv.stop_all()
   peers.stop_all()
   for _, pid in ipairs(bg) do kill_ours(pid) end
   bg = {}
   servers = {}
end

---------------------------------------------------------------------------------------------
-- the rows

local function etm_label(s, etm)
   if not s.cbc then return "AEAD" end
   return etm and "EtM on" or "EtM off"
end

-- moontls client side: connects with exactly this suite, asserts what it sees, runs
-- talk(f), closes the connection whatever happened (a single-threaded peer server must not
-- be left holding a failed row's connection) and returns the suite moontls reported.
local function moontls_connect(port, s, etm, talk)
   local ctx = assert(tls.context { cafile = pki.cafile, ciphers = { s.name } })
   local f, err = tls.connect("127.0.0.1", port, { context = ctx, server_name = "localhost",
      timeout = 5 })
   assert(f, s.name .. ": " .. tostring(err))
   local info = f:info()
   local ok, e = pcall(function()
      assert.equals(s.name, info.cipher)
      assert.equals("TLSv1.2", info.version)
      assert.equals(s.cbc and etm, info.etm)
      talk(f)
   end)
   f:close()
   if not ok then error(e, 0) end
   return info.cipher
end

-- rows by moontls' role, then peer: function(suite, etm, the peer's name for the suite),
-- returning the suite moontls' side reported
local client_rows, server_rows = {}, {}

client_rows.openssl = function(s, etm, oname)
   local srv = server("openssl", s.kind, etm)
   local page
   local seen = moontls_connect(srv.port, s, etm, function(f)
      assert(f:send("GET / HTTP/1.0\r\n\r\n"))
      local _, partial
      page, _, partial = f:receive("*a")
      page = page or partial
   end)
   local p = peers.parse_openssl_www(page)
   assert.equals(oname, p.cipher, page)
   assert.equals("TLSv1.2", p.session_protocol, page)
   return seen
end

client_rows.gnutls = function(s, etm, gname)
   local srv = server("gnutls", s.kind, etm)
   local marker = "X-Row: " .. s.name
   local page
   local seen = moontls_connect(srv.port, s, etm, function(f)
      assert(f:send("GET / HTTP/1.0\r\n" .. marker .. "\r\n\r\n"))
      local _, partial
      page, _, partial = f:receive("*a")
      page = page or partial
   end)
   local p = peers.parse_gnutls_http(page)
   assert.equals("TLS1.2", p.protocol, page)
   assert.equals(gname:gsub("^TLS_", ""), p.suite, page)
   -- the server got our request: it shows our headers back
   assert.is_truthy(page:find(marker, 1, true), page)
   return seen
end

client_rows.python = function(s, etm, pname)
   local srv = server("python", s.kind, etm)
   local line = "moontls " .. s.name
   local first, echo
   local seen = moontls_connect(srv.port, s, etm, function(f)
      first = f:receive("*l")
      assert(f:send(line .. "\n"))
      echo = f:receive("*l")
      f:send("quit\n")
   end)
   assert.equals("TLSv1.2 " .. pname, first, srv.log())
   assert.equals(line, echo)
   return seen
end

-- moontls server side: status line l says this suite, with EtM as wanted.
-- Returns the suite the line names.
local function assert_served(l, s, etm)
   assert.is_string(l)
   assert.matches("^conn %d+ ok TLSv1%.2 " .. s.name .. " ", l)
   assert.is_truthy(l:find(" etm=" .. ((s.cbc and etm) and "yes" or "no"), 1, true), l)
   return l:match("^conn %d+ ok %S+ (%S+)")
end

server_rows.openssl = function(s, etm, oname)
   local srv = server("moontls-echo", s.kind)
   local mark = #srv.log()
   local line = "s_client " .. s.name
   local args = { "-tls1_2", "-cipher", oname .. ":@SECLEVEL=0", "-tlsextdebug" }
   if not etm then args[#args + 1] = "-no_etm" end
   local r = peers.openssl_client { port = srv.port, args = args, input = line .. "\n",
      expect = line, cafile = pki.cafile, servername = "localhost" }
   assert.equals("TLSv1.2", r.info.session_protocol, r.stdout .. r.stderr)
   assert.equals(oname, r.info.cipher)
   assert.equals(0, r.info.verify_code)
   assert.is_truthy(r.stdout:find("\n" .. line .. "\n", 1, true), r.stdout)
   -- moontls sends encrypt_then_mac exactly with a CBC suite when it was offered
   local echoed = (r.stdout .. r.stderr):find('"encrypt-then-mac" (id=22)', 1, true) ~= nil
   assert.equals(s.cbc and etm, echoed)
   return assert_served(conn_lines(srv, mark, 1)[1], s, etm)
end

server_rows.gnutls = function(s, etm, gname)
   local srv = server("moontls-echo", s.kind)
   local mark = #srv.log()
   local items = gnutls_items(gname)
   local line = "gnutls-cli " .. s.name
   local r = peers.gnutls_client { port = srv.port, priority = gnutls_priority(items, etm),
      input = line .. "\n", expect = line, cafile = pki.cafile, servername = "localhost" }
   local out = r.stdout .. r.stderr
   assert.equals("TLS1.2", r.info.protocol, out)
   assert.equals(items.cipher, r.info.cipher, out)
   assert.equals(items.mac ~= "AEAD" and items.mac or nil, r.info.mac, out)
   assert.equals(items.kx:match("^%u+"), r.info.kx:match("^%u+"), out)
   assert.equals(s.cbc and etm, r.info.etm, out)
   assert.is_truthy(r.stdout:find(line .. "\n", 1, true), out)
   return assert_served(conn_lines(srv, mark, 1)[1], s, etm)
end

local NO_ETM_CNF = dir .. "/no-etm.cnf"
do
   local f = assert(io.open(NO_ETM_CNF, "w"))
   f:write("openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\n"
      .. "system_default = system_default_sect\n[system_default_sect]\n"
      .. "Options = -EncryptThenMac\n")
   f:close()
end

server_rows.curl = function(s, etm, oname)
   local srv = server("moontls-www", s.kind)
   local mark = #srv.log()
   -- curl has no option against EtM: an OpenSSL configuration file turns it off
   local ok, out = sh(("%stimeout 10 curl -sS -v --tlsv1.2 --tls-max 1.2 --ciphers '%s' "
      .. "--cacert %s --resolve localhost:%d:127.0.0.1 -H 'X-Row: %s' https://localhost:%d/")
      :format(etm and "" or "OPENSSL_CONF=" .. NO_ETM_CNF .. " ", oname .. ":@SECLEVEL=0",
      pki.cafile, srv.port, s.name, srv.port))
   assert(ok, out)
   local c = peers.parse_curl(out)
   assert.equals("TLSv1.2", c.protocol, out)
   assert.equals(oname, c.cipher, out)
   -- the page moontls served names the suite and EtM as it sees them
   assert.is_truthy(out:find("cipher: " .. s.name .. "\n", 1, true), out)
   assert.is_truthy(out:find("etm: " .. ((s.cbc and etm) and "yes" or "no"), 1, true), out)
   return assert_served(conn_lines(srv, mark, 1)[1], s, etm)
end

-- python's client runs as one batch per certificate x EtM: the results, by suite.
local py_batches = {}
local function python_batch(kind, etm)
   local key = kind .. "/" .. tostring(etm)
   if py_batches[key] then return py_batches[key] end
   local srv = server("moontls-py", kind)
   local names, order = {}, {}
   for _, s in ipairs(SUITES) do
      local pname = OFFERED.python[s.hex]
      if s.kind == kind and pname and (s.cbc or etm) then
         names[#names + 1] = pname
         order[#order + 1] = s
      end
   end
   local mark = #srv.log()
   local ok, out = sh(("timeout 60 %s %s client --port %d --cafile %s --ciphers %s %s")
      :format(PY, PY_MATRIX, srv.port, pki.cafile, table.concat(names, ","),
      etm and "" or "--no-etm"))
   local results = { out = out, ok = ok, rows = {}, line = {} }
   for l in out:gmatch("[^\n]+") do
      local row = json.decode(l)
      if type(row) == "table" and row.want then results.rows[row.want] = row end
   end
   local lines = conn_lines(srv, mark, #order)
   for i, s in ipairs(order) do
      results.line[s.name] = lines[i]
   end
   py_batches[key] = results
   return results
end

server_rows.python = function(s, etm, pname)
   local b = python_batch(s.kind, etm)
   local row = b.rows[pname]
   assert.is_table(row, b.out)
   assert.is_nil(row.error, row.error)
   assert.equals("TLSv1.2", row.version)
   assert.equals(pname, row.cipher)
   assert.is_true(row.echo)
   return assert_served(b.line[s.name], s, etm)
end

---------------------------------------------------------------------------------------------
-- the matrix

local PEERS = {
   { name = "openssl", client = true, server = true },
   { name = "gnutls", client = true, server = true },
   { name = "curl", client = true, server = false },
   { name = "python", client = true, server = true },
}

describe("suite matrix", function()
   teardown(function()
      stop_servers()
      helpers.rmtree(dir)
   end)

   it("reads moontls' 59 TLS 1.2 suites from csrc/suites.c, each accepted by a context", function()
      assert.equals(59, #SUITES)
      for _, s in ipairs(SUITES) do
         assert.is_truthy(tls.context { ciphers = { s.name } }, s.name)
      end
   end)

   it("curl runs on the OpenSSL whose suites `openssl ciphers` lists", function()
      local curl_v, openssl_v = curl_openssl()
      assert.is_string(curl_v)
      assert.equals(openssl_v, curl_v)
   end)

   for _, p in ipairs(PEERS) do
      local ran = { n = 0 }
      for _, s in ipairs(SUITES) do
         local pname = OFFERED[p.name][s.hex]
         for _, role in ipairs { "client", "server" } do
            -- a moontls client needs a peer that can serve, and the other way round
            local can = role == "client" and p.server or role == "server" and p.client
            if can then
               local run = (role == "client" and client_rows or server_rows)[p.name]
               local etms = s.cbc and { true, false } or { true }
               for _, etm in ipairs(etms) do
                  local title = ("%s | %s | moontls %s | %s"):format(s.name, p.name, role,
                     pname and etm_label(s, etm) or "not offered")
                  if pname then
                     it(title, function()
                        assert.equals(s.name, run(s, etm, pname))
                        ran.n = ran.n + 1
                     end)
                  elseif etm then
                     it(title, function()
                        -- asked of the peer again: its own list lacks the suite
                        local again = p.name == "gnutls" and gnutls_list()
                           or p.name == "python" and python_list() or openssl_list()
                        assert.is_nil(again[s.hex])
                     end)
                  end
               end
            end
         end
      end
      it(p.name .. " rows: every suite the peer offers ran", function()
         local want = 0
         for _, s in ipairs(SUITES) do
            if OFFERED[p.name][s.hex] then
               local dirs = (p.client and 1 or 0) + (p.server and 1 or 0)
               want = want + dirs * (s.cbc and 2 or 1)
            end
         end
         assert.equals(want, ran.n)
         assert.is_true(want > 0)
      end)
   end
end)
