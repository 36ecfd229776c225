-- Packaging: `luarocks make` from the checkout and `make install` both give a
-- tree from which `require "moontls"` works with no other path set.
local helpers = require "helpers"

-- Runs `require "moontls"` with only `tree`'s paths and the system's.
local function require_from(luadir, libdir)
   local code = "print(require('moontls')._VERSION, #require('moontls').random(8),"
      .. " package.searchpath('moontls.core', package.cpath))"
   local cmd = string.format(
      "cd / && LUA_PATH='%s/?.lua;%s/?/init.lua;;' LUA_CPATH='%s/?.so;;' %s -e \"%s\"",
      luadir, luadir, libdir, helpers.lua, code)
   return helpers.run(cmd)
end

-- (The builds below unset what an outer `make asan` exports -- SAN, BUILD, CFLAGS -- so
-- they make the ordinary module a user would install.)

-- The sources, copied so the build does not touch the checkout under test.
local function copy_checkout(dir)
   local ok, _, out = helpers.run(string.format(
      "mkdir -p %s/src && cp -r Makefile csrc lua bin rockspec tools %s/src/", dir, dir))
   assert(ok, out)
   return dir .. "/src"
end

describe("packaging", function()
   local dir
   before_each(function() dir = helpers.tmpdir() end)
   after_each(function() helpers.rmtree(dir) end)

   it("builds and installs with luarocks make into a tree", function()
      local src = copy_checkout(dir)
      local ok, _, out = helpers.run(string.format(
         "cd %s && env -u MAKEFLAGS -u MAKELEVEL -u SAN -u BUILD -u CFLAGS "
            .. "luarocks --lua-version 5.4 make --tree %s/tree "
            .. "rockspec/moontls-scm-1.rockspec", src, dir))
      assert.is_true(ok, out)
      local rok, _, rout = require_from(dir .. "/tree/share/lua/5.4", dir .. "/tree/lib/lua/5.4")
      assert.is_true(rok, rout)
      assert.matches("^moontls %d+%.%d+%.%d+\t8\t" .. dir .. "/tree/lib/lua/5.4/moontls/core.so",
         rout)
   end)

   it("installs with make install under PREFIX", function()
      local src = copy_checkout(dir)
      local ok, _, out = helpers.run(string.format(
         "cd %s && env -u MAKEFLAGS -u MAKELEVEL -u SAN -u BUILD -u CFLAGS "
            .. "make -s install PREFIX=%s/usr",
         src, dir))
      assert.is_true(ok, out)
      local rok, _, rout = require_from(dir .. "/usr/share/lua/5.4", dir .. "/usr/lib/lua/5.4")
      assert.is_true(rok, rout)
      assert.matches("^moontls %d+%.%d+%.%d+\t8\t", rout)
      local vok, _, vout = helpers.run(string.format(
         "cd / && LUA_PATH='%s/usr/share/lua/5.4/?.lua;%s/usr/share/lua/5.4/?/init.lua;;' "
            .. "LUA_CPATH='%s/usr/lib/lua/5.4/?.so;;' %s/usr/bin/moontls version",
         dir, dir, dir, dir))
      assert.is_true(vok, vout)
      assert.matches("^moontls %d", vout)
   end)
end)
