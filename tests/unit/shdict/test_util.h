#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shdict/zone.h"

namespace tycho::shdict::testing {

// A settable clock; starts at a realistic Unix time (flush_all marks entries with expires = 1).
class FakeClock : public Clock {
  public:
    int64_t now_ms() const override { return now_.load(std::memory_order_relaxed); }
    void advance(int64_t ms) { now_.fetch_add(ms, std::memory_order_relaxed); }
    void set(int64_t ms) { now_.store(ms, std::memory_order_relaxed); }

  private:
    std::atomic<int64_t> now_{1'700'000'000'000};
};

// A value read back, owning its string.
struct Got {
    Code rc = Code::kOk;
    ValueType type = ValueType::kNil;
    double number = 0;
    bool boolean = false;
    std::string str;
    uint32_t flags = 0;
    bool stale = false;
    bool heap = false;
};

inline Got from_out(Code rc, const ValueOut& out) {
    Got g;
    g.rc = rc;
    g.type = out.type;
    g.number = out.number;
    g.boolean = out.boolean;
    g.str.assign(out.str == nullptr ? "" : out.str, out.len);
    g.flags = out.flags;
    g.stale = out.stale;
    g.heap = out.heap;
    if (out.heap) {
        std::free(out.str);
    }
    return g;
}

// Reads `key` through a `buf_size`-byte caller buffer (values longer take the heap path).
inline Got get(Zone& z, std::string_view key, bool stale = false, size_t buf_size = 32) {
    char buf[256];
    ValueOut out;
    out.buf = buf;
    out.buf_size = buf_size < sizeof(buf) ? buf_size : sizeof(buf);
    Code rc =
        stale ? z.get_stale(key.data(), key.size(), &out) : z.get(key.data(), key.size(), &out);
    return from_out(rc, out);
}

inline Got pop(Zone& z, std::string_view key, bool left, size_t buf_size = 32) {
    char buf[256];
    ValueOut out;
    out.buf = buf;
    out.buf_size = buf_size < sizeof(buf) ? buf_size : sizeof(buf);
    Code rc = z.pop(left, key.data(), key.size(), &out);
    return from_out(rc, out);
}

struct Stored {
    Code rc;
    bool forcible;
};

inline Stored store(Zone& z, StoreOp op, std::string_view key, const ValueIn& v,
                    int64_t exptime_ms = 0, uint32_t flags = 0) {
    bool forcible = true;  // must be reset by the zone
    Code rc = z.store(op, key.data(), key.size(), v, exptime_ms, flags, &forcible);
    return Stored{rc, forcible};
}

inline Stored set(Zone& z, std::string_view key, std::string_view v, int64_t exptime_ms = 0,
                  uint32_t flags = 0) {
    return store(z, StoreOp::kSet, key, ValueIn::of_string(v), exptime_ms, flags);
}

}  // namespace tycho::shdict::testing
