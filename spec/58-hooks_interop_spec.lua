-- The Context hooks against real peers: a moontls server process (spec/support/
-- hooks_server.lua) whose Context chooses another Context by SNI (select_context), loads a
-- certificate lazily (find_cert) and keeps sessions only through lookup_session /
-- record_session; openssl s_client and gnutls-cli connect with various names and resume.
local helpers = require "helpers"
local peers = require "support.peers"

local ECHO = "hooks interop line"

local dir, log, port
local slurp = helpers.slurp

local function cert(name)
   assert(os.execute(("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      .. "-keyout %s/%s.key -out %s/%s.pem -days 2 -subj /CN=%s.example "
      .. "-addext subjectAltName=DNS:%s.example 2>/dev/null"):format(dir, name, dir, name,
      name, name)))
end

setup(function()
   dir = helpers.tmpdir()
   for _, n in ipairs { "a", "b", "lazy" } do cert(n) end
   local h = helpers.start(("%s spec/support/hooks_server.lua %s/port 8 %s"):format(helpers.lua,
      dir, dir), function() return tonumber(slurp(dir .. "/port")) end)
   port = h.port
   log = h.dir .. "/out"
end)

teardown(function()
   helpers.stop_all()
   if dir then helpers.rmtree(dir) end
end)

local function s_client(name, args)
   local a = { "-tls1_2", "-no_ticket", "-servername", name }
   for _, x in ipairs(args or {}) do a[#a + 1] = x end
   return peers.openssl_client { port = port, args = a, input = ECHO .. "\n", expect = ECHO }
end

describe("hooks against real peers", function()
   it("select_context serves b.example's Context to openssl s_client", function()
      local r = s_client("b.example")
      assert.matches("subject=CN = b.example", r.stdout)
      assert.matches(ECHO, r.stdout)
      assert.matches("hook select b.example", slurp(log))
   end)

   it("the default Context serves other names", function()
      local r = s_client("a.example")
      assert.matches("subject=CN = a.example", r.stdout)
   end)

   it("find_cert loads lazy.example's certificate on demand (gnutls-cli)", function()
      local g = peers.gnutls_client { port = port, servername = "lazy.example",
         args = { "--insecure", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2" },
         input = ECHO .. "\n", expect = ECHO }
      assert.matches("CN=lazy.example", g.stdout .. g.stderr)
      assert.matches("hook find_cert lazy.example", slurp(log))
   end)

   it("sessions resume through lookup_session / record_session (s_client -sess_out/-sess_in)",
      function()
         local sess = dir .. "/sess.pem"
         local r1 = s_client("a.example", { "-sess_out", sess })
         assert.is_false(r1.info.reused, r1.stdout)
         local r2 = s_client("a.example", { "-sess_in", sess })
         assert.is_true(r2.info.reused, r2.stdout)
         local text = slurp(log)
         local id -- the session of the first of these two connections: the last recorded
         for x in text:gmatch("hook record (%x+)") do id = x end
         assert.is_truthy(id, text)
         assert.matches("hook lookup " .. id .. " found", text)
         assert.matches("resumed=true", text)
      end)
end)
