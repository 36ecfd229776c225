/*
 * moontls.File -- engine + transport (Pike SSL.File).
 * Skeleton: an object with the File life cycle and no transport yet; the
 * engine, buffers and socket I/O arrive with the engine and File work.
 */
#include "lua_common.h"

typedef struct {
    mt_lua_obj h;
    size_t buffered; /* bytes waiting to be written; always 0 until a transport exists */
} file;

static void file_release(file *f)
{
    f->h.open = 0;
    f->buffered = 0;
}

/* core.file_new() -> a File with nothing attached. */
static int file_new(lua_State *L)
{
    file *f = mt_lua_new(L, MT_FILE_T, sizeof(*f), 2);
    f->h.open = 1;
    return 1;
}

/* f:dirty() -> true when buffered data waits to be sent (LuaSocket's dirty). */
static int file_dirty(lua_State *L)
{
    file *f = mt_lua_check_open(L, 1, MT_FILE_T);
    lua_pushboolean(L, f->buffered > 0);
    return 1;
}

static int file_close(lua_State *L)
{
    file_release(luaL_checkudata(L, 1, MT_FILE_T));
    return 0;
}

static int file_closed(lua_State *L)
{
    file *f = luaL_checkudata(L, 1, MT_FILE_T);
    lua_pushboolean(L, !f->h.open);
    return 1;
}

static int file_tostring(lua_State *L)
{
    file *f = luaL_checkudata(L, 1, MT_FILE_T);
    if (!f->h.open) {
        lua_pushstring(L, MT_FILE_T " (closed)");
    } else {
        lua_pushfstring(L, MT_FILE_T ": %p", (void *)f);
    }
    return 1;
}

static const luaL_Reg methods[] = {
    {"dirty", file_dirty},
    {"close", file_close},
    {"closed", file_closed},
    {NULL, NULL},
};

static const luaL_Reg meta[] = {
    {"__gc", file_close},
    {"__close", file_close},
    {"__tostring", file_tostring},
    {NULL, NULL},
};

void mt_lua_file_register(lua_State *L)
{
    mt_lua_class(L, MT_FILE_T, methods, meta);
    lua_pushcfunction(L, file_new);
    lua_setfield(L, -2, "file_new");
}
