-- A moontls TLS server for interop specs, run as its own process:
--   lua5.4 spec/support/tls_server.lua PORTFILE CERT KEY COUNT [MODE] [CIPHERS] [ALPN] [VERIFY]
--     [CAFILE]
-- Listens on 127.0.0.1 (port 0: the kernel picks; the port is written to PORTFILE), serves
-- COUNT connections one after another, then exits. MODE "echo" (default) echoes lines and
-- ends a connection on a line "quit" or close; MODE "www" answers one HTTP request with a page
-- naming version, cipher, group, ALPN, SNI and EtM. Every connection's outcome is printed as a
-- line "conn N ok|fail ..." on stdout. VERIFY (none, optional, require; "-" = none) asks for client
-- certificates verified against CAFILE; the ok line then ends in " peer=SUBJECT" (or
-- " peer=-" when the client sent none).
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("MOONTLS_BUILD") or "build") .. "/?.so;" .. package.cpath
local tls = require "moontls"

local portfile, cert, key, count, mode, ciphers, alpn, verify, cafile = table.unpack(arg)
if verify == "-" then verify = nil end
if cafile == "" then cafile = nil end
count = tonumber(count) or 1
mode = mode or "echo"
local function list(s)
   if not s or s == "" or s == "-" then return nil end
   local t = {}
   for x in s:gmatch("[^,]+") do t[#t + 1] = x end
   return t
end
-- MOONTLS_EXTRA_CHAIN="cert:key" adds a second certificate (chosen by SNI);
-- MOONTLS_KEYLOG=path writes SSLKEYLOGFILE lines there; MOONTLS_RECORD_SIZE_LIMIT=n sets
-- record_size_limit (RFC 8449). The ok line names the record limits in effect.
-- MOONTLS_RENEGOTIATION=0 refuses renegotiation. In echo mode a line "reneg" makes the server
-- renegotiate (File:renegotiate) and answer "reneg ok N" or "reneg fail MESSAGE"; a connection
-- that renegotiated ends with a line "conn N end renegotiations=K".
-- TLS 1.3: MOONTLS_PHA=1 sets post_handshake_auth (with VERIFY, clients that offer it are asked
-- only later); in echo mode a line "pha" runs File:request_client_auth and answers "pha ok
-- SUBJECT" (or "pha ok -" for an empty Certificate) or "pha fail MESSAGE".
-- MOONTLS_EARLY_DATA=n enables 0-RTT (early_data = n); the ok line then names early=STATE
-- early_bytes=N, and in echo mode the early data is echoed first.
local chains = { { certificate = cert, key = key } }
local extra = os.getenv("MOONTLS_EXTRA_CHAIN")
if extra and extra ~= "" then
   local c2, k2 = extra:match("^([^:]+):(.+)$")
   chains[2] = { certificate = c2, key = k2 }
end
local keylog = os.getenv("MOONTLS_KEYLOG")
-- MOONTLS_MAX_VERSION=tls1.2 caps the version; MOONTLS_GROUPS=a,b sets the groups.
local function env_or_nil(name)
   local v = os.getenv(name)
   return v ~= "" and v or nil
end
-- MOONTLS_TICKET_KEYS=hex sets shared ticket keys (48-byte entries); MOONTLS_TICKETS=0 turns
-- tickets off; MOONTLS_SESSION_CACHE=0 keeps no session cache (only tickets resume). A resumed
-- connection's ok line ends in " resumed".
local function unhex(h)
   return h and h ~= "" and (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
      or nil
end
local ctx = assert(tls.context { mode = "server", certificates = chains,
   tickets = os.getenv("MOONTLS_TICKETS") ~= "0",
   session_cache = os.getenv("MOONTLS_SESSION_CACHE") ~= "0",
   ticket_keys = unhex(os.getenv("MOONTLS_TICKET_KEYS")),
   max_version = env_or_nil("MOONTLS_MAX_VERSION"), groups = list(os.getenv("MOONTLS_GROUPS")),
   ciphers = list(ciphers), alpn = list(alpn), keylog = keylog ~= "" and keylog or nil,
   verify = verify, cafile = cafile,
   record_size_limit = tonumber(os.getenv("MOONTLS_RECORD_SIZE_LIMIT") or ""),
   renegotiation = os.getenv("MOONTLS_RENEGOTIATION") ~= "0",
   post_handshake_auth = os.getenv("MOONTLS_PHA") == "1" or nil,
   early_data = tonumber(os.getenv("MOONTLS_EARLY_DATA") or ""),
   psk_ke = os.getenv("MOONTLS_PSK_KE") == "1" or nil })
local port = assert(tls.listen("127.0.0.1", 0, ctx, { timeout = 10 }))
local _, p = port:getsockname()
local f = assert(io.open(portfile .. ".tmp", "w"))
f:write(p)
f:close()
os.rename(portfile .. ".tmp", portfile)
port:settimeout(15)

for n = 1, count do
   local conn, err = port:accept()
   if not conn then
      print("conn " .. n .. " fail " .. tostring(err))
   else
      local info = conn:info()
      local status = ("conn %d ok %s %s %s alpn=%s sni=%s etm=%s"):format(n, info.version,
         info.cipher, info.group, info.alpn or "-", info.sni or "-", info.etm and "yes" or "no")
      if info.max_fragment_length or info.send_limit then
         status = status .. (" mfl=%s send_limit=%s recv_limit=%s"):format(
            info.max_fragment_length or "-", info.send_limit or "-", info.recv_limit or "-")
      end
      if info.early_data then
         status = status .. (" early=%s early_bytes=%d"):format(info.early_data, info.early_bytes)
      end
      if verify then
         local peer = conn:getpeercertificate()
         status = status .. " peer=" .. (peer and select(2, peer:subject()) or "-")
      end
      if info.resumed then status = status .. " resumed" end
      print(status)
      if mode == "www" then
         conn:receive("*l")
         repeat local line = conn:receive("*l") until not line or line == ""
         local body = ("<html><body><pre>version: %s\ncipher: %s\ngroup: %s\nalpn: %s\n"
            .. "sni: %s\netm: %s\n</pre></body></html>\n"):format(info.version, info.cipher,
            info.group, info.alpn or "-", info.sni or "-", info.etm and "yes" or "no")
         conn:send("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: " .. #body
            .. "\r\nConnection: close\r\n\r\n" .. body)
      else
         local early = conn:early_data()
         if early then conn:send(early) end
         while true do
            local line = conn:receive("*l")
            if not line or line == "quit" then break end
            if line == "reneg" then
               local ok, rerr = conn:renegotiate()
               line = ok and "reneg ok " .. conn:info().renegotiations or "reneg fail " .. rerr
            elseif line == "pha" then
               local ok, perr = conn:request_client_auth()
               local peer = ok and conn:getpeercertificate()
               line = ok and "pha ok " .. (peer and select(2, peer:subject()) or "-")
                  or "pha fail " .. tostring(perr)
               io.stdout:write(line, "\n")
               io.stdout:flush()
            end
            conn:send(line .. "\n")
         end
      end
      local renegs = conn:info().renegotiations
      if renegs > 0 then print(("conn %d end renegotiations=%d"):format(n, renegs)) end
      conn:close()
   end
   io.stdout:flush()
end
port:close()
