rockspec_format = "3.0"
package = "moontls"
version = "scm-1"
source = {
   url = "git+file:///moontls",
}
description = {
   summary = "TLS for Lua 5.4 in C on GNU nettle and GMP",
   detailed = [[
moontls is a TLS library for Lua 5.4 written in C on GNU nettle, hogweed and
GMP, modelled on Pike's SSL module. Build from a checkout with
`luarocks --lua-version 5.4 make rockspec/moontls-scm-1.rockspec`.
]],
   license = "MIT",
}
dependencies = {
   "lua >= 5.4, < 5.5",
}
external_dependencies = {
   NETTLE = { header = "nettle/nettle-meta.h", library = "nettle" },
   HOGWEED = { header = "nettle/rsa.h", library = "hogweed" },
   GMP = { library = "gmp" }, -- gmp.h sits in a multiarch directory on Debian
}
build = {
   type = "make",
   build_target = "module",
   build_variables = {
      CFLAGS = "$(CFLAGS)",
      LIBFLAG = "$(LIBFLAG)",
      LUA_INCDIR = "$(LUA_INCDIR)",
   },
   install_variables = {
      LUA_LIBDIR = "$(LIBDIR)",
      LUA_DIR = "$(LUADIR)",
      BINDIR = "$(BINDIR)",
   },
}
