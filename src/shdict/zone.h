#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shdict/spin_lock.h"

namespace tycho::shdict {

// Value types, numbered as Lua's type tags (what lua-nginx-module stores and its FFI passes), so
// the binding can hand them through unchanged.
enum class ValueType : uint8_t {
    kNil = 0,
    kBoolean = 1,
    kNumber = 3,
    kString = 4,
    kList = 5,
};

// Outcome of a zone operation. Every failure has exactly one text, given by code_text(); the
// texts are lua-nginx-module's and are API.
enum class Code : int {
    kOk = 0,
    kNotFound,      // "not found"       replace, incr without init, ttl, expire
    kExists,        // "exists"          add, safe_add
    kNoMemory,      // "no memory"       safe_*, push, an entry larger than the zone
    kNotANumber,    // "not a number"    incr on a non-number
    kNotAList,      // "value not a list"  push/pop/llen on a scalar
    kValueIsList,   // "value is a list"   get/get_stale on a list
    kEmptyKey,      // "empty key"
    kKeyTooLong,    // "key too long"    more than kMaxKeyLength bytes
    kNilValue,      // "attempt to add or replace nil values"
    kBadValueType,  // "bad value type"  a list given to store, a boolean/nil given to push
};

// The one mapping from Code to the error string returned to Lua ("" for kOk). Static storage.
const char* code_text(Code code) noexcept;

// lua-nginx-module's limits: keys are 1..65535 bytes; `lua_shared_dict` refuses sizes below 8k.
constexpr size_t kMaxKeyLength = 65535;
constexpr size_t kMinZoneSize = 8192;

// Store operations; the bits are lua-nginx-module's (ADD 1, REPLACE 2, SAFE_STORE 4) so an FFI
// caller passes its `op` integer straight through.
enum class StoreOp : int {
    kSet = 0,
    kAdd = 1,
    kReplace = 2,
    kSafeSet = 4,
    kSafeAdd = 5,
};

// A value handed to store()/push(). Strings are borrowed for the duration of the call only.
struct ValueIn {
    ValueType type = ValueType::kNil;
    double number = 0;
    bool boolean = false;
    const char* str = nullptr;
    size_t len = 0;

    static ValueIn nil() { return ValueIn{}; }
    static ValueIn of_bool(bool b) { return ValueIn{ValueType::kBoolean, 0, b, nullptr, 0}; }
    static ValueIn of_number(double n) { return ValueIn{ValueType::kNumber, n, false, nullptr, 0}; }
    static ValueIn of_string(std::string_view s) {
        return ValueIn{ValueType::kString, 0, false, s.data(), s.size()};
    }
};

// A value read by get()/get_stale()/pop(). The caller lends `buf`/`buf_size` for string values;
// a string that does not fit is returned in a malloc()ed block (`heap` = true) which the caller
// must free() — lua-resty-core's protocol, so the FFI binding needs no second call.
struct ValueOut {
    char* buf = nullptr;  // in: caller's buffer (may be null)
    size_t buf_size = 0;  // in: its size

    ValueType type = ValueType::kNil;  // kNil: no such key (or expired, for get)
    double number = 0;
    bool boolean = false;
    char* str = nullptr;  // string bytes: == buf, or a heap block when `heap`
    size_t len = 0;
    bool heap = false;
    uint32_t flags = 0;  // user flags (0 when none were set)
    bool stale = false;  // get_stale only: the entry has expired

    std::string_view string() const { return std::string_view(str, len); }
};

// Time source in Unix milliseconds. Tests inject a fake one; implementations must be safe to
// call from any thread.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual int64_t now_ms() const = 0;
};

// A `lua_shared_dict` zone: a key/value store shared by all worker threads, bounded by a byte
// budget, with LRU order, millisecond expiry and lists — lua-nginx-module's ngx.shared.DICT
// semantics (docs/api/shdict.md lists the few differences).
//
// Memory model — bounded accounting over malloc rather than a carved arena. Each entry is one
// malloc() block (node header, key, string value); each list element is one more block. Every
// block is charged at the size glibc really hands out for it (request + 8-byte chunk header,
// rounded up to 16, at least 32: see entry_charge()/list_item_charge()), and the zone's hash
// table is allocated once, up front, and charged as fixed overhead. So capacity() is the SIZE
// from the config and free_space() is what is really left for entries, with no fragmentation
// to explain: nginx's slab allocator can report free pages while a size class is exhausted,
// and forcible eviction then has to give up after 30 rounds; here eviction always succeeds for
// any entry that fits in the zone at all. The price is that the bytes are not in one mapping
// (irrelevant: workers are threads of one process, nothing is shared with other processes).
// The hash table has one bucket per 256 bytes of SIZE (about 3% of the zone), so the load
// factor stays below ~2.5 even when the zone is full of the smallest entries, and there is no
// rehash: no allocation and no O(n) pause ever happens under the lock.
//
// Concurrency: every operation is atomic under one SpinLock. Work under the lock is a hash
// probe, list relinking and memcpy of the value; node allocation happens before taking the
// lock and freeing after releasing it (a miss that needs a new node drops the lock, allocates
// and retries). Expiry is lazy, as in lua-nginx-module: each write (and get) first reclaims up
// to two expired entries at the LRU tail; lookups move the entry to the LRU head.
//
// Keys are (pointer, length) byte strings; nothing on the get/set path allocates std::string.
// All methods may be called from any thread, never yield, never throw.
class Zone {
  public:
    // `size` is the SIZE of `lua_shared_dict` (>= kMinZoneSize, checked by the caller with
    // check_zone_size()); `clock` (not owned, must outlive the zone) defaults to the calling
    // thread's cached time (core::cached_time(), refreshed once per loop turn like
    // ngx_timeofday()).
    Zone(std::string name, size_t size, const Clock* clock = nullptr);
    ~Zone();
    Zone(const Zone&) = delete;
    Zone& operator=(const Zone&) = delete;

    const std::string& name() const { return name_; }

    // get: the value and user flags of a live entry; out->type == kNil when the key is absent
    // or expired. Returns kOk, kValueIsList, kEmptyKey, kKeyTooLong.
    Code get(const char* key, size_t klen, ValueOut* out);
    // get_stale: as get, but an expired entry not yet reclaimed is returned with out->stale.
    Code get_stale(const char* key, size_t klen, ValueOut* out);

    // set/safe_set/add/safe_add/replace; a kNil value with kSet/kSafeSet deletes the key.
    // `exptime_ms` > 0 sets a time to live, 0 means never. *forcible is set when live entries
    // were evicted to make room (never for safe ops). Returns kOk, kExists (add on a live key),
    // kNotFound (replace on a missing/expired key), kNoMemory (safe op without room, or an
    // entry bigger than the zone), kNilValue (add/replace of nil), kBadValueType (kList),
    // kEmptyKey, kKeyTooLong. On failure the previous entry, if any, is left in place.
    Code store(StoreOp op, const char* key, size_t klen, const ValueIn& value, int64_t exptime_ms,
               uint32_t flags, bool* forcible);
    // delete: removes the key if present (live or expired). Always kOk for a valid key.
    Code remove(const char* key, size_t klen);

    // incr: adds `delta` to a live number and returns the sum in *result (TTL and flags kept).
    // A missing or expired key is kNotFound unless `init` is given: then the entry becomes
    // *init + delta with flags 0 and a TTL of `init_ttl_ms` (0 = none), evicting if needed
    // (*forcible). Returns kOk, kNotFound, kNotANumber, kNoMemory, kEmptyKey, kKeyTooLong.
    Code incr(const char* key, size_t klen, double delta, const double* init, int64_t init_ttl_ms,
              double* result, bool* forcible);

    // lpush/rpush: adds a string or number at the head/tail of the list at `key`, creating it
    // (an expired entry of any type is replaced). Never evicts live entries, as lua-nginx-module.
    // *length is the new length; after kNoMemory, the length of the list that stays as it was
    // (0: there was none). Returns kOk, kNotAList, kNoMemory, kBadValueType, key errors.
    Code push(bool left, const char* key, size_t klen, const ValueIn& value, size_t* length);
    // lpop/rpop: removes and returns the head/tail element; out->type == kNil when the key is
    // missing or expired. An emptied list disappears. Returns kOk, kNotAList, key errors.
    Code pop(bool left, const char* key, size_t klen, ValueOut* out);
    // llen: the list length, 0 for a missing or expired key. kOk, kNotAList, key errors.
    Code llen(const char* key, size_t klen, size_t* length);

    // ttl: milliseconds left (0 = no expiry; negative once expired but not yet reclaimed,
    // as lua-nginx-module). Does not touch LRU order. kOk, kNotFound, key errors.
    Code ttl(const char* key, size_t klen, int64_t* ms);
    // expire: sets a new TTL (0 = never) on an existing entry, even an expired one not yet
    // reclaimed. Does not touch LRU order. kOk, kNotFound, key errors.
    Code expire(const char* key, size_t klen, int64_t exptime_ms);

    // flush_all: marks every entry expired (get_stale still sees them until reclaimed) and
    // reclaims the three oldest, as lua-nginx-module does.
    void flush_all();
    // flush_expired: reclaims expired entries, oldest first, at most `max` (0 = all); returns
    // how many.
    size_t flush_expired(size_t max);
    // get_keys: live keys, least recently used first, at most `max` (0 = all). Copies every key
    // under the lock: as in OpenResty, meant for small dicts or debugging.
    std::vector<std::string> get_keys(size_t max);

    // SIZE as configured.
    size_t capacity() const { return size_; }
    // Bytes left for entries: capacity minus the fixed overhead minus the charge of every
    // entry and list element still held (expired ones included until reclaimed).
    size_t free_space() const;
    // Fixed bytes charged at creation (hash table and zone header).
    size_t overhead() const { return overhead_; }
    // Entries held, expired-but-unreclaimed ones included.
    size_t count() const;

    // Bytes charged for an entry with a `klen`-byte key and a `vlen`-byte string value (0 for
    // numbers, booleans and list heads), and for one list element (`vlen` = 0 for a number).
    static size_t entry_charge(size_t klen, size_t vlen);
    static size_t list_item_charge(size_t vlen);

    // Walks every structure and returns "" when consistent, else what is broken. For tests;
    // takes the lock.
    std::string check_invariants() const;

  private:
    struct Link {
        Link* prev;
        Link* next;
    };
    struct ListItem;
    struct Node;
    struct Garbage;

    int64_t now() const;
    Code get_impl(const char* key, size_t klen, ValueOut* out, bool stale);
    Node* find(uint64_t hash, const char* key, size_t klen) const;
    void touch(Node* node);
    void attach(Node* node);
    void detach(Node* node);
    void reclaim(Node* node, Garbage* garbage);
    void sweep_tail(int64_t now, Garbage* garbage);
    bool make_room(size_t need, bool evict, int64_t now, Garbage* garbage, bool* forcible);
    static bool expired(const Node* node, int64_t now);
    static Node* node_of(Link* link);
    static void free_node(Node* node);

    const std::string name_;
    const size_t size_;
    const Clock* const clock_;
    size_t overhead_;
    mutable SpinLock lock_;
    Node** buckets_;
    size_t mask_;
    Link lru_;  // head = most recently used
    size_t used_;
    size_t count_ = 0;
};

}  // namespace tycho::shdict
