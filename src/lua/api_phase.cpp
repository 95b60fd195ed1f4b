// ngx.get_phase: the C half of lua/tycho/phase.lua.

#include <lua.hpp>

#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {

void inject_phase(lua_State* L) {
    require_embedded(L, "tycho.phase");
    lua_setfield(L, -2, "get_phase");
}

}  // namespace tycho::lua

extern "C" {

// The running context's phase as the number of its bit in Phase (kInit 0 ... kExitWorker 10),
// or 0 outside any context: code running at VM start (module loading) is in the init phase,
// where OpenResty loads modules.
int tycho_ffi_get_phase() noexcept {
    using namespace tycho::lua;
    const Context* ctx = current_context();
    if (ctx == nullptr) {
        return 0;
    }
    return __builtin_ctz(static_cast<uint32_t>(ctx->phase));
}

}  // extern "C"
