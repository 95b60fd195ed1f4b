#pragma once

// The Lua directives of the http{} configuration (lua-nginx-module's names and contexts):
//   content_by_lua_block / content_by_lua_file / content_by_lua   location
//   rewrite_by_lua*, access_by_lua*, log_by_lua*                  http, server, location
//   server_rewrite_by_lua_block / _file                           http, server
//   init_by_lua*, init_worker_by_lua*                             http
//   lua_package_path, lua_package_cpath                           http
//   lua_code_cache on|off                                         http, server, location
// Phase directives install a PhaseHandler on the LocConf of their level (rewrite/access/log are
// inherited by nested levels, content is not, as in nginx); http-level settings go into the
// HttpConf's LuaMainConf (lua_conf.h). Setters run on the master thread while loading.

#include <cstddef>
#include <memory>
#include <string>

#include "core/conf.h"

namespace tycho::http {
struct ConfScope;
}

namespace tycho::lua {

struct LuaChunk;
struct LuaMainConf;

// Adds the directives above to `table`. The setters expect the http module's ConfScope as
// `conf` (http/http_conf_scope.h).
void register_lua_directives(core::DirectiveTable& table);

// Adds set_by_lua{,_block,_file} (server, location, if: a rewrite-module instruction),
// header_filter_by_lua* and body_filter_by_lua* (http, server, location, if: LocConf output
// filters), exit_worker_by_lua_block/_file and rewrite/access_by_lua_no_postpone (http)
// (lua_filter_module.cpp). Called by register_lua_directives; same `conf` contract.
void register_lua_filter_directives(core::DirectiveTable& table);

// Adds lua_shared_dict NAME SIZE (http) (shdict_module.cpp). Called by register_lua_directives;
// same `conf` contract. Zones go into the LuaMainConf's shared_dicts.
void register_shdict_directives(core::DirectiveTable& table);

// ---- Shared by the Lua directive setters (lua_module.cpp, lua_filter_module.cpp,
// shdict_module.cpp). Master thread, while loading.

enum class ChunkForm { kBlock, kFile, kString };

// The chunk a *_by_lua{,_block,_file} directive configures: inline code is named like OpenResty's
// "=content_by_lua(nginx.conf:40)" (`base` + the file's basename and the directive's line) and
// cached by a digest of its source; file code by its full path. `code_arg` is the index of the
// code or path argument (set_by_lua takes the variable first).
std::shared_ptr<LuaChunk> make_chunk(core::ConfProcessor& p, const core::ConfNode& node,
                                     ChunkForm form, const std::string& base,
                                     size_t code_arg = 0);

// For a *_by_lua_file directive that runs in requests: a path with nginx variables
// (content_by_lua_file html/$1.lua, "to provide flexibility" in lua-nginx-module's words)
// becomes the chunk's `path`, evaluated per request (WorkerRuntime::request_chunk). Fails on
// a malformed variable reference.
core::Status compile_request_path(LuaChunk& chunk, const core::ConfNode& node, ChunkForm form,
                                  size_t code_arg = 0);

// The http{} block's Lua settings, created on first use (which also marks the configuration as
// using Lua: workers then start a VM).
LuaMainConf& main_conf_of(core::ConfProcessor& p, http::ConfScope* scope);

}  // namespace tycho::lua
