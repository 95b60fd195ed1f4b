#include "shdict/registry.h"

namespace tycho::shdict {

core::Status check_zone_size(std::string_view arg, int64_t size) {
    if (size < static_cast<int64_t>(kMinZoneSize)) {
        return core::Status::error("invalid lua shared dict size \"" + std::string(arg) + "\"");
    }
    return core::Status::ok();
}

std::shared_ptr<Zone> ZoneRegistry::acquire(std::string_view name, size_t size,
                                            const Clock* clock) {
    std::lock_guard<std::mutex> guard(mu_);
    std::string key(name);
    auto it = zones_.find(key);
    if (it != zones_.end()) {
        if (std::shared_ptr<Zone> zone = it->second.lock(); zone && zone->capacity() == size) {
            return zone;
        }
    }
    auto zone = std::make_shared<Zone>(key, size, clock);
    zones_[key] = zone;
    // Forget names whose zones died, so the map does not grow across reloads.
    for (auto i = zones_.begin(); i != zones_.end();) {
        i = i->second.expired() ? zones_.erase(i) : std::next(i);
    }
    return zone;
}

std::shared_ptr<Zone> ZoneRegistry::find(std::string_view name) const {
    std::lock_guard<std::mutex> guard(mu_);
    auto it = zones_.find(std::string(name));
    return it == zones_.end() ? nullptr : it->second.lock();
}

ZoneRegistry& ZoneRegistry::global() {
    static ZoneRegistry* registry = new ZoneRegistry();
    return *registry;
}

}  // namespace tycho::shdict
