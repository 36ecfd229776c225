--- moontls client: connect, show what was negotiated, relay stdin/stdout (like openssl s_client).
local core = require "moontls.core"
local moontls = require "moontls"
local server = require "moontls.cli.server"
local socket = require "socket"

local M = {}

M.summary = [[
  client HOST:PORT [--servername N] [--cafile F | --insecure] [--reconnect N] [...]
             connect, print what was negotiated, relay stdin/stdout (moontls client --help)]]

M.usage = [[
usage: moontls client HOST:PORT [--servername N] [--cafile F | --insecure] [--alpn L]
                      [--ciphers L] [--groups L] [--min-version V] [--max-version V]
                      [--cert F --key F] [--reconnect N] [--timeout S] [--keylog F]
  HOST:PORT      server address ([v6addr]:port for IPv6)
  --servername N name sent as SNI and checked against the certificate (default HOST;
                 "" sends none)
  --cafile F     trust anchors (PEM); default: the system store
  --insecure     do not verify the server's certificate (verify: skipped)
  --alpn L       comma-separated protocols to offer
  --ciphers L, --groups L, --min-version V, --max-version V   as for moontls server
  --cert F --key F   client certificate, sent when the server asks for one
  --reconnect N  after the first handshake, connect N more times resuming its session,
                 print each summary and exit (no relay)
  --timeout S    connect/handshake timeout, and how long to wait for the server once
                 stdin has ended (default 10)
  --keylog F     append SSLKEYLOGFILE lines to F
Prints "version:", "cipher:", "group:", "sni:", "alpn:", "resumed:", "verify:" lines on
stderr, then copies stdin to the server and the server's data to stdout until the server
closes (or, after stdin ends, stays silent for --timeout seconds). Exit status 0 only when
the handshake succeeded and the certificate verified (or --insecure).]]

local SPEC = {
   servername = "value", cafile = "value", insecure = "flag", alpn = "value", ciphers = "value",
   groups = "value", ["min-version"] = "value", ["max-version"] = "value", cert = "value",
   key = "value", reconnect = "value", timeout = "value", keylog = "value", help = "flag",
}


local function split_address(cli, a)
   local host, port = a:match("^%[(.+)%]:(%d+)$")
   if not host then host, port = a:match("^([^:]+):(%d+)$") end
   port = tonumber(port)
   if not host or not port or port < 1 or port > 65535 then
      cli.usage_error("expected HOST:PORT, got '" .. a .. "'")
   end
   return host, port
end

local function summary(f, verify)
   local lines = server.describe(f)
   lines[#lines] = nil -- "client certificate:" is the server's view
   lines[#lines + 1] = "verify: " .. verify
   io.stderr:write(table.concat(lines, "\n"), "\n")
end

-- stdin as an object socket.select understands.
local stdin = { getfd = function() return 0 end, dirty = function() return false end }

-- Copies stdin to f and f to stdout; returns true, or nil, message.
local function relay(f, timeout)
   local open = true
   io.stdout:setvbuf("no")
   while true do
      local want = { f }
      if open then want[2] = stdin end
      local r = socket.select(want, nil, not open and timeout or nil)
      if #r == 0 then return true end -- quiet since stdin ended
      if r[stdin] then
         local chunk, err = core.read_fd(0, 16384)
         if chunk == nil and err ~= "wantread" then return nil, "stdin: " .. tostring(err) end
         if chunk == "" then
            open = false
         elseif chunk then
            f:settimeout(timeout)
            local ok, serr = f:send(chunk)
            if not ok then return nil, serr end
         end
      end
      if r[f] then
         f:settimeout(0)
         local data, err, partial = f:receive(16384)
         data = data or partial
         if data and #data > 0 then io.stdout:write(data) end
         if err == "closed" then return true end
         if err and err ~= "timeout" then return nil, err end
      end
   end
end

function M.run(cli, args)
   local o, rest = cli.options(args, SPEC)
   if o.help then
      print(M.usage)
      return 0
   end
   if #rest ~= 1 then cli.usage_error("expected one HOST:PORT") end
   local host, port = split_address(cli, rest[1])
   if o.insecure and o.cafile then cli.usage_error("--insecure and --cafile exclude each other") end
   if (o.cert == nil) ~= (o.key == nil) then cli.usage_error("--cert and --key go together") end
   local timeout = tonumber(o.timeout or "10")
   if not timeout or timeout <= 0 then cli.usage_error("bad --timeout " .. tostring(o.timeout)) end
   local reconnect = tonumber(o.reconnect or "0")
   if not reconnect or reconnect < 0 or reconnect % 1 ~= 0 then
      cli.usage_error("bad --reconnect " .. tostring(o.reconnect))
   end
   local ok, ctx, cerr = pcall(moontls.context, { mode = "client",
      verify = o.insecure and "none" or "peer", cafile = o.cafile, alpn = cli.list(o.alpn),
      ciphers = cli.list(o.ciphers), groups = cli.list(o.groups), min_version = o["min-version"],
      max_version = o["max-version"], certificate = o.cert, key = o.key, keylog = o.keylog })
   if not ok then cli.usage_error(tostring(ctx):gsub("^.-:%d+: ", "")) end
   if not ctx then cli.fail(tostring(cerr)) end
   local name = o.servername
   if name == nil then name = host end
   if name == "" then name = nil end
   local verify = o.insecure and "skipped (--insecure)" or "ok"
   local session
   for i = 0, reconnect do
      local f, err = moontls.connect(host, port, { context = ctx, server_name = name or false,
         timeout = timeout, session = session })
      if not f then
         cli.fail(("%s:%d: %s"):format(host, port, tostring(err)))
      end
      if i > 0 then io.stderr:write("---\n") end
      summary(f, verify)
      session = f:getsession() or session
      if reconnect == 0 then
         local rok, rerr = relay(f, timeout)
         f:close()
         if not rok then cli.fail(tostring(rerr)) end
      else
         f:close()
      end
   end
   return 0
end

return M
