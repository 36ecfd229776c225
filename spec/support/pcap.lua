-- Writes a classic pcap file (Ethernet, IPv4, TCP) of one or more TCP connections from their
-- byte streams, for tshark to read:
--   local pcap = require "support.pcap"
--   pcap.write(path, { { client_port = 50001, server_port = 4433,
--                        chunks = { { from = "C", data = "..." }, { from = "S", ... } } } })
-- Each connection gets a three-way handshake, its chunks in order (split into segments of at
-- most 1400 bytes, seq/ack consistent per direction), and a FIN from each side. Client
-- 10.0.0.1, server 10.0.0.2; checksums are left 0 (tshark does not check them by default).
local pcap = {}

local MSS = 1400
local CLIENT_IP, SERVER_IP = "\10\0\0\1", "\10\0\0\2"
local SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01

local function ipv4(src, dst, payload, id)
   return string.pack(">BBI2I2I2BBI2", 0x45, 0, 20 + #payload, id & 0xffff, 0x4000, 64, 6, 0)
      .. src .. dst .. payload
end

local function tcp(sport, dport, seq, ack, flags, data)
   return string.pack(">I2I2I4I4BBI2I2I2", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
      0x50, flags, 65535, 0, 0) .. data
end

--- Splits a recording of spec/support/tcp_relay.lua ("C <len>\n<bytes>"...) into chunks.
function pcap.read_recording(text)
   local chunks, pos = {}, 1
   while pos <= #text do
      local from, len, body = text:match("^([CS]) (%d+)\n()", pos)
      assert(from, "pcap: bad recording at byte " .. pos)
      len = tonumber(len)
      chunks[#chunks + 1] = { from = from, data = text:sub(body, body + len - 1) }
      pos = body + len
   end
   return chunks
end

function pcap.write(path, conns)
   local out = { string.pack("<I4I2I2i4I4I4I4", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) }
   local t, id = 1700000000.0, 0
   local function packet(from_client, cp, sp, seq, ack, flags, data)
      id = id + 1
      t = t + 0.001
      local seg = from_client and tcp(cp, sp, seq, ack, flags, data)
         or tcp(sp, cp, seq, ack, flags, data)
      local ip = from_client and ipv4(CLIENT_IP, SERVER_IP, seg, id)
         or ipv4(SERVER_IP, CLIENT_IP, seg, id)
      local frame = (from_client and "\2\0\0\0\0\2\2\0\0\0\0\1" or "\2\0\0\0\0\1\2\0\0\0\0\2")
         .. "\8\0" .. ip
      local sec = math.floor(t)
      out[#out + 1] = string.pack("<I4I4I4I4", sec, math.floor((t - sec) * 1e6), #frame, #frame)
         .. frame
   end
   for _, c in ipairs(conns) do
      local cp, sp = c.client_port, c.server_port
      local cseq, sseq = 1000, 5000 -- initial sequence numbers
      packet(true, cp, sp, cseq, 0, SYN, "")
      packet(false, cp, sp, sseq, cseq + 1, SYN | ACK, "")
      cseq, sseq = cseq + 1, sseq + 1
      packet(true, cp, sp, cseq, sseq, ACK, "")
      for _, ch in ipairs(c.chunks) do
         local from_client = ch.from == "C"
         for i = 1, #ch.data, MSS do
            local piece = ch.data:sub(i, i + MSS - 1)
            if from_client then
               packet(true, cp, sp, cseq, sseq, ACK | PSH, piece)
               cseq = cseq + #piece
            else
               packet(false, cp, sp, sseq, cseq, ACK | PSH, piece)
               sseq = sseq + #piece
            end
         end
      end
      packet(true, cp, sp, cseq, sseq, FIN | ACK, "")
      packet(false, cp, sp, sseq, cseq + 1, FIN | ACK, "")
      packet(true, cp, sp, cseq + 1, sseq + 1, ACK, "")
   end
   local f = assert(io.open(path, "wb"))
   f:write(table.concat(out))
   f:close()
end

return pcap
