-- Interop peers for the specs: real TLS servers (openssl s_server, gnutls-serv) started in
-- the background on 127.0.0.1, and real TLS clients (openssl s_client, gnutls-cli, curl,
-- python3's ssl) run to completion, every one with bounded waits and a hard timeout.
--
-- USE FROM A SPEC
--
--   local peers = require "support.peers"       -- spec/ is on lpath (.busted)
--   local pki = require("support.certs").get()
--   describe("moontls client against openssl s_server", function()
--      teardown(peers.stop_all)                  -- or after_each(peers.stop_all)
--      it("does TLS 1.2", function()
--         local srv = peers.openssl_server { cert = pki.ec.cert, key = pki.ec.key, www = true,
--                                            args = { "-tls1_2" } }
--         -- ... connect moontls to 127.0.0.1:srv.port, send "GET / HTTP/1.0\r\n\r\n" ...
--         local page = peers.parse_openssl_www(body)   --> {protocol="TLSv1.2", cipher=...}
--         srv.stop()
--      end)
--   end)
--
-- Skip a block when a tool is missing: `if not peers.available().gnutls_serv then return end`
-- (tools/deps installs all of them, so on a set-up machine none is missing).
--
-- SERVERS  peers.openssl_server{cert=, key=, port=?, www=?, args=?, lifetime=?, start_wait=?}
--          peers.gnutls_server{cert=, key=, port=?, mode=?"echo"|"http", priority=?, args=?,
--                              lifetime=?, start_wait=?}
--   return a handle {port=, pid=, name=, log=function() -> text, write=function(data),
--   stop=function(), alive=function() -> bool, loopback_only=bool}. The start functions return
--   only once the process has a listening socket on the port (seen in /proc/net/tcp{,6} with
--   the socket owned by the process: no probe connection, so -naccept and the server log are
--   not disturbed), or raise with the server's log within start_wait (default 5 s; a bad
--   certificate path gives "peers: openssl s_server exited before listening on port N;
--   log: <its log>", a server that never listens "... did not listen on ..."). Without port= a
--   free port is chosen and the start is retried on "address in use". Each server runs in its
--   own session under `timeout` (lifetime, default 120 s), so even a killed busted leaves
--   nothing behind for long; stop() kills the whole process group, waits (at most 3 s, then
--   SIGKILL) until it is gone and is idempotent; peers.stop_all() stops every server still
--   running, and runs by itself when the Lua state closes.
--   openssl s_server reads its stdin from a FIFO held by this process: handle.write(data)
--   makes s_server send data to the connected client (not with www).
--   gnutls-serv 3.7.9 has no option to choose its listening address (it binds 0.0.0.0 and ::);
--   the server runs with LD_PRELOAD of spec/support/loopback_bind.c (built on first use with
--   cc) which turns a wildcard bind into 127.0.0.1 / ::1. handle.loopback_only tells whether
--   that worked (false only when no C compiler is available).
--
-- CLIENTS  peers.openssl_client{port=, args=?, input=?, expect=?, hold=?, timeout=?,
--                               cafile=?, servername=?, alpn=?}
--          peers.gnutls_client{port=, args=?, input=?, expect=?, hold=?, timeout=?,
--                              cafile=?, insecure=?, servername=?, alpn=?, priority=?}
--          peers.curl{url= | port=, path=?, args=?, timeout=?, cafile=?, insecure=?, alpn=?}
--          peers.python_client{port=, script_args=?, input=?, timeout=?, cafile=?,
--                              insecure=?, servername=?, alpn=?, ciphers=?}
--   return {ok=exit status 0, code=exit status, timed_out=bool, stdout=, stderr=, info=}, info
--   being the tool's report parsed (parse_openssl_client, parse_gnutls_client, parse_curl,
--   the python script's JSON line). The process gets `input` on stdin; stdin then stays open
--   until the tool exits, stdout contains `expect` (a plain string), or `hold` seconds pass
--   (default: 0 without expect, the timeout with it), then closes. openssl s_client and
--   gnutls-cli end the connection at EOF on stdin, so a request/response exchange needs
--   expect= (or hold=, or "-ign_eof" in args for s_client). timeout (default 10 s) is
--   enforced with coreutils `timeout -k 1`; a timed-out run has timed_out=true, code 124/137.
--   cafile= verifies against that file; without it openssl s_client reports the verify code
--   but continues, gnutls-cli needs insecure=true, curl insecure=true (-k), python
--   insecure=true (no verification).
--
-- PARSERS  peers.parse_openssl_client(text) -> {protocol=, cipher=, verify_code=,
--             verify=, alpn=, session_id=, reused=, handshakes={{reused=, protocol=,
--             cipher=}...}}     (protocol as OpenSSL prints it: "TLSv1.2", "TLSv1.3")
--          peers.parse_gnutls_client(text) -> {protocol="TLS1.2", kx=, auth=, cipher=,
--             mac= (CBC suites), etm=, description=, session_id=, resumed=, alpn=,
--             handshakes={...}}
--          peers.parse_openssl_www(page) -> {protocol=, cipher=, reused=}
--          peers.parse_gnutls_http(page) -> {protocol=, suite=, cipher=}
--          peers.parse_curl(stderr of curl -v) -> {protocol=, cipher=, alpn=}
--          peers.version(s) -> "tls1.2" / "tls1.3" from any of "TLSv1.2", "TLS1.2", "tls1.2"
--
-- SUITES   peers.suite_names[IANA name] = {id=, version="tls1.2"|"tls1.3", openssl=,
--             gnutls=, gnutls_priority=, openssl_ok=, gnutls_ok=}
--   openssl is the OpenSSL name (for -cipher; for TLS 1.3 the IANA name, for -ciphersuites);
--   gnutls the name `gnutls-cli --list` prints; gnutls_priority the priority-string items
--   that select the suite (key exchange, cipher, MAC); peers.openssl_cipher_args(name) and
--   peers.gnutls_priority(name) make the options that allow exactly that suite.
--   openssl_ok / gnutls_ok: the tool here can negotiate the suite at all (when told to);
--   openssl_default / gnutls_default: it offers the suite with its default settings
--   (OpenSSL: DEFAULT cipher list and default -ciphersuites; GnuTLS: priority NORMAL).
--
-- FACTS (Debian 12, OpenSSL 3.0.22, GnuTLS 3.7.9, curl 7.88.1 on OpenSSL 3.0, python3's ssl
-- on OpenSSL 3.0; spec/60-peers_spec.lua re-checks every one of them on each run: the names
-- against `openssl ciphers -stdname` and `gnutls-cli --list`, the default sets against
-- `openssl ciphers -s` and `gnutls-cli --priority NORMAL --list`, and one handshake per
-- suite openssl<->openssl and gnutls<->gnutls)
--   suite group (moontls has 36)          OpenSSL 3.0           GnuTLS 3.7
--   TLS 1.3 AES-GCM, ChaCha20 (1301-1303) yes, default          yes, default
--   TLS 1.3 AES_128_CCM (1304)            yes, not default      yes, default
--   TLS 1.3 AES_128_CCM_8 (1305)          yes, not default      yes, not default
--   ECDHE/DHE/RSA AES-GCM (c02b c02c c02f
--     c030 009e 009f 009c 009d)           yes, default          yes, default
--   ECDHE/DHE ChaCha20 (cca9 cca8 ccaa)   yes, default          yes, default
--   ECDHE-ECDSA/DHE/RSA AES-CCM (c0ac c0ad
--     c09e c09f c09c c09d)                yes, not default      yes, default
--   ECDHE-ECDSA/DHE/RSA AES-CCM_8 (c0ae
--     c0af c0a2 c0a3 c0a0 c0a1)           yes, not default      yes, not default
--   Camellia-GCM, all eight (c086 c087 c08a
--     c08b c07c c07d c07a c07b)           NO (3.0 has only      yes, not default
--                                         Camellia-CBC)
--   So Camellia-GCM interop is GnuTLS only; curl and python3 have what OpenSSL 3.0 has.
--   DHE: s_server picks its group itself (no -dhparam needed); gnutls-serv uses FFDHE2048.
--   gnutls-serv 3.7.9 has no bind-address option (binds 0.0.0.0 and ::): see SERVERS.
local socket = require "socket"
local helpers = require "helpers"

local peers = {}

local START_WAIT = 5 -- seconds a server has to start listening
local STOP_WAIT = 3 -- seconds a server has to exit after SIGTERM (then SIGKILL)
local LIFETIME = 120 -- default upper bound on a server's life (seconds)
local CLIENT_TIMEOUT = 10

---------------------------------------------------------------------------------------------
-- small utilities

local function quote(s)
   s = tostring(s)
   if s:match("^[%w%._/:=,+@%-]+$") then
      return s
   end
   return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function join(argv)
   local q = {}
   for i, a in ipairs(argv) do
      q[i] = quote(a)
   end
   return table.concat(q, " ")
end

local function append(list, more)
   for _, v in ipairs(more or {}) do
      list[#list + 1] = v
   end
   return list
end

local function readfile(path)
   local f = io.open(path, "rb")
   if not f then
      return nil
   end
   local s = f:read("a")
   f:close()
   return s
end

-- A command line that runs `script` in bash with every inherited descriptor above 2 closed:
-- LuaSocket sockets (a listener under test, say) are not close-on-exec, and a peer that
-- inherited one would keep its port open and confuse the listening-socket check.
local function isolated(script)
   return "exec bash -c " .. quote('for f in /proc/$$/fd/*; do n=${f##*/}; '
      .. 'if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; ' .. script)
end

local function shell(cmd)
   local p = assert(io.popen(cmd, "r"))
   local out = p:read("a")
   local ok, _, code = p:close()
   return ok == true, code, out
end

local workdir, counter = nil, 0

-- A fresh path in this process's temporary directory (made on first use, removed at exit).
local function tmpname(hint)
   if not workdir then
      workdir = helpers.tmpdir()
   end
   counter = counter + 1
   return string.format("%s/%03d-%s", workdir, counter, hint)
end

local function tail(text, n)
   text = text or ""
   if #text > n then
      return "..." .. text:sub(-n)
   end
   return text
end

---------------------------------------------------------------------------------------------
-- processes (Linux /proc)

-- State letter of a process, or nil when it does not exist.
local function pstate(pid)
   local s = readfile("/proc/" .. pid .. "/stat")
   return s and s:match("^%d+ %b() (%a)")
end

local function alive(pid)
   local st = pstate(pid)
   return st ~= nil and st ~= "Z" and st ~= "X"
end

-- Live processes of a process group.
local function group(pgid)
   local _, _, out = shell("pgrep -g " .. pgid .. " 2>/dev/null")
   local pids = {}
   for pid in out:gmatch("%d+") do
      if alive(pid) then
         pids[#pids + 1] = tonumber(pid)
      end
   end
   return pids
end

-- Socket inodes listening on TCP port `port` (IPv4 and IPv6), with their local addresses.
local function listeners(port)
   local found = {}
   local hexport = string.format(":%04X", port)
   for _, f in ipairs { "/proc/net/tcp", "/proc/net/tcp6" } do
      for line in (readfile(f) or ""):gmatch("[^\n]+") do
         local idx, loc, state, inode = line:match("^%s*(%d+):%s+(%x+:%x+)%s+%x+:%x+%s+(%x%x)"
            .. "%s+%S+%s+%S+%s+%S+%s+%d+%s+%d+%s+(%d+)")
         if idx and state == "0A" and loc:sub(-5) == hexport then
            found[#found + 1] = { inode = inode, addr = loc:sub(1, -6) }
         end
      end
   end
   return found
end

-- The listening sockets on port that belong to one of pids.
local function owned_listeners(port, pids)
   local socks = listeners(port)
   if #socks == 0 or #pids == 0 then
      return {}
   end
   local fds = {}
   for _, pid in ipairs(pids) do
      local _, _, out = shell("ls -l /proc/" .. pid .. "/fd 2>/dev/null")
      fds[#fds + 1] = out
   end
   fds = table.concat(fds, "\n")
   local mine = {}
   for _, s in ipairs(socks) do
      if fds:find("socket:[" .. s.inode .. "]", 1, true) then
         mine[#mine + 1] = s
      end
   end
   return mine
end

local function is_loopback(hexaddr)
   -- /proc/net/tcp prints the address in host byte order words: 127.x.x.x is "..7F"
   if #hexaddr == 8 then
      return hexaddr:sub(7, 8) == "7F"
   end
   return hexaddr == "00000000000000000000000001000000"
end

---------------------------------------------------------------------------------------------
-- ports

--- A TCP port on 127.0.0.1 that was free a moment ago.
function peers.free_port()
   local s = assert(socket.bind("127.0.0.1", 0))
   local _, port = s:getsockname()
   s:close()
   return assert(tonumber(port))
end

--- Whether something accepts TCP connections on 127.0.0.1:port (one attempt, 1 s at most).
function peers.port_open(port)
   local c = socket.tcp()
   c:settimeout(1)
   local ok = c:connect("127.0.0.1", port)
   c:close()
   return ok == 1
end

---------------------------------------------------------------------------------------------
-- servers

local running = {} -- handle -> true, every server not yet stopped

local function stop_handle(h)
   if h.stopped then
      return
   end
   h.stopped = true
   running[h] = nil
   os.execute("kill -TERM -" .. h.pid .. " 2>/dev/null")
   local deadline = socket.gettime() + STOP_WAIT
   while #group(h.pid) > 0 and socket.gettime() < deadline do
      socket.sleep(0.02)
   end
   if #group(h.pid) > 0 then
      os.execute("kill -KILL -" .. h.pid .. " 2>/dev/null")
      deadline = socket.gettime() + 1
      while #group(h.pid) > 0 and socket.gettime() < deadline do
         socket.sleep(0.02)
      end
   end
   if h.fifo then
      h.fifo:close()
      h.fifo = nil
   end
   if h.proc and #group(h.pid) == 0 then
      h.proc:close() -- reaps the process (PID 1 here may not reap orphans)
      h.proc = nil
   end
   local left = group(h.pid)
   if #left > 0 then
      error(string.format("peers: %s (pid %d) does not die: %s", h.name, h.pid,
         table.concat(left, " ")), 0)
   end
end

local function new_handle(name, pid, port, logpath)
   local h = { name = name, pid = pid, port = port, logpath = logpath }
   h.log = function()
      return readfile(logpath) or ""
   end
   h.stop = function()
      stop_handle(h)
   end
   h.alive = function()
      return not h.stopped and #group(pid) > 0
   end
   h.write = function(data)
      assert(h.fifo, "peers: this server has no stdin to write to")
      assert(h.fifo:write(data))
      h.fifo:flush()
   end
   running[h] = true
   return h
end

-- Starts argv (a list) in its own session, under timeout; stdin from `stdin` (a path).
-- The process is a child of this one (io.popen, so that closing the pipe reaps it), and
-- the leader of its own session and process group. Returns the pid (= pgid) and the pipe.
local function spawn(argv, stdin, logpath, lifetime, env)
   local cmd = string.format("echo $$; exec setsid %stimeout -k 2 %d %s <%s >%s 2>&1",
      env or "", lifetime, join(argv), quote(stdin), quote(logpath))
   local p = assert(io.popen(isolated(cmd), "r"))
   local pid = tonumber(p:read("l") or "")
   assert(pid, "peers: cannot start " .. argv[1])
   return pid, p
end

local function in_use(log)
   return log:find("[Aa]ddress already in use") ~= nil or log:find("EADDRINUSE") ~= nil
end

-- Starts a server (make_argv(port) -> argv) and waits until it listens.
local function start_server(name, opts, make_argv, setup)
   local tries = opts.port and 1 or 5
   local last
   for _ = 1, tries do
      local port = opts.port or peers.free_port()
      local logpath = tmpname(name:gsub("%W", "-") .. ".log")
      local stdin, fifo, env = "/dev/null", nil, nil
      if setup then
         stdin, fifo, env = setup()
      end
      local pid, proc = spawn(make_argv(port), stdin, logpath, opts.lifetime or LIFETIME, env)
      local h = new_handle(name, pid, port, logpath)
      h.fifo, h.proc = fifo, proc
      local deadline = socket.gettime() + (opts.start_wait or START_WAIT)
      local status
      while true do
         local pids = group(pid)
         -- pgrep can come back empty under heavy load: the leader's own liveness decides
         if #pids == 0 and not alive(pid) then
            status = "exited"
            break
         end
         local mine = owned_listeners(port, pids)
         if #mine > 0 then
            h.loopback_only = true
            for _, s in ipairs(mine) do
               h.loopback_only = h.loopback_only and is_loopback(s.addr)
            end
            return h
         end
         if socket.gettime() > deadline then
            status = "timeout"
            break
         end
         socket.sleep(0.02)
      end
      local log = h.log()
      stop_handle(h)
      if status == "timeout" then
         error(string.format("peers: %s did not listen on 127.0.0.1:%d within %g s; log:\n%s",
            name, port, opts.start_wait or START_WAIT, tail(log, 2000)), 0)
      end
      last = string.format("peers: %s exited before listening on port %d; log:\n%s", name,
         port, tail(log, 2000))
      if not (in_use(log) and not opts.port) then
         error(last, 0)
      end
   end
   error(last, 0)
end

local function need_file(what, path)
   if type(path) ~= "string" then
      error("peers: " .. what .. " (a file path) is required", 3)
   end
end

--- Starts `openssl s_server` on 127.0.0.1; see the header.
function peers.openssl_server(opts)
   need_file("cert", opts.cert)
   need_file("key", opts.key)
   local function argv(port)
      local a = { "openssl", "s_server", "-accept", "127.0.0.1:" .. port,
         "-cert", opts.cert, "-key", opts.key }
      if opts.www then
         a[#a + 1] = "-www"
      end
      return append(a, opts.args)
   end
   local function setup()
      -- a FIFO as stdin: s_server never sees EOF (which would end it) and handle.write works
      local path = tmpname("stdin.fifo")
      assert(os.execute("mkfifo " .. quote(path)), "peers: mkfifo failed")
      local f = assert(io.open(path, "r+")) -- O_RDWR: opening does not block
      return path, f, nil
   end
   return start_server("openssl s_server", opts, argv, setup)
end

local shim -- path of the built loopback_bind.so, or false when it cannot be built

local function loopback_shim()
   if shim == nil then
      local src = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
      src = (src or "spec/support") .. "/loopback_bind.c"
      local so = tmpname("loopback_bind.so")
      local ok = shell(string.format("cc -shared -fPIC -O2 -o %s %s -ldl 2>&1", quote(so),
         quote(src)))
      shim = ok and so or false
   end
   return shim
end

--- Starts `gnutls-serv` listening on 127.0.0.1 (and ::1); see the header.
function peers.gnutls_server(opts)
   need_file("cert", opts.cert)
   need_file("key", opts.key)
   local function argv(port)
      local a = { "gnutls-serv", "--x509certfile", opts.cert, "--x509keyfile", opts.key,
         "-p", tostring(port) }
      if opts.mode then
         assert(opts.mode == "echo" or opts.mode == "http", "peers: mode is echo or http")
         a[#a + 1] = "--" .. opts.mode
      end
      if opts.priority then
         a[#a + 1] = "--priority=" .. opts.priority
      end
      return append(a, opts.args)
   end
   local function setup()
      local so = loopback_shim()
      return "/dev/null", nil, so and ("env LD_PRELOAD=" .. quote(so) .. " ") or nil
   end
   return start_server("gnutls-serv", opts, argv, setup)
end

--- Stops every server started and not yet stopped.
function peers.stop_all()
   local errs = {}
   for h in pairs(running) do
      local ok, err = pcall(stop_handle, h)
      if not ok then
         errs[#errs + 1] = err
      end
   end
   if #errs > 0 then
      error(table.concat(errs, "\n"), 0)
   end
end

--- The servers still running (handles).
function peers.running()
   local list = {}
   for h in pairs(running) do
      list[#list + 1] = h
   end
   return list
end

-- When the Lua state closes (busted exits with os.exit(code, true)), nothing stays behind.
peers._sentinel = setmetatable({}, {
   __gc = function()
      pcall(peers.stop_all)
      if workdir then
         pcall(helpers.rmtree, workdir)
      end
   end,
})

---------------------------------------------------------------------------------------------
-- clients

-- Runs argv with a hard timeout; input on stdin, held open as described in the header.
local function run_client(argv, opts)
   local timeout = opts.timeout or CLIENT_TIMEOUT
   local out, err, pidfile = tmpname("out"), tmpname("err"), tmpname("pid")
   local cmd = string.format("echo $$ >%s; exec timeout -k 1 %g %s >%s 2>%s", quote(pidfile),
      timeout, join(argv), quote(out), quote(err))
   local started = socket.gettime()
   local p = assert(io.popen(isolated(cmd), "w"))
   if opts.input and #opts.input > 0 then
      p:write(opts.input) -- SIGPIPE is ignored (LuaSocket); an early exit is not an error
      p:flush()
   end
   local hold = opts.hold or (opts.expect and timeout or 0)
   local deadline = started + math.min(hold, timeout + 2)
   local pid
   while socket.gettime() < deadline do
      pid = pid or tonumber((readfile(pidfile) or ""):match("%d+"))
      if pid and not alive(pid) then
         break
      end
      if opts.expect and (readfile(out) or ""):find(opts.expect, 1, true) then
         break
      end
      socket.sleep(0.02)
   end
   local _, how, code = p:close()
   local r = {
      code = how == "exit" and code or 128 + code,
      stdout = readfile(out) or "",
      stderr = readfile(err) or "",
      elapsed = socket.gettime() - started,
   }
   r.ok = r.code == 0
   r.timed_out = r.code == 124 or r.code == 137
   os.remove(out)
   os.remove(err)
   os.remove(pidfile)
   return r
end

local function need_port(opts)
   if type(opts.port) ~= "number" then
      error("peers: port (a number) is required", 3)
   end
end

--- Runs `openssl s_client -connect 127.0.0.1:PORT ...`; see the header.
function peers.openssl_client(opts)
   need_port(opts)
   local a = { "openssl", "s_client", "-connect", "127.0.0.1:" .. opts.port }
   if opts.cafile then
      append(a, { "-CAfile", opts.cafile })
   end
   if opts.servername then
      append(a, { "-servername", opts.servername })
   end
   if opts.alpn then
      append(a, { "-alpn", table.concat(opts.alpn, ",") })
   end
   local r = run_client(append(a, opts.args), opts)
   r.info = peers.parse_openssl_client(r.stdout)
   return r
end

--- Runs `gnutls-cli -p PORT 127.0.0.1 ...`; see the header.
function peers.gnutls_client(opts)
   need_port(opts)
   local a = { "gnutls-cli", "-p", tostring(opts.port), "127.0.0.1" }
   if opts.cafile then
      a[#a + 1] = "--x509cafile=" .. opts.cafile
   end
   if opts.insecure then
      a[#a + 1] = "--insecure"
   end
   if opts.servername then
      a[#a + 1] = "--sni-hostname=" .. opts.servername
      a[#a + 1] = "--verify-hostname=" .. opts.servername
   end
   for _, p in ipairs(opts.alpn or {}) do
      a[#a + 1] = "--alpn=" .. p
   end
   if opts.priority then
      a[#a + 1] = "--priority=" .. opts.priority
   end
   local r = run_client(append(a, opts.args), opts)
   r.info = peers.parse_gnutls_client(r.stdout .. "\n" .. r.stderr)
   return r
end

--- Runs `curl -sS -v URL ...` (URL default https://127.0.0.1:PORT/PATH); see the header.
function peers.curl(opts)
   local url = opts.url
   if not url then
      need_port(opts)
      url = string.format("https://127.0.0.1:%d%s", opts.port, opts.path or "/")
   end
   local timeout = opts.timeout or CLIENT_TIMEOUT
   local a = { "curl", "-sS", "-v", "--max-time", tostring(timeout), "--proto", "=https" }
   if opts.cafile then
      append(a, { "--cacert", opts.cafile })
   end
   if opts.insecure then
      a[#a + 1] = "-k"
   end
   if opts.alpn == false then
      a[#a + 1] = "--no-alpn"
   end
   append(a, opts.args)
   a[#a + 1] = url
   local r = run_client(a, { timeout = timeout + 1, input = opts.input })
   r.info = peers.parse_curl(r.stderr)
   return r
end

local PY_SCRIPT
do
   local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "spec/support"
   PY_SCRIPT = dir .. "/py_tls_client.py"
end

local python
local function python_path()
   if python == nil then
      local f = io.open("/usr/bin/python3")
      if f then
         f:close()
         python = "/usr/bin/python3"
      else
         python = "python3"
      end
   end
   return python
end

--- Runs spec/support/py_tls_client.py (python3's ssl) against 127.0.0.1:PORT; see the header.
function peers.python_client(opts)
   need_port(opts)
   local timeout = opts.timeout or CLIENT_TIMEOUT
   local a = { python_path(), PY_SCRIPT, "--port", tostring(opts.port),
      "--timeout", tostring(timeout) }
   if opts.cafile then
      append(a, { "--cafile", opts.cafile })
   end
   if opts.insecure then
      a[#a + 1] = "--insecure"
   end
   if opts.servername then
      append(a, { "--sni", opts.servername })
   end
   if opts.alpn then
      append(a, { "--alpn", table.concat(opts.alpn, ",") })
   end
   if opts.ciphers then
      append(a, { "--ciphers", opts.ciphers })
   end
   append(a, opts.script_args)
   local r = run_client(a, { timeout = timeout + 1, input = opts.input })
   local line, rest = r.stdout:match("^([^\n]*)\n?(.*)$")
   local json = require "dkjson"
   r.info = json.decode(line or "") or {}
   r.data = rest
   return r
end

---------------------------------------------------------------------------------------------
-- parsers

--- "tls1.2" from "TLSv1.2", "TLS1.2", "tls1.2", "TLS1.2-X.509" (nil for nil).
function peers.version(s)
   if not s then
      return nil
   end
   local v = s:lower():match("^tlsv?(1%.%d)")
   if v then
      return "tls" .. v
   end
   return s:lower()
end

function peers.parse_openssl_client(text)
   local r = { handshakes = {} }
   for line in text:gmatch("[^\n]+") do
      local kind, proto, cipher = line:match("^(%a+), (%S+), Cipher is (%S+)")
      if kind == "New" or kind == "Reused" then
         local hs = { reused = kind == "Reused", protocol = proto, cipher = cipher }
         r.handshakes[#r.handshakes + 1] = hs
      end
      local hs = r.handshakes[#r.handshakes]
      if hs then
         local v
         v = line:match("^ALPN protocol: (%S+)")
         if v then
            hs.alpn = v
         end
         v = line:match("^%s+Session%-ID: (%x+)")
         if v then
            hs.session_id = v
         end
         local code, what = line:match("^%s*Verify return code: (%d+) %((.*)%)")
         if code then
            hs.verify_code, hs.verify = tonumber(code), what
         end
         v = line:match("^%s+Protocol%s+: (%S+)")
         if v then
            hs.session_protocol = v
         end
      end
   end
   local first = r.handshakes[1]
   if first then
      for k, v in pairs(first) do
         r[k] = v
      end
   end
   return r
end

function peers.parse_gnutls_client(text)
   local r = { handshakes = {} }
   local hs
   for line in text:gmatch("[^\n]+") do
      local d = line:match("^%- Description: (.*)$")
      if d then
         hs = { description = d, resumed = false }
         local parts = {}
         for p in d:gmatch("%(([^)]*)%)") do
            parts[#parts + 1] = p
         end
         hs.protocol = parts[1] and parts[1]:match("^([^-]+)")
         hs.kx = parts[2]
         -- a CBC suite ends in its MAC: (AES-128-CBC)-(SHA1)
         local last = parts[#parts]
         if last and (last:match("^SHA%d+$") or last == "MD5") then
            hs.mac = last
            parts[#parts] = nil
         end
         if #parts >= 4 then
            hs.auth = parts[3]
         end
         hs.cipher = parts[#parts]
         r.handshakes[#r.handshakes + 1] = hs
      elseif hs then
         local v = line:match("^%- Session ID: (%S+)")
         if v then
            hs.session_id = v
         end
         v = line:match("^%- Application protocol: (%S+)")
         if v then
            hs.alpn = v
         end
         if line:find("^%*%*%* This is a resumed session") then
            hs.resumed = true
         end
         v = line:match("^%- Options: (.*)$")
         if v then
            hs.etm = v:find("EtM", 1, true) ~= nil
         end
      end
   end
   local first = r.handshakes[1]
   if first then
      for k, v in pairs(first) do
         r[k] = v
      end
   end
   r.resumed = #r.handshakes > 1 and r.handshakes[#r.handshakes].resumed or false
   r.handshake_ok = text:find("%- Handshake was completed") ~= nil
   return r
end

function peers.parse_openssl_www(page)
   local r = {}
   local kind, proto, cipher = page:match("\n(%a+), (%S+), Cipher is (%S+)")
   if kind then
      r.reused, r.protocol, r.cipher = kind == "Reused", proto, cipher
   end
   r.session_protocol = page:match("\n%s*Protocol%s+: (%S+)")
   r.session_cipher = page:match("\n%s*Cipher%s+: (%S+)")
   r.protocol = r.protocol or r.session_protocol
   r.cipher = r.cipher or r.session_cipher
   return r
end

function peers.parse_gnutls_http(page)
   return {
      protocol = page:match("Protocol version:</TD><TD>([^<]+)"),
      suite = page:match("Ciphersuite</TD><TD>([^<]+)"),
      cipher = page:match("<TD>Cipher</TD><TD>([^<]+)"),
      session_id = page:match("Session ID:</TD><TD>([^<]+)"),
   }
end

function peers.parse_curl(text)
   local proto, cipher = text:match("SSL connection using (%S+) / (%S+)")
   return {
      protocol = proto,
      cipher = cipher,
      alpn = text:match("ALPN: server accepted (%S+)")
         or text:match("ALPN, server accepted to use (%S+)"),
   }
end

---------------------------------------------------------------------------------------------
-- tools

local available

--- Which peers exist here: {openssl=, gnutls_serv=, gnutls_cli=, curl=, python3=}
-- (python3 true only when it imports ssl).
function peers.available()
   if not available then
      local function has(cmd)
         return (shell("command -v " .. cmd .. " >/dev/null 2>&1"))
      end
      available = {
         openssl = has("openssl"),
         gnutls_serv = has("gnutls-serv"),
         gnutls_cli = has("gnutls-cli"),
         curl = has("curl"),
         python3 = (shell(quote(python_path()) .. " -c 'import ssl' >/dev/null 2>&1")),
         cc = has("cc"),
      }
   end
   return available
end

---------------------------------------------------------------------------------------------
-- cipher suites

-- rows: IANA name, id, OpenSSL name, GnuTLS --list name, GnuTLS kx, cipher, openssl_ok,
-- gnutls_ok (facts, see the header; spec/60-peers_spec.lua checks them)
local SUITES = {
   { "TLS_AES_128_GCM_SHA256", 0x1301, "TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256",
      nil, "AES-128-GCM", true, true },
   { "TLS_AES_256_GCM_SHA384", 0x1302, "TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384",
      nil, "AES-256-GCM", true, true },
   { "TLS_CHACHA20_POLY1305_SHA256", 0x1303, "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_CHACHA20_POLY1305_SHA256", nil, "CHACHA20-POLY1305", true, true },
   { "TLS_AES_128_CCM_SHA256", 0x1304, "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_SHA256",
      nil, "AES-128-CCM", true, true },
   { "TLS_AES_128_CCM_8_SHA256", 0x1305, "TLS_AES_128_CCM_8_SHA256",
      "TLS_AES_128_CCM_8_SHA256", nil, "AES-128-CCM-8", true, true },

   { "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b, "ECDHE-ECDSA-AES128-GCM-SHA256",
      "TLS_ECDHE_ECDSA_AES_128_GCM_SHA256", "ECDHE-ECDSA", "AES-128-GCM", true, true },
   { "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c, "ECDHE-ECDSA-AES256-GCM-SHA384",
      "TLS_ECDHE_ECDSA_AES_256_GCM_SHA384", "ECDHE-ECDSA", "AES-256-GCM", true, true },
   { "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9, "ECDHE-ECDSA-CHACHA20-POLY1305",
      "TLS_ECDHE_ECDSA_CHACHA20_POLY1305", "ECDHE-ECDSA", "CHACHA20-POLY1305", true, true },
   { "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", 0xc0ac, "ECDHE-ECDSA-AES128-CCM",
      "TLS_ECDHE_ECDSA_AES_128_CCM", "ECDHE-ECDSA", "AES-128-CCM", true, true },
   { "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", 0xc0ad, "ECDHE-ECDSA-AES256-CCM",
      "TLS_ECDHE_ECDSA_AES_256_CCM", "ECDHE-ECDSA", "AES-256-CCM", true, true },
   { "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", 0xc0ae, "ECDHE-ECDSA-AES128-CCM8",
      "TLS_ECDHE_ECDSA_AES_128_CCM_8", "ECDHE-ECDSA", "AES-128-CCM-8", true, true },
   { "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", 0xc0af, "ECDHE-ECDSA-AES256-CCM8",
      "TLS_ECDHE_ECDSA_AES_256_CCM_8", "ECDHE-ECDSA", "AES-256-CCM-8", true, true },
   { "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", 0xc086, nil,
      "TLS_ECDHE_ECDSA_CAMELLIA_128_GCM_SHA256", "ECDHE-ECDSA", "CAMELLIA-128-GCM", false, true },
   { "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", 0xc087, nil,
      "TLS_ECDHE_ECDSA_CAMELLIA_256_GCM_SHA384", "ECDHE-ECDSA", "CAMELLIA-256-GCM", false, true },

   { "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f, "ECDHE-RSA-AES128-GCM-SHA256",
      "TLS_ECDHE_RSA_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM", true, true },
   { "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030, "ECDHE-RSA-AES256-GCM-SHA384",
      "TLS_ECDHE_RSA_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM", true, true },
   { "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8, "ECDHE-RSA-CHACHA20-POLY1305",
      "TLS_ECDHE_RSA_CHACHA20_POLY1305", "ECDHE-RSA", "CHACHA20-POLY1305", true, true },
   { "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", 0xc08a, nil,
      "TLS_ECDHE_RSA_CAMELLIA_128_GCM_SHA256", "ECDHE-RSA", "CAMELLIA-128-GCM", false, true },
   { "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", 0xc08b, nil,
      "TLS_ECDHE_RSA_CAMELLIA_256_GCM_SHA384", "ECDHE-RSA", "CAMELLIA-256-GCM", false, true },

   { "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009e, "DHE-RSA-AES128-GCM-SHA256",
      "TLS_DHE_RSA_AES_128_GCM_SHA256", "DHE-RSA", "AES-128-GCM", true, true },
   { "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x009f, "DHE-RSA-AES256-GCM-SHA384",
      "TLS_DHE_RSA_AES_256_GCM_SHA384", "DHE-RSA", "AES-256-GCM", true, true },
   { "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xccaa, "DHE-RSA-CHACHA20-POLY1305",
      "TLS_DHE_RSA_CHACHA20_POLY1305", "DHE-RSA", "CHACHA20-POLY1305", true, true },
   { "TLS_DHE_RSA_WITH_AES_128_CCM", 0xc09e, "DHE-RSA-AES128-CCM",
      "TLS_DHE_RSA_AES_128_CCM", "DHE-RSA", "AES-128-CCM", true, true },
   { "TLS_DHE_RSA_WITH_AES_256_CCM", 0xc09f, "DHE-RSA-AES256-CCM",
      "TLS_DHE_RSA_AES_256_CCM", "DHE-RSA", "AES-256-CCM", true, true },
   { "TLS_DHE_RSA_WITH_AES_128_CCM_8", 0xc0a2, "DHE-RSA-AES128-CCM8",
      "TLS_DHE_RSA_AES_128_CCM_8", "DHE-RSA", "AES-128-CCM-8", true, true },
   { "TLS_DHE_RSA_WITH_AES_256_CCM_8", 0xc0a3, "DHE-RSA-AES256-CCM8",
      "TLS_DHE_RSA_AES_256_CCM_8", "DHE-RSA", "AES-256-CCM-8", true, true },
   { "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", 0xc07c, nil,
      "TLS_DHE_RSA_CAMELLIA_128_GCM_SHA256", "DHE-RSA", "CAMELLIA-128-GCM", false, true },
   { "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", 0xc07d, nil,
      "TLS_DHE_RSA_CAMELLIA_256_GCM_SHA384", "DHE-RSA", "CAMELLIA-256-GCM", false, true },

   { "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c, "AES128-GCM-SHA256",
      "TLS_RSA_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", true, true },
   { "TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d, "AES256-GCM-SHA384",
      "TLS_RSA_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", true, true },
   { "TLS_RSA_WITH_AES_128_CCM", 0xc09c, "AES128-CCM", "TLS_RSA_AES_128_CCM", "RSA",
      "AES-128-CCM", true, true },
   { "TLS_RSA_WITH_AES_256_CCM", 0xc09d, "AES256-CCM", "TLS_RSA_AES_256_CCM", "RSA",
      "AES-256-CCM", true, true },
   { "TLS_RSA_WITH_AES_128_CCM_8", 0xc0a0, "AES128-CCM8", "TLS_RSA_AES_128_CCM_8", "RSA",
      "AES-128-CCM-8", true, true },
   { "TLS_RSA_WITH_AES_256_CCM_8", 0xc0a1, "AES256-CCM8", "TLS_RSA_AES_256_CCM_8", "RSA",
      "AES-256-CCM-8", true, true },
   { "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", 0xc07a, nil,
      "TLS_RSA_CAMELLIA_128_GCM_SHA256", "RSA", "CAMELLIA-128-GCM", false, true },
   { "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384", 0xc07b, nil,
      "TLS_RSA_CAMELLIA_256_GCM_SHA384", "RSA", "CAMELLIA-256-GCM", false, true },
}

-- Suites each tool offers with its default settings (ids; facts, see the header).
local OPENSSL_DEFAULT = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02c, 0xcca9, 0xc02f, 0xc030,
   0xcca8, 0x009e, 0x009f, 0xccaa, 0x009c, 0x009d }
local GNUTLS_DEFAULT = { 0x1301, 0x1302, 0x1303, 0x1304, 0xc02b, 0xc02c, 0xcca9, 0xc0ac,
   0xc0ad, 0xc02f, 0xc030, 0xcca8, 0x009e, 0x009f, 0xccaa, 0xc09e, 0xc09f, 0x009c, 0x009d,
   0xc09c, 0xc09d }

local function set(list)
   local t = {}
   for _, v in ipairs(list) do
      t[v] = true
   end
   return t
end
OPENSSL_DEFAULT, GNUTLS_DEFAULT = set(OPENSSL_DEFAULT), set(GNUTLS_DEFAULT)

peers.suite_names = {}
peers.suite_order = {} -- IANA names in the order of csrc/suites.c
for _, row in ipairs(SUITES) do
   local iana, id, ossl, glist, kx, cipher, ossl_ok, gnutls_ok = table.unpack(row, 1, 8)
   local items = { "+" .. cipher, "+AEAD" }
   if kx then
      table.insert(items, 1, "+" .. kx)
   end
   peers.suite_names[iana] = {
      id = id,
      version = kx and "tls1.2" or "tls1.3",
      kx = kx,
      auth = kx and (kx:match("ECDSA") and "ecdsa" or "rsa") or nil,
      openssl = ossl,
      gnutls = glist,
      gnutls_cipher = cipher,
      gnutls_priority = table.concat(items, ":"),
      openssl_ok = ossl_ok,
      gnutls_ok = gnutls_ok,
      openssl_default = OPENSSL_DEFAULT[id] == true,
      gnutls_default = GNUTLS_DEFAULT[id] == true,
   }
   peers.suite_order[#peers.suite_order + 1] = iana
end

local function suite(name)
   local s = peers.suite_names[name]
   if not s then
      error("peers: unknown suite " .. tostring(name), 3)
   end
   return s
end

--- openssl s_server/s_client options allowing exactly that suite (and its version only).
function peers.openssl_cipher_args(name)
   local s = suite(name)
   if not s.openssl then
      error("peers: OpenSSL here has no " .. name, 2)
   end
   if s.version == "tls1.3" then
      return { "-tls1_3", "-ciphersuites", s.openssl }
   end
   return { "-tls1_2", "-cipher", s.openssl .. ":@SECLEVEL=1" }
end

--- A GnuTLS priority string allowing exactly that suite (and its version only).
function peers.gnutls_priority(name)
   local s = suite(name)
   local vers = s.version == "tls1.3" and "+VERS-TLS1.3" or "+VERS-TLS1.2"
   return "NORMAL:-VERS-ALL:" .. vers .. ":-CIPHER-ALL:+" .. s.gnutls_cipher ..
      ":-MAC-ALL:+AEAD" .. (s.kx and (":-KX-ALL:+" .. s.kx) or "")
end

--- A GnuTLS priority string for a server that accepts every suite moontls has.
peers.gnutls_priority_all = "NORMAL:+CAMELLIA-128-GCM:+CAMELLIA-256-GCM:+AES-128-CCM-8:"
   .. "+AES-256-CCM-8"

return peers
