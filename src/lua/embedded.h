#pragma once

#include <cstddef>

namespace tycho::lua {

// A Lua module compiled into the binary from lua/ (cmake/embed_lua.cmake), registered in
// package.preload under `name` so it wins over any same-named file on package.path.
struct EmbeddedModule {
    const char* name;    // "ngx.semaphore"
    const char* path;    // "lua/ngx/semaphore.lua" (the chunk name)
    const char* source;  // NUL-terminated
    size_t size;
};

// All embedded modules; the last entry has name == nullptr.
extern const EmbeddedModule kEmbeddedModules[];

}  // namespace tycho::lua
