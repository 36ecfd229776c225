--- The moontls command line: dispatch and the helpers every command shares.
-- Each command is a module moontls.cli.NAME with `usage` (text) and
-- `run(cli, args)` returning an exit status. Exit statuses: 0 success,
-- 1 failure (with a message on stderr), 2 usage error.
local moontls = require "moontls"

local cli = {}

local commands = { "server", "client", "keygen", "x509", "cert" }

--- An error the user made on the command line: raised, caught by main (exit 2).
local UsageError = {}

function cli.usage_error(msg)
   error(setmetatable({ msg = msg }, UsageError), 0)
end

--- A failure at run time: message on stderr, exit 1.
function cli.fail(msg)
   error(setmetatable({ msg = msg, status = 1 }, UsageError), 0)
end

--- A comma-separated option value as a list (nil for nil).
function cli.list(s)
   if not s then return nil end
   local out = {}
   for item in s:gmatch("[^,%s]+") do out[#out + 1] = item end
   return out
end

--- Reads a whole file or fails with the system's message.
function cli.read_file(path)
   local f, err = io.open(path, "rb")
   if not f then cli.fail(err) end
   local s = f:read("a")
   f:close()
   return s
end

--- Parses `--name value` and `--flag` options. `spec` maps names to "value" or "flag";
-- returns the options table and the list of positional arguments.
function cli.options(args, spec)
   local opts, rest = {}, {}
   local i = 1
   while i <= #args do
      local a = args[i]
      local name = a:match("^%-%-([%w-]+)$")
      if name then
         local kind = spec[name]
         if not kind then cli.usage_error("unknown option " .. a) end
         if kind == "flag" then
            opts[name] = true
         else
            i = i + 1
            if args[i] == nil then cli.usage_error("option " .. a .. " needs a value") end
            opts[name] = args[i]
         end
      elseif a:sub(1, 1) == "-" and a ~= "-" then
         cli.usage_error("unknown option " .. a)
      else
         rest[#rest + 1] = a
      end
      i = i + 1
   end
   return opts, rest
end

local function usage()
   local parts = { "usage: moontls COMMAND [ARGS]", "", "commands:",
      "  version    print the moontls version", "  help       print this text" }
   for _, name in ipairs(commands) do
      local m = require("moontls.cli." .. name)
      parts[#parts + 1] = m.summary or m.usage
   end
   parts[#parts + 1] = ""
   parts[#parts + 1] = "exit status: 0 on success, 1 on a failure (reason on stderr), "
      .. "2 on a usage error"
   return table.concat(parts, "\n")
end

--- Runs the command line `args` (arg-style table); returns the exit status.
function cli.main(args)
   local cmd = args[1]
   if cmd == "version" or cmd == "--version" or cmd == "-V" then
      print(moontls._VERSION)
      return 0
   elseif cmd == "help" or cmd == "--help" or cmd == "-h" then
      print(usage())
      return 0
   elseif cmd == nil then
      io.stderr:write(usage(), "\n")
      return 2
   end
   local known = false
   for _, name in ipairs(commands) do known = known or name == cmd end
   if not known then
      io.stderr:write("moontls: unknown command '", tostring(cmd), "'\n", usage(), "\n")
      return 2
   end
   local m = require("moontls.cli." .. cmd)
   local ok, status = pcall(m.run, cli, { table.unpack(args, 2) })
   if ok then return status or 0 end
   if getmetatable(status) == UsageError then
      io.stderr:write("moontls ", cmd, ": ", status.msg, "\n")
      if not status.status then
         -- a command with a usage text of its own shows it; the others show the list
         io.stderr:write(m.summary and m.usage or usage(), "\n")
      end
      return status.status or 2
   end
   error(status, 0)
end

return cli
