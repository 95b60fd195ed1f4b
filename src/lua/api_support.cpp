#include <cstring>
#include <lua.hpp>

#include "lua/api.h"
#include "lua/embedded.h"

namespace tycho::lua {

void require_embedded(lua_State* L, const char* name) {
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, name);
        if (!lua_isnil(L, -1)) {
            lua_remove(L, -2);
            return;
        }
        lua_pop(L, 1);
    }
    // stack: _LOADED (or non-table)
    const EmbeddedModule* mod = kEmbeddedModules;
    while (mod->name != nullptr && std::strcmp(mod->name, name) != 0) {
        mod++;
    }
    if (mod->name == nullptr) {
        luaL_error(L, "embedded module '%s' not found", name);
        return;
    }
    // "@path" makes errors and tracebacks name the source file as OpenResty names its modules.
    lua_pushfstring(L, "@%s", mod->path);
    int rc = luaL_loadbuffer(L, mod->source, mod->size, lua_tostring(L, -1));
    lua_remove(L, -2);
    if (rc != 0) {
        lua_error(L);
        return;
    }
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    if (!lua_isnil(L, -1) && lua_istable(L, -2)) {
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, name);
    }
    lua_remove(L, -2);
}

void install_table_extensions(lua_State* L) {
    // LuaJIT ships table.new/table.clear as preloadable modules; OpenResty's build exposes them
    // as table fields too, which is what code like lua-resty-lrucache relies on.
    lua_getglobal(L, "table");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    const char* const kNames[] = {"new", "clear"};
    for (const char* field : kNames) {
        lua_getfield(L, -1, field);
        bool present = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (present) {
            continue;
        }
        lua_getglobal(L, "require");
        lua_pushfstring(L, "table.%s", field);
        if (lua_pcall(L, 1, 1, 0) == 0 && lua_isfunction(L, -1)) {
            lua_setfield(L, -2, field);
        } else {
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
}

namespace {

int raise_unimplemented(lua_State* L) {
    return luaL_error(L, "%s is not implemented in Tycho yet",
                      lua_tostring(L, lua_upvalueindex(1)));
}

// lua-resty-core's `ngx.*` modules that Tycho does not embed (it embeds ngx.process,
// ngx.semaphore, ngx.base64, ngx.req, ngx.resp, ngx.re and ngx.errlog). Preloaded with a loader that raises,
// so that `require "ngx.pipe"` says so instead of loading Debian's lua-resty-core file, which fails
// on its FFI declarations.
constexpr const char* kUnimplementedModules[] = {
    "ngx.pipe", "ngx.balancer", "ngx.ocsp", "ngx.ssl", "ngx.ssl.session",
    "ngx.ssl.clienthello"};

int unimplemented_loader(lua_State* L) {
    // require left a sentinel in package.loaded[name]; with it there, a second require would
    // say "loop or previous error loading module" instead of this message.
    const char* name = lua_tostring(L, lua_upvalueindex(1));
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    if (lua_istable(L, -1)) {
        lua_pushnil(L);
        lua_setfield(L, -2, name);
    }
    lua_pop(L, 1);
    luaL_where(L, 2);  // the code that called require
    lua_pushfstring(L, "module '%s' is not implemented in Tycho yet", name);
    lua_concat(L, 2);
    return lua_error(L);
}

// ndk.set_var.NAME: NGX_DEVEL_KIT's bridge to the `set_*` directives of nginx modules that use
// ndk_set_var_value (set-misc, ...). Tycho has no such directives, so every name is the error
// lua-resty-core's ndk.lua raises for a directive that is not there, at the indexing line.
int ndk_set_var_index(lua_State* L) {
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, 2);
    lua_call(L, 1, 1);
    return luaL_error(L, "ndk.set_var: directive \"%s\" not found or does not use "
                         "ndk_set_var_value", lua_tostring(L, -1));
}

}  // namespace

void inject_unimplemented(lua_State* L) {
    // "ngx.a.b": field b of table ngx.a (made when missing). Keep docs/README.md in step.
    const char* const kNames[] = {
        "ngx.socket.tcp", "ngx.socket.udp", "ngx.socket.stream", "ngx.socket.connect",
        "ngx.location.capture", "ngx.location.capture_multi", "ngx.req.socket"};
    for (const char* name : kNames) {
        const char* field = name + 4;  // after "ngx."
        const char* dot = std::strchr(field, '.');
        int top = lua_gettop(L);
        int table = top;  // ngx
        if (dot != nullptr) {
            lua_pushlstring(L, field, static_cast<size_t>(dot - field));
            lua_rawget(L, table);
            if (!lua_istable(L, -1)) {
                lua_pop(L, 1);
                lua_createtable(L, 0, 8);
                lua_pushlstring(L, field, static_cast<size_t>(dot - field));
                lua_pushvalue(L, -2);
                lua_rawset(L, table);
            }
            table = lua_gettop(L);
            field = dot + 1;
        }
        // Raw access: ngx and ngx.req carry metatables (ngx.status, ngx.ctx, ...).
        lua_pushstring(L, field);
        lua_rawget(L, table);
        bool present = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!present) {
            lua_pushstring(L, field);
            lua_pushstring(L, name);
            lua_pushcclosure(L, raise_unimplemented, 1);
            lua_rawset(L, table);
        }
        lua_settop(L, top);
    }
    // The global `ndk` of lua-nginx-module builds with NDK (Debian's and OpenResty's).
    lua_createtable(L, 0, 1);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, ndk_set_var_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "set_var");
    lua_setglobal(L, "ndk");
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    if (lua_istable(L, -1)) {
        for (const char* name : kUnimplementedModules) {
            lua_pushstring(L, name);
            lua_pushcclosure(L, unimplemented_loader, 1);
            lua_setfield(L, -2, name);
        }
    }
    lua_pop(L, 2);
}

}  // namespace tycho::lua
