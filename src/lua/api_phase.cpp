// ngx.get_phase.

#include <lua.hpp>

#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

int ngx_get_phase(lua_State* L) {
    WorkerRuntime* rt = current_runtime();
    const Context* ctx = rt != nullptr ? rt->scheduler().current() : nullptr;
    // Code running outside any context (a VM built for tests, module loading at start) is in
    // the init phase, where OpenResty loads modules.
    lua_pushstring(L, ctx != nullptr ? phase_name(ctx->phase) : "init");
    return 1;
}

}  // namespace

void inject_phase(lua_State* L) {
    lua_pushcfunction(L, ngx_get_phase);
    lua_setfield(L, -2, "get_phase");
}

}  // namespace tycho::lua
