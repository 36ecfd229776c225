-- A recording TCP relay for specs that need a capture without root (spec 56 writes a pcap
-- from what it records):
--   lua5.4 spec/support/tcp_relay.lua PORTFILE TARGET_PORT OUTDIR COUNT
-- Listens on 127.0.0.1 (kernel-chosen port, written to PORTFILE), and for each of COUNT
-- connections, one after another, connects to 127.0.0.1:TARGET_PORT and copies bytes both
-- ways until both sides have closed (a side's EOF is passed on as a half-close). The bytes
-- are recorded in order in OUTDIR/N.rec as chunks "C <len>\n<bytes>" (client to server) or
-- "S <len>\n<bytes>"; OUTDIR/N.done appears when connection N is over.
local socket = require "socket"

local portfile, target, outdir, count = table.unpack(arg)
target, count = assert(tonumber(target)), tonumber(count) or 1

local lsock = assert(socket.bind("127.0.0.1", 0))
local _, port = lsock:getsockname()
local f = assert(io.open(portfile .. ".tmp", "w"))
f:write(port)
f:close()
os.rename(portfile .. ".tmp", portfile)
lsock:settimeout(20)

for n = 1, count do
   local c = lsock:accept()
   if not c then break end
   local s = assert(socket.connect("127.0.0.1", target))
   local rec = assert(io.open(("%s/%d.rec"):format(outdir, n), "wb"))
   local other, tag = { [c] = s, [s] = c }, { [c] = "C", [s] = "S" }
   local open = { [c] = true, [s] = true }
   c:settimeout(0)
   s:settimeout(0)
   local deadline = socket.gettime() + 20
   while (open[c] or open[s]) and socket.gettime() < deadline do
      local list = {}
      if open[c] then list[#list + 1] = c end
      if open[s] then list[#list + 1] = s end
      local ready = socket.select(list, nil, 1)
      for _, sk in ipairs(ready) do
         local data, err, partial = sk:receive(16384)
         data = data or partial
         if data and #data > 0 then
            rec:write(("%s %d\n"):format(tag[sk], #data), data)
            local to = other[sk]
            to:settimeout(5)
            to:send(data)
            to:settimeout(0)
         end
         if err == "closed" then
            open[sk] = false
            other[sk]:shutdown("send")
         end
      end
   end
   rec:close()
   c:close()
   s:close()
   io.open(("%s/%d.done"):format(outdir, n), "w"):close()
end
lsock:close()
