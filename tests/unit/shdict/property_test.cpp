// Random operation sequences against a plain reference model (std::list LRU + std::map),
// compared after every step: codes, values, flags, stale, forcible, TTLs, free space.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <list>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "shdict/zone.h"
#include "unit/shdict/test_util.h"

namespace tycho::shdict {
namespace {

using testing::FakeClock;
using testing::Got;

struct Item {
    ValueType type;
    double number;
    std::string str;
};

struct Entry {
    ValueType type = ValueType::kNil;
    double number = 0;
    bool boolean = false;
    std::string str;
    std::deque<Item> list;
    uint32_t flags = 0;
    int64_t expires = 0;
    size_t charge = 0;
    std::list<std::string>::iterator lru;
};

// The documented semantics, written the obvious way.
class Model {
  public:
    Model(size_t size, size_t overhead) : size_(size), used_(overhead), overhead_(overhead) {}

    size_t free_space() const { return size_ - used_; }
    size_t count() const { return map_.size(); }

    Got get(const std::string& key, bool stale, int64_t now) {
        Got g;
        if (Code rc = check_key(key); rc != Code::kOk) {
            g.rc = rc;
            return g;
        }
        if (!stale) {
            sweep(now);
        }
        Entry* e = find(key);
        if (e == nullptr) {
            return g;
        }
        touch(*e);
        bool is_expired = expired(*e, now);
        if (is_expired && !stale) {
            return g;
        }
        if (e->type == ValueType::kList) {
            g.rc = Code::kValueIsList;
            return g;
        }
        g.type = e->type;
        g.number = e->type == ValueType::kNumber ? e->number : 0;
        g.boolean = e->type == ValueType::kBoolean ? e->boolean : false;
        g.str = e->str;
        g.flags = e->flags;
        g.stale = is_expired;
        return g;
    }

    Code store(StoreOp op, const std::string& key, const ValueIn& v, int64_t exptime,
               uint32_t flags, int64_t now, bool* forcible) {
        *forcible = false;
        if (Code rc = check_key(key); rc != Code::kOk) {
            return rc;
        }
        int bits = static_cast<int>(op);
        bool add = bits & 1, replace = bits & 2, safe = bits & 4;
        if (v.type == ValueType::kNil && (add || replace)) {
            return Code::kNilValue;
        }
        sweep(now);
        Entry* old = find(key);
        bool live = false;
        if (old != nullptr) {
            touch(*old);
            live = !expired(*old, now);
        }
        if (replace && !live) {
            return Code::kNotFound;
        }
        if (add && live) {
            return Code::kExists;
        }
        if (v.type == ValueType::kNil) {
            if (old != nullptr) {
                reclaim(key);
            }
            return Code::kOk;
        }
        Entry fresh;
        fresh.type = v.type;
        if (v.type == ValueType::kNumber) {
            fresh.number = v.number;
        } else if (v.type == ValueType::kBoolean) {
            fresh.boolean = v.boolean;
        } else {
            fresh.str.assign(v.str, v.len);
        }
        fresh.flags = flags;
        fresh.expires = exptime > 0 ? now + exptime : 0;
        fresh.charge = Zone::entry_charge(key.size(), fresh.str.size());
        return put(key, std::move(fresh), !safe, now, forcible);
    }

    Code incr(const std::string& key, double delta, const double* init, int64_t init_ttl,
              int64_t now, double* result, bool* forcible) {
        *forcible = false;
        if (Code rc = check_key(key); rc != Code::kOk) {
            return rc;
        }
        sweep(now);
        Entry* e = find(key);
        if (e != nullptr) {
            touch(*e);
            if (!expired(*e, now)) {
                if (e->type != ValueType::kNumber) {
                    return Code::kNotANumber;
                }
                e->number += delta;
                *result = e->number;
                return Code::kOk;
            }
        }
        if (init == nullptr) {
            return Code::kNotFound;
        }
        Entry fresh;
        fresh.type = ValueType::kNumber;
        fresh.number = delta + *init;
        fresh.expires = init_ttl > 0 ? now + init_ttl : 0;
        fresh.charge = Zone::entry_charge(key.size(), 0);
        Code rc = put(key, std::move(fresh), true, now, forcible);
        if (rc == Code::kOk) {
            *result = find(key)->number;
        }
        return rc;
    }

    Code push(bool left, const std::string& key, const ValueIn& v, int64_t now, size_t* len) {
        if (Code rc = check_key(key); rc != Code::kOk) {
            return rc;
        }
        if (v.type != ValueType::kString && v.type != ValueType::kNumber) {
            return Code::kBadValueType;
        }
        sweep(now);
        Entry* e = find(key);
        if (e != nullptr) {
            touch(*e);
            if (expired(*e, now)) {
                reclaim(key);
                e = nullptr;
            }
        }
        Item item{v.type, v.type == ValueType::kNumber ? v.number : 0,
                  v.type == ValueType::kString ? std::string(v.str, v.len) : std::string()};
        size_t item_charge = Zone::list_item_charge(item.str.size());
        size_t need = item_charge;
        if (e != nullptr) {
            if (e->type != ValueType::kList) {
                return Code::kNotAList;
            }
        } else {
            need += Zone::entry_charge(key.size(), 0);
        }
        bool unused = false;
        if (!make_room(need, false, now, &unused)) {
            return Code::kNoMemory;
        }
        if (e == nullptr) {
            Entry head;
            head.type = ValueType::kList;
            head.charge = Zone::entry_charge(key.size(), 0);
            e = insert(key, std::move(head));
        }
        if (left) {
            e->list.push_front(std::move(item));
        } else {
            e->list.push_back(std::move(item));
        }
        e->charge += item_charge;
        used_ += item_charge;
        *len = e->list.size();
        return Code::kOk;
    }

    Got pop(bool left, const std::string& key, int64_t now) {
        Got g;
        if (Code rc = check_key(key); rc != Code::kOk) {
            g.rc = rc;
            return g;
        }
        sweep(now);
        Entry* e = find(key);
        if (e == nullptr) {
            return g;
        }
        touch(*e);
        if (expired(*e, now)) {
            return g;
        }
        if (e->type != ValueType::kList) {
            g.rc = Code::kNotAList;
            return g;
        }
        Item item = left ? e->list.front() : e->list.back();
        if (left) {
            e->list.pop_front();
        } else {
            e->list.pop_back();
        }
        size_t charge = Zone::list_item_charge(item.str.size());
        e->charge -= charge;
        used_ -= charge;
        if (e->list.empty()) {
            reclaim(key);
        }
        g.type = item.type;
        g.number = item.number;
        g.str = item.str;
        return g;
    }

    Code llen(const std::string& key, int64_t now, size_t* len) {
        *len = 0;
        if (Code rc = check_key(key); rc != Code::kOk) {
            return rc;
        }
        sweep(now);
        Entry* e = find(key);
        if (e == nullptr) {
            return Code::kOk;
        }
        touch(*e);
        if (expired(*e, now)) {
            return Code::kOk;
        }
        if (e->type != ValueType::kList) {
            return Code::kNotAList;
        }
        *len = e->list.size();
        return Code::kOk;
    }

    Code ttl(const std::string& key, int64_t now, int64_t* ms) {
        *ms = 0;
        if (Code rc = check_key(key); rc != Code::kOk) {
            return rc;
        }
        Entry* e = find(key);
        if (e == nullptr) {
            return Code::kNotFound;
        }
        *ms = e->expires == 0 ? 0 : e->expires - now;
        return Code::kOk;
    }

    Code expire(const std::string& key, int64_t exptime, int64_t now) {
        if (Code rc = check_key(key); rc != Code::kOk) {
            return rc;
        }
        Entry* e = find(key);
        if (e == nullptr) {
            return Code::kNotFound;
        }
        e->expires = exptime > 0 ? now + exptime : 0;
        return Code::kOk;
    }

    void flush_all() {
        for (auto& [key, e] : map_) {
            e.expires = 1;
        }
        for (int i = 0; i < 3 && !lru_.empty(); i++) {
            reclaim(std::string(lru_.back()));
        }
    }

    size_t flush_expired(size_t max, int64_t now) {
        size_t freed = 0;
        auto it = lru_.end();
        while (it != lru_.begin()) {
            auto cur = std::prev(it);
            if (expired(map_.at(*cur), now)) {
                reclaim(std::string(*cur));
                if (++freed == max) {
                    break;
                }
            } else {
                it = cur;
            }
        }
        return freed;
    }

    std::vector<std::string> get_keys(size_t max, int64_t now) const {
        std::vector<std::string> keys;
        for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
            if (!expired(map_.at(*it), now)) {
                keys.push_back(*it);
                if (keys.size() == max) {
                    break;
                }
            }
        }
        return keys;
    }

  private:
    static Code check_key(const std::string& key) {
        if (key.empty()) {
            return Code::kEmptyKey;
        }
        return key.size() > kMaxKeyLength ? Code::kKeyTooLong : Code::kOk;
    }
    static bool expired(const Entry& e, int64_t now) { return e.expires != 0 && e.expires <= now; }

    Entry* find(const std::string& key) {
        auto it = map_.find(key);
        return it == map_.end() ? nullptr : &it->second;
    }
    void touch(Entry& e) { lru_.splice(lru_.begin(), lru_, e.lru); }
    Entry* insert(const std::string& key, Entry e) {
        lru_.push_front(key);
        e.lru = lru_.begin();
        used_ += e.charge;
        return &(map_[key] = std::move(e));
    }
    void reclaim(const std::string& key) {
        Entry& e = map_.at(key);
        used_ -= e.charge;
        lru_.erase(e.lru);
        map_.erase(key);
    }
    void sweep(int64_t now) {
        for (int i = 0; i < 2 && !lru_.empty(); i++) {
            if (!expired(map_.at(lru_.back()), now)) {
                return;
            }
            reclaim(std::string(lru_.back()));
        }
    }
    bool make_room(size_t need, bool evict, int64_t now, bool* forcible) {
        if (need > size_ - overhead_) {
            return false;
        }
        auto it = lru_.end();
        for (int i = 0; i < 32 && it != lru_.begin() && used_ + need > size_; i++) {
            auto cur = std::prev(it);
            if (expired(map_.at(*cur), now)) {
                reclaim(std::string(*cur));
            } else {
                it = cur;
            }
        }
        if (used_ + need <= size_) {
            return true;
        }
        if (!evict) {
            return false;
        }
        while (used_ + need > size_) {
            if (!expired(map_.at(lru_.back()), now)) {
                *forcible = true;
            }
            reclaim(std::string(lru_.back()));
        }
        return true;
    }
    // Replaces (or creates) `key` with `fresh`; the old entry's bytes count as free, and it
    // stays untouched when the new one does not fit.
    Code put(const std::string& key, Entry fresh, bool evict, int64_t now, bool* forcible) {
        Entry* old = find(key);
        Entry saved;
        bool had_old = old != nullptr;
        if (had_old) {
            saved = std::move(*old);
            reclaim(key);
        }
        if (make_room(fresh.charge, evict, now, forcible)) {
            insert(key, std::move(fresh));
            return Code::kOk;
        }
        if (had_old) {
            insert(key, std::move(saved));
        }
        return Code::kNoMemory;
    }

    size_t size_;
    size_t used_;
    size_t overhead_;
    std::list<std::string> lru_;  // front = most recently used
    std::unordered_map<std::string, Entry> map_;
};

std::string describe(const Got& g) {
    std::string s = "rc=" + std::string(code_text(g.rc)) +
                    " type=" + std::to_string(static_cast<int>(g.type)) +
                    " num=" + std::to_string(g.number) + " bool=" + std::to_string(g.boolean) +
                    " str.size=" + std::to_string(g.str.size()) +
                    " flags=" + std::to_string(g.flags) + " stale=" + std::to_string(g.stale);
    return s;
}

bool same(const Got& a, const Got& b) {
    return a.rc == b.rc && a.type == b.type && a.number == b.number && a.boolean == b.boolean &&
           a.str == b.str && a.flags == b.flags && a.stale == b.stale;
}

TEST(ZoneProperty, MillionRandomOperationsMatchTheModel) {
    uint64_t seed = 20240601;
    if (const char* s = std::getenv("TYCHO_SHDICT_SEED")) {
        seed = std::strtoull(s, nullptr, 10);
    }
    std::mt19937_64 rng(seed);
    auto rnd = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };

    FakeClock clock;
    const size_t kSize = 16 * 1024;
    Zone zone("prop", kSize, &clock);
    Model model(kSize, zone.overhead());
    ASSERT_EQ(zone.free_space(), model.free_space());

    std::vector<std::string> keys;
    for (int i = 0; i < 160; i++) {
        keys.push_back("key" + std::to_string(i));
    }
    keys.push_back(std::string(300, 'L'));  // a long key
    const std::string pool(4096, 'x');
    std::string strbuf;

    auto random_key = [&]() -> std::string {
        if (rnd(2000) == 0) {
            return "";
        }
        return keys[rnd(keys.size())];
    };
    auto random_string = [&]() -> std::string {
        size_t len = rnd(10) == 0 ? rnd(3000) : rnd(24);
        std::string s(pool.data(), len);
        for (char& c : s) {
            c = static_cast<char>('a' + rnd(26));
        }
        return s;
    };
    auto random_value = [&](bool allow_nil) -> ValueIn {
        switch (rnd(allow_nil ? 8 : 7)) {
            case 0:
                return ValueIn::of_bool(rnd(2) == 0);
            case 1:
            case 2:
                return ValueIn::of_number(static_cast<double>(rnd(1000)) - 500 +
                                          (rnd(4) == 0 ? 0.25 : 0));
            case 7:
                return ValueIn::nil();
            default:
                strbuf = random_string();
                return ValueIn::of_string(strbuf);
        }
    };
    auto random_ttl = [&]() -> int64_t { return rnd(3) == 0 ? 0 : static_cast<int64_t>(rnd(40)); };

    // What the run went through, so a model that never reaches eviction cannot pass silently.
    size_t forcible_stores = 0, no_memory = 0, stale_hits = 0, heap_reads = 0, list_ops = 0;
    size_t not_a_number = 0, exists = 0, not_found = 0;

    const int kSteps = 1'000'000;
    for (int step = 0; step < kSteps; step++) {
        if (rnd(4) == 0) {
            clock.advance(static_cast<int64_t>(rnd(4)));
        }
        const int64_t now = clock.now_ms();
        const std::string key = random_key();
        const size_t op = rnd(100);
        std::string what;
        if (op < 22) {  // get / get_stale
            bool stale = op >= 18;
            what = stale ? "get_stale" : "get";
            Got want = model.get(key, stale, now);
            Got have = testing::get(zone, key, stale, 16);
            stale_hits += have.stale;
            heap_reads += have.heap;
            ASSERT_TRUE(same(want, have))
                << "step " << step << " " << what << "(" << key << "): want " << describe(want)
                << ", have " << describe(have);
        } else if (op < 50) {  // stores
            static constexpr StoreOp kOps[] = {StoreOp::kSet,     StoreOp::kSet, StoreOp::kSet,
                                               StoreOp::kSafeSet, StoreOp::kAdd, StoreOp::kSafeAdd,
                                               StoreOp::kReplace};
            StoreOp sop = kOps[rnd(std::size(kOps))];
            ValueIn v = random_value(true);
            int64_t exptime = random_ttl();
            uint32_t flags = rnd(3) == 0 ? static_cast<uint32_t>(rnd(100)) : 0;
            bool want_forcible = false;
            bool have_forcible = false;
            Code want = model.store(sop, key, v, exptime, flags, now, &want_forcible);
            Code have = zone.store(sop, key.data(), key.size(), v, exptime, flags, &have_forcible);
            what = "store op " + std::to_string(static_cast<int>(sop));
            ASSERT_EQ(want, have) << "step " << step << " " << what << " " << key;
            ASSERT_EQ(want_forcible, have_forcible) << "step " << step << " " << what;
            forcible_stores += have_forcible;
            no_memory += have == Code::kNoMemory;
            exists += have == Code::kExists;
            not_found += have == Code::kNotFound;
        } else if (op < 54) {  // delete
            bool f = false;
            Code want = model.store(StoreOp::kSet, key, ValueIn::nil(), 0, 0, now, &f);
            ASSERT_EQ(want, zone.remove(key.data(), key.size())) << "step " << step;
        } else if (op < 66) {  // incr
            double delta = static_cast<double>(rnd(21)) - 10;
            double init_value = static_cast<double>(rnd(100));
            const double* init = rnd(2) == 0 ? &init_value : nullptr;
            int64_t init_ttl = init != nullptr ? random_ttl() : 0;
            double want_r = -1;
            double have_r = -1;
            bool want_f = false;
            bool have_f = false;
            Code want = model.incr(key, delta, init, init_ttl, now, &want_r, &want_f);
            Code have = zone.incr(key.data(), key.size(), delta, init, init_ttl, &have_r, &have_f);
            ASSERT_EQ(want, have) << "step " << step << " incr " << key;
            ASSERT_EQ(want_r, have_r) << "step " << step << " incr " << key;
            ASSERT_EQ(want_f, have_f) << "step " << step << " incr " << key;
            not_a_number += have == Code::kNotANumber;
        } else if (op < 76) {  // push
            bool left = rnd(2) == 0;
            ValueIn v =
                rnd(10) == 0
                    ? random_value(true)
                    : (rnd(2) == 0 ? ValueIn::of_number(static_cast<double>(rnd(9)))
                                   : (strbuf = random_string(), ValueIn::of_string(strbuf)));
            size_t want_len = 0;
            size_t have_len = 0;
            Code want = model.push(left, key, v, now, &want_len);
            Code have = zone.push(left, key.data(), key.size(), v, &have_len);
            ASSERT_EQ(want, have) << "step " << step << " push " << key;
            if (want == Code::kOk) {
                ASSERT_EQ(want_len, have_len) << "step " << step;
                list_ops++;
            }
        } else if (op < 84) {  // pop
            bool left = rnd(2) == 0;
            Got want = model.pop(left, key, now);
            Got have = testing::pop(zone, key, left, 16);
            ASSERT_TRUE(same(want, have)) << "step " << step << " pop(" << key << "): want "
                                          << describe(want) << ", have " << describe(have);
        } else if (op < 87) {  // llen
            size_t want_len = 0;
            size_t have_len = 0;
            ASSERT_EQ(model.llen(key, now, &want_len), zone.llen(key.data(), key.size(), &have_len))
                << "step " << step;
            ASSERT_EQ(want_len, have_len) << "step " << step;
        } else if (op < 92) {  // ttl
            int64_t want_ms = 0;
            int64_t have_ms = 0;
            ASSERT_EQ(model.ttl(key, now, &want_ms), zone.ttl(key.data(), key.size(), &have_ms))
                << "step " << step;
            ASSERT_EQ(want_ms, have_ms) << "step " << step << " ttl " << key;
        } else if (op < 96) {  // expire
            int64_t exptime = random_ttl();
            ASSERT_EQ(model.expire(key, exptime, now), zone.expire(key.data(), key.size(), exptime))
                << "step " << step;
        } else if (op < 98) {  // flush_expired
            size_t max = rnd(4);
            ASSERT_EQ(model.flush_expired(max, now), zone.flush_expired(max)) << "step " << step;
        } else if (op < 99) {  // get_keys
            size_t max = rnd(6);
            ASSERT_EQ(model.get_keys(max, now), zone.get_keys(max)) << "step " << step;
        } else if (rnd(20) == 0) {
            model.flush_all();
            zone.flush_all();
        }
        ASSERT_EQ(model.free_space(), zone.free_space()) << "step " << step << " op " << op;
        ASSERT_EQ(model.count(), zone.count()) << "step " << step << " op " << op;
        if (step % 50000 == 0) {
            ASSERT_EQ(zone.check_invariants(), "") << "step " << step;
        }
    }
    ASSERT_EQ(zone.check_invariants(), "");
    ASSERT_EQ(model.get_keys(0, clock.now_ms()), zone.get_keys(0));
    EXPECT_GT(forcible_stores, 1000u);
    EXPECT_GT(no_memory, 100u);
    EXPECT_GT(stale_hits, 1000u);
    EXPECT_GT(heap_reads, 1000u);
    EXPECT_GT(list_ops, 1000u);
    EXPECT_GT(not_a_number, 1000u);
    EXPECT_GT(exists, 1000u);
    EXPECT_GT(not_found, 1000u);
    std::printf(
        "forcible %zu, no memory %zu, stale %zu, heap %zu, pushes %zu, nan %zu, exists %zu, "
        "not found %zu\n",
        forcible_stores, no_memory, stale_hits, heap_reads, list_ops, not_a_number, exists,
        not_found);
}

}  // namespace
}  // namespace tycho::shdict
