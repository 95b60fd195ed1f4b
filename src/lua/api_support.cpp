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

}  // namespace tycho::lua
