--- moontls server: a TLS server for trying things out (like openssl s_server).
local moontls = require "moontls"
local keys = require "moontls.keys"
local loop = require "moontls.loop"

local M = {}

M.summary = [[
  server [--host H] [--port P] [--cert F --key F]... [--www|--echo] [...]
             serve TLS: a page describing the connection, or an echo (moontls server --help)]]

M.usage = [[
usage: moontls server [--host H] [--port P] [--cert F --key F]... [--www | --echo]
                      [--min-version V] [--max-version V] [--ciphers L] [--groups L]
                      [--alpn L] [--verify none|optional|require --cafile F]
                      [--tickets on|off] [--count N] [--timeout S] [--keylog F] [--quiet]
  --host H       address to listen on (default 127.0.0.1)
  --port P       port (default 8443; 0 lets the system pick, printed on the first line)
  --cert F --key F   certificate chain (PEM, leaf first) and its key; repeat for several
                 (chosen by SNI and by what the client supports); none: a throwaway
                 self-signed ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1
  --www          answer each HTTP request with a page describing the connection (default)
  --echo         send every byte received back
  --min-version V, --max-version V   tls1.2 (tls1.3 arrives with its issue)
  --ciphers L    comma-separated IANA suite names, in preference order
  --groups L     comma-separated groups (x25519, secp256r1, ffdhe2048, ...)
  --alpn L       comma-separated protocols, in preference order (server preference wins)
  --verify M     client certificates: none (default), optional, require; with --cafile
  --cafile F     trust anchors for client certificates (PEM)
  --tickets on|off   session tickets (RFC 5077 for 1.2, stateless 1.3 tickets; default on)
  --count N      serve N connections, then exit (default: until interrupted)
  --timeout S    per-connection idle timeout in seconds (default 30)
Connections are served concurrently (one task each on moontls.loop).
  --keylog F     append SSLKEYLOGFILE lines to F (for Wireshark)
  --quiet        no line per connection
Prints "listening on HOST:PORT" first, then one line per connection on stderr.]]

local SPEC = {
   host = "value", port = "value", cert = "value", key = "value", www = "flag", echo = "flag",
   ["min-version"] = "value", ["max-version"] = "value", ciphers = "value", groups = "value",
   alpn = "value", verify = "value", cafile = "value", tickets = "value", count = "value",
   timeout = "value", keylog = "value", quiet = "flag", help = "flag",
}


-- --cert/--key may repeat: cli.options keeps the last, so collect them here in order.
local function pairs_of(cli, args)
   local certs, keys_, rest = {}, {}, {}
   local i = 1
   while i <= #args do
      local a = args[i]
      if a == "--cert" or a == "--key" then
         local v = args[i + 1]
         if not v then cli.usage_error("option " .. a .. " needs a value") end
         local t = a == "--cert" and certs or keys_
         t[#t + 1] = v
         i = i + 2
      else
         rest[#rest + 1] = a
         i = i + 1
      end
   end
   if #certs ~= #keys_ then cli.usage_error("each --cert needs a --key") end
   local chains = {}
   for k = 1, #certs do chains[k] = { certificate = certs[k], key = keys_[k] } end
   return chains, rest
end

--- A throwaway self-signed certificate for the local names.
function M.throwaway()
   local k = assert(keys.generate("ec-p256"))
   local pem = assert(moontls.x509.selfsigned { key = k, cn = "localhost", days = 30,
      san = { "DNS:localhost", "IP:127.0.0.1", "IP:::1" }, eku = { "serverAuth" } })
   return { certificate = pem, key = k:pem() }
end

local function html_escape(s)
   return (tostring(s):gsub("[&<>\"]", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
      ['"'] = "&quot;" }))
end

--- The lines describing a connection (for the page and the client's summary).
function M.describe(f)
   local info = f:info()
   local peer = f:getpeercertificate()
   local lines = {
      "version: " .. info.version,
      "cipher: " .. info.cipher,
      "group: " .. (info.group ~= "" and info.group or "-"),
      "sni: " .. (info.sni or "-"),
      "alpn: " .. (info.alpn or "-"),
      "resumed: " .. (info.resumed and "yes" or "no"),
      "extended_master_secret: " .. (info.ems and "yes" or "no"),
   }
   if info.cipher:find("_CBC_", 1, true) then
      lines[#lines + 1] = "encrypt_then_mac: " .. (info.etm and "yes" or "no")
   end
   lines[#lines + 1] = "client certificate: "
      .. (peer and select(2, peer:subject()) or "none")
   return lines
end

-- One HTTP exchange: read the request head, answer with the page.
local function www(f)
   local first, err = f:receive("*l")
   if not first then return nil, err end
   repeat
      local line = f:receive("*l")
   until not line or line == ""
   local body = "<!DOCTYPE html>\n<html><head><title>moontls</title></head><body>\n"
      .. "<h1>" .. html_escape(moontls._VERSION) .. "</h1>\n<pre>\n"
      .. html_escape(table.concat(M.describe(f), "\n")) .. "\nrequest: "
      .. html_escape(first) .. "\n</pre>\n</body></html>\n"
   return f:send("HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
      .. "Content-Length: " .. #body .. "\r\nConnection: close\r\n\r\n" .. body)
end

local function echo(f)
   while true do
      local data, err = f:receiveany(16384)
      if not data then return err == "closed" or nil, err end
      local ok, serr = f:send(data)
      if not ok then return nil, serr end
   end
end

function M.run(cli, args)
   local chains, rest = pairs_of(cli, args)
   local o = cli.options(rest, SPEC)
   if o.help then
      print(M.usage)
      return 0
   end
   if o.www and o.echo then cli.usage_error("--www and --echo exclude each other") end
   local port = tonumber(o.port or "8443")
   if not port or port < 0 or port > 65535 or port % 1 ~= 0 then
      cli.usage_error("bad --port " .. tostring(o.port))
   end
   local count = o.count and tonumber(o.count)
   if o.count and (not count or count < 1) then cli.usage_error("bad --count " .. o.count) end
   local timeout = tonumber(o.timeout or "30")
   if not timeout or timeout <= 0 then cli.usage_error("bad --timeout " .. tostring(o.timeout)) end
   if o.tickets and o.tickets ~= "on" and o.tickets ~= "off" then
      cli.usage_error("--tickets takes on or off")
   end
   if o.verify and o.verify ~= "none" and not o.cafile then
      cli.usage_error("--verify " .. o.verify .. " needs --cafile")
   end
   if #chains == 0 then chains = { M.throwaway() } end
   local ok, ctx, cerr = pcall(moontls.context, { mode = "server", certificates = chains,
      min_version = o["min-version"], max_version = o["max-version"], ciphers = cli.list(o.ciphers),
      groups = cli.list(o.groups), alpn = cli.list(o.alpn), verify = o.verify, cafile = o.cafile,
      keylog = o.keylog, tickets = o.tickets ~= "off" })
   if not ok then cli.usage_error(tostring(ctx):gsub("^.-:%d+: ", "")) end
   if not ctx then cli.fail(tostring(cerr)) end
   local host = o.host or "127.0.0.1"
   local srv, lerr = moontls.listen(host, port, ctx, { timeout = timeout })
   if not srv then cli.fail(("cannot listen on %s:%d: %s"):format(host, port, tostring(lerr))) end
   local _, bound = srv:getsockname()
   io.stdout:setvbuf("line")
   print(("listening on %s:%s"):format(host, bound))
   local serve = o.echo and echo or www
   -- every connection is a task of the event loop: a slow or idle client holds only itself
   local lp = loop.new()
   local n, done = 0, 0
   local function log(fmt, ...)
      if not o.quiet then io.stderr:write(fmt:format(...), "\n") end
   end
   local function finished()
      done = done + 1
      if count and done >= count then lp:stop() end
   end
   local function accepted()
      n = n + 1
      if count and n >= count then srv:close() end -- no more accepts; the rest finish
      return n
   end
   srv:serve(function(f)
      local k = accepted()
      local info = f:info()
      log("conn %d %s %s %s sni=%s alpn=%s resumed=%s", k, info.version, info.cipher,
         info.group, info.sni or "-", info.alpn or "-", info.resumed and "yes" or "no")
      local sok, serr = serve(f)
      if not sok and serr ~= "closed" then log("conn %d ended: %s", k, tostring(serr)) end
      f:close()
      finished()
   end, function(err)
      local k = accepted()
      log("conn %d failed: %s", k, tostring(err))
      finished()
   end, lp)
   lp:run()
   lp:close()
   if not count then srv:close() end
   return 0
end

return M
