// coroutine.create/resume/wrap/status/isyieldable for code that may block in ngx.* APIs: the
// wrappers live in lua/tycho/coroutine.lua; this file hands them the scheduler's sentinel.

#include <lua.hpp>

#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/scheduler.h"

namespace tycho::lua {

void inject_coroutine(lua_State* L) {
    require_embedded(L, "tycho.coroutine");
    lua_getfield(L, -1, "install");
    lua_pushlightuserdata(L, scheduler_yield_sentinel());
    lua_call(L, 1, 0);
    lua_pop(L, 1);
}

}  // namespace tycho::lua
