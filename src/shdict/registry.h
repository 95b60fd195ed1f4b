#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "shdict/zone.h"

namespace tycho::shdict {

// `lua_shared_dict NAME SIZE`'s size rule (lua-nginx-module: size <= 8191 is refused). `arg` is
// the SIZE argument as written, `size` its parsed value (core::parse_size). On failure the
// message is nginx's: `invalid lua shared dict size "4k"` (the config layer appends
// " in FILE:LINE").
core::Status check_zone_size(std::string_view arg, int64_t size);

// Zones by name, so that a reload keeps a dict's contents when its name and size are
// unchanged, as nginx keeps a shm zone across HUP. The registry holds weak references: a zone
// lives as long as some loaded configuration (or worker) holds its shared_ptr. A reload must
// acquire the new configuration's zones before releasing the old configuration; a zone no
// configuration declares any more then dies with the last old worker.
// Duplicate names within one configuration are the directive's concern, not the registry's.
// Thread-safe.
class ZoneRegistry {
  public:
    // The live zone `name` when its capacity equals `size`; otherwise a new empty zone, which
    // replaces the old one under that name (old holders keep using theirs until they let go).
    // `clock` as for Zone (tests only). Never null.
    std::shared_ptr<Zone> acquire(std::string_view name, size_t size, const Clock* clock = nullptr);
    // The live zone `name`, or null.
    std::shared_ptr<Zone> find(std::string_view name) const;

    // The process-wide registry used by the server.
    static ZoneRegistry& global();

  private:
    mutable std::mutex mu_;
    std::unordered_map<std::string, std::weak_ptr<Zone>> zones_;
};

}  // namespace tycho::shdict
