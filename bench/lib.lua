--- Helpers shared by the bench/ scripts: paths, processes, CPU time, a throwaway PKI.
-- Every bench script runs from the checkout root (make bench does that).
package.path = "lua/?.lua;lua/?/init.lua;bench/?.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath

local socket = require "socket"

local M = {}

M.LUA = os.getenv("LUA") or "lua5.4"
M.HZ = 100 -- USER_HZ: /proc/PID/stat counts CPU time in these ticks

function M.quote(s)
   return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

function M.join(argv)
   local q = {}
   for i, a in ipairs(argv) do q[i] = M.quote(a) end
   return table.concat(q, " ")
end

function M.readfile(path)
   local f = io.open(path, "rb")
   if not f then return nil end
   local s = f:read("a")
   f:close()
   return s
end

function M.writefile(path, s)
   local f = assert(io.open(path, "wb"))
   f:write(s)
   f:close()
end

--- Runs a shell command; returns its stdout, or raises with its output.
function M.sh(cmd)
   local p = assert(io.popen(cmd .. " 2>&1"))
   local out = p:read("a")
   local ok, _, code = p:close()
   if not ok then error(("bench: `%s` failed (%s):\n%s"):format(cmd, tostring(code), out), 2) end
   return out
end

local tmp
--- A temporary directory for this run (removed at exit by run.lua's caller, or left in /tmp).
function M.tmpdir()
   if not tmp then
      tmp = M.sh("mktemp -d /tmp/moontls-bench.XXXXXX"):gsub("%s+$", "")
   end
   return tmp
end

--- utime + stime in seconds of every process in process group `pgid`.
function M.group_cpu(pgid)
   local total = 0
   local pids = io.popen("pgrep -g " .. math.tointeger(pgid)):read("a")
   for pid in pids:gmatch("%d+") do
      local st = M.readfile("/proc/" .. pid .. "/stat")
      if st then
         -- fields after the ")" of the command name: state is field 3, utime 14, stime 15
         local rest = st:match("%) (.*)$")
         local f = {}
         for w in rest:gmatch("%S+") do f[#f + 1] = w end
         total = total + tonumber(f[12]) + tonumber(f[13])
      end
   end
   return total / M.HZ
end

--- Runs a shell command to completion; returns its stdout and the CPU seconds (user +
-- system) it and its children used, from wait4's rusage (microseconds, where /proc's
-- counters only have 10 ms ticks).
function M.run_cpu(cmd)
   local py = "import os,subprocess,sys\n"
      .. "p=subprocess.Popen(['sh','-c',sys.argv[1]])\n"
      .. "_,st,ru=os.wait4(p.pid,0)\n"
      .. "sys.stderr.write('CPU %.6f %d\\n'%(ru.ru_utime+ru.ru_stime,st))\n"
   local p = assert(io.popen("python3 -c " .. M.quote(py) .. " " .. M.quote(cmd) .. " 2>&1"))
   local out = p:read("a")
   p:close()
   local body, cpu, st = out:match("^(.-)CPU ([%d.]+) (%d+)\n?$")
   assert(cpu and st == "0", "bench: `" .. cmd .. "` failed:\n" .. out)
   return body, tonumber(cpu)
end

local servers = {}

--- Starts argv in its own session (pid = pgid) with stdout+stderr to a log, under `timeout`;
-- waits until the log matches `ready` (a Lua pattern; its capture, if any, is returned).
-- Its stdin is a FIFO this process holds open (openssl s_server ends at EOF on stdin).
function M.start(argv, ready, lifetime)
   local log = os.tmpname()
   local fifo = log .. ".fifo"
   M.sh("mkfifo " .. M.quote(fifo))
   local hold = assert(io.open(fifo, "r+"))
   local cmd = ("echo $$; exec setsid timeout -k 2 %d %s <%s >%s 2>&1"):format(
      lifetime or 900, M.join(argv), M.quote(fifo), M.quote(log))
   -- bash closes the descriptors inherited from this process (other servers' pipes) first
   cmd = "exec bash -c " .. M.quote('for f in /proc/$$/fd/*; do n=${f##*/}; '
      .. 'if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; ' .. cmd)
   local p = assert(io.popen(cmd, "r"))
   local pid = assert(tonumber(p:read("l")))
   local h = { pid = pid, proc = p, log = log, fifo = fifo, hold = hold }
   servers[h] = true
   local deadline = socket.gettime() + 10
   while true do
      local text = M.readfile(log) or ""
      local cap = text:match(ready)
      if cap then
         h.ready = cap
         break
      end
      if socket.gettime() > deadline then
         M.stop(h)
         error("bench: " .. argv[1] .. " did not start:\n" .. text, 2)
      end
      socket.sleep(0.02)
   end
   return h
end

function M.stop(h)
   if not servers[h] then return end
   servers[h] = nil
   os.execute("kill -TERM -" .. h.pid .. " 2>/dev/null")
   h.proc:close()
   h.hold:close()
   os.remove(h.log)
   os.remove(h.fifo)
end

function M.stop_all()
   for h in pairs(servers) do M.stop(h) end
end

--- A free TCP port on 127.0.0.1 (bound and released).
function M.free_port()
   local s = assert(socket.bind("127.0.0.1", 0))
   local _, port = s:getsockname()
   s:close()
   return math.tointeger(tonumber(port))
end

local pki
--- Certificates made with openssl in the temporary directory: ec (P-256 leaf + root),
-- rsa (RSA-2048 leaf + root), chain (root -> intermediate -> leaf, EC P-256). Cached.
function M.pki()
   if pki then return pki end
   local d = M.tmpdir()
   local function o(args) M.sh("openssl " .. args) end
   local function key(name, alg)
      local opt = alg == "rsa" and "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"
         or "-algorithm EC -pkeyopt ec_paramgen_curve:P-256"
      o(("genpkey %s -out %s/%s.key"):format(opt, d, name))
      return d .. "/" .. name .. ".key"
   end
   local function root(name, alg)
      local k = key(name, alg)
      o(("req -x509 -new -key %s -subj /CN=%s -days 30 -out %s/%s.pem -addext "
         .. "basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign")
         :format(k, name, d, name))
      return { key = k, cert = d .. "/" .. name .. ".pem" }
   end
   local function issue(name, alg, ca, ext)
      local k = key(name, alg)
      M.writefile(d .. "/" .. name .. ".ext", ext)
      o(("req -new -key %s -subj /CN=%s -out %s/%s.csr"):format(k, name, d, name))
      o(("x509 -req -in %s/%s.csr -CA %s -CAkey %s -CAcreateserial -days 30 -out %s/%s.pem "
         .. "-extfile %s/%s.ext"):format(d, name, ca.cert, ca.key, d, name, d, name))
      return { key = k, cert = d .. "/" .. name .. ".pem", ca = ca.cert }
   end
   local leaf_ext = "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,"
      .. "keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,"
      .. "IP:127.0.0.1\n"
   local ec_root, rsa_root = root("ec-root", "ec"), root("rsa-root", "rsa")
   pki = { ec = issue("ec-leaf", "ec", ec_root, leaf_ext),
      rsa = issue("rsa-leaf", "rsa", rsa_root, leaf_ext) }
   pki.ecdsa = pki.ec
   local inter = issue("inter", "ec", ec_root,
      "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n")
   local leaf = issue("chain-leaf", "ec", inter, leaf_ext)
   -- the chain file: leaf then intermediate (what a server sends); the bundle: the system
   -- store plus the test root, so loading it costs what loading the system store costs
   M.writefile(d .. "/chain.pem", M.readfile(leaf.cert) .. M.readfile(inter.cert))
   M.writefile(d .. "/bundle.pem", (M.readfile("/etc/ssl/certs/ca-certificates.crt") or "")
      .. M.readfile(ec_root.cert))
   pki.chain = { leaf = leaf.cert, inter = inter.cert, file = d .. "/chain.pem",
      bundle = d .. "/bundle.pem" }
   return pki
end

function M.median(t)
   local s = { table.unpack(t) }
   table.sort(s)
   local n = #s
   if n % 2 == 1 then return s[(n + 1) // 2] end
   return (s[n // 2] + s[n // 2 + 1]) / 2
end

--- Spread: (max - min) / median, in percent.
function M.spread(t)
   local lo, hi = math.huge, -math.huge
   for _, v in ipairs(t) do
      lo, hi = math.min(lo, v), math.max(hi, v)
   end
   local m = M.median(t)
   return m ~= 0 and (hi - lo) / m * 100 or 0
end

return M
