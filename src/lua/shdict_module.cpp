// The `lua_shared_dict NAME SIZE;` directive (lua-nginx-module's ngx_http_lua_shared_dict). The
// zones come from shdict::ZoneRegistry::global() while the configuration loads, which happens
// before a reload releases the previous configuration, so a zone whose name and size are
// unchanged is handed over with its contents, as nginx keeps a shm zone across HUP.

#include <memory>
#include <string>

#include "core/conf.h"
#include "http/http_conf.h"
#include "http/http_conf_scope.h"
#include "lua/lua_conf.h"
#include "lua/lua_module.h"
#include "shdict/registry.h"
#include "shdict/zone.h"

namespace tycho::lua {
namespace {

using core::ConfNode;
using core::ConfProcessor;
using core::Status;

Status set_shared_dict(ConfProcessor& p, const ConfNode& node, void* conf) {
    const std::string& name = node.args[0];
    const std::string& size_arg = node.args[1];
    if (name.empty()) {
        return Status::error("invalid lua shared dict name \"" + name + "\"");
    }
    core::Result<int64_t> parsed = core::parse_size(size_arg);
    Status st = shdict::check_zone_size(size_arg, parsed ? *parsed : -1);
    if (!st) {
        return st;
    }
    size_t size = static_cast<size_t>(*parsed);
    LuaMainConf& m = main_conf_of(p, http::conf_scope(conf));
    for (const std::shared_ptr<shdict::Zone>& z : m.shared_dicts) {
        if (z->name() != name) {
            continue;
        }
        // nginx's ngx_shared_memory_add checks the size first, then lua-nginx-module the tag.
        if (z->capacity() != size) {
            return Status::error("the size " + std::to_string(size) + " of shared memory zone \"" +
                                 name + "\" conflicts with already declared size " +
                                 std::to_string(z->capacity()));
        }
        return Status::error("lua_shared_dict \"" + name + "\" is already defined as \"" + name +
                             "\"");
    }
    m.shared_dicts.push_back(shdict::ZoneRegistry::global().acquire(name, size));
    return Status::ok();
}

}  // namespace

void register_shdict_directives(core::DirectiveTable& table) {
    table.add(core::Directive{"lua_shared_dict", core::kConfHttp, core::kArgs2, set_shared_dict});
}

}  // namespace tycho::lua
