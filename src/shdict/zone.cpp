#include "shdict/zone.h"

#include <bit>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <type_traits>

#include "core/clock.h"

namespace tycho::shdict {

const char* code_text(Code code) noexcept {
    switch (code) {
        case Code::kOk:
            return "";
        case Code::kNotFound:
            return "not found";
        case Code::kExists:
            return "exists";
        case Code::kNoMemory:
            return "no memory";
        case Code::kNotANumber:
            return "not a number";
        case Code::kNotAList:
            return "value not a list";
        case Code::kValueIsList:
            return "value is a list";
        case Code::kEmptyKey:
            return "empty key";
        case Code::kKeyTooLong:
            return "key too long";
        case Code::kNilValue:
            return "attempt to add or replace nil values";
        case Code::kBadValueType:
            return "bad value type";
    }
    return "unknown error";
}

// One list element: its own malloc() block so push/pop never move the other elements.
struct Zone::ListItem {
    ListItem* prev;
    ListItem* next;
    double number;
    uint32_t len;
    ValueType type;

    char* data() { return reinterpret_cast<char*>(this + 1); }
};

// One entry: header, then the key bytes, then the string value bytes, in one block.
// `lru` comes first so a Link* converts back to its Node* with a cast (standard layout).
struct Zone::Node {
    Link lru;
    Node* hnext;      // hash chain; also chains nodes waiting to be freed
    int64_t expires;  // Unix ms; 0 = never
    uint64_t hash;
    size_t charge;  // bytes accounted: this block plus, for a list, all its elements
    uint32_t flags;
    uint32_t value_len;  // string bytes; list: element count
    uint16_t key_len;
    ValueType type;
    struct ListHead {
        ListItem* head;
        ListItem* tail;
    };
    union {
        double number;
        bool boolean;
        ListHead list;
    };

    char* key() { return reinterpret_cast<char*>(this + 1); }
    char* value() { return key() + key_len; }
};

// Nodes unlinked under the lock, freed by the destructor. Declare it before the lock guard in
// the same scope so it is destroyed after the lock is released.
struct Zone::Garbage {
    Node* nodes = nullptr;

    Garbage() = default;
    Garbage(const Garbage&) = delete;
    Garbage& operator=(const Garbage&) = delete;
    ~Garbage() {
        while (nodes != nullptr) {
            Node* n = nodes;
            nodes = n->hnext;
            free_node(n);
        }
    }
    void add(Node* n) {
        n->hnext = nodes;
        nodes = n;
    }
};

namespace {

// Oldest entries examined for expired ones before live entries are evicted.
constexpr int kExpiredScan = 32;
// One hash bucket per this many bytes of SIZE.
constexpr size_t kBytesPerBucket = 256;

// What glibc's malloc really takes for an n-byte request: an 8-byte chunk header, rounded up to
// 16, at least 32.
size_t chunk_size(size_t n) {
    size_t c = (n + 8 + 15) & ~static_cast<size_t>(15);
    return c < 32 ? 32 : c;
}

uint64_t hash_key(const char* key, size_t klen) {
    return std::hash<std::string_view>{}(std::string_view(key, klen));
}

Code check_key(size_t klen) {
    if (klen == 0) {
        return Code::kEmptyKey;
    }
    if (klen > kMaxKeyLength) {
        return Code::kKeyTooLong;
    }
    return Code::kOk;
}

void reset(ValueOut* out) {
    out->type = ValueType::kNil;
    out->number = 0;
    out->boolean = false;
    out->str = nullptr;
    out->len = 0;
    out->heap = false;
    out->flags = 0;
    out->stale = false;
}

}  // namespace

size_t Zone::entry_charge(size_t klen, size_t vlen) {
    return chunk_size(sizeof(Node) + klen + vlen);
}

size_t Zone::list_item_charge(size_t vlen) { return chunk_size(sizeof(ListItem) + vlen); }

Zone::Zone(std::string name, size_t size, const Clock* clock)
    : name_(std::move(name)), size_(size), clock_(clock) {
    size_t nbuckets = std::bit_ceil(size / kBytesPerBucket);
    if (nbuckets < 16) {
        nbuckets = 16;
    }
    buckets_ = static_cast<Node**>(std::calloc(nbuckets, sizeof(Node*)));
    if (buckets_ == nullptr) {
        std::fprintf(stderr, "lua_shared_dict \"%s\": out of memory\n", name_.c_str());
        std::abort();
    }
    mask_ = nbuckets - 1;
    overhead_ = chunk_size(sizeof(Zone)) + chunk_size(nbuckets * sizeof(Node*));
    used_ = overhead_;
    lru_.prev = &lru_;
    lru_.next = &lru_;
}

Zone::~Zone() {
    Link* l = lru_.next;
    while (l != &lru_) {
        Link* next = l->next;
        free_node(node_of(l));
        l = next;
    }
    std::free(buckets_);
}

int64_t Zone::now() const {
    return clock_ != nullptr ? clock_->now_ms() : core::cached_time().msec;
}

Zone::Node* Zone::node_of(Link* link) {
    static_assert(std::is_standard_layout_v<Node> && offsetof(Node, lru) == 0);
    return reinterpret_cast<Node*>(link);
}

bool Zone::expired(const Node* node, int64_t now) {
    return node->expires != 0 && node->expires <= now;
}

void Zone::free_node(Node* node) {
    if (node->type == ValueType::kList) {
        ListItem* item = node->list.head;
        while (item != nullptr) {
            ListItem* next = item->next;
            std::free(item);
            item = next;
        }
    }
    std::free(node);
}

namespace {

template <typename NodeT>
NodeT* new_node(const char* key, size_t klen, size_t vlen, uint64_t hash, size_t charge) {
    auto* n = static_cast<NodeT*>(std::malloc(sizeof(NodeT) + klen + vlen));
    if (n == nullptr) {
        return nullptr;
    }
    n->hnext = nullptr;
    n->expires = 0;
    n->hash = hash;
    n->charge = charge;
    n->flags = 0;
    n->value_len = static_cast<uint32_t>(vlen);
    n->key_len = static_cast<uint16_t>(klen);
    n->type = ValueType::kNil;
    n->list.head = nullptr;
    n->list.tail = nullptr;
    std::memcpy(n->key(), key, klen);
    return n;
}

}  // namespace

Zone::Node* Zone::find(uint64_t hash, const char* key, size_t klen) const {
    for (Node* n = buckets_[hash & mask_]; n != nullptr; n = n->hnext) {
        if (n->hash == hash && n->key_len == klen && std::memcmp(n->key(), key, klen) == 0) {
            return n;
        }
    }
    return nullptr;
}

void Zone::touch(Node* node) {
    Link* l = &node->lru;
    if (lru_.next == l) {
        return;
    }
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = &lru_;
    l->next = lru_.next;
    lru_.next->prev = l;
    lru_.next = l;
}

void Zone::attach(Node* node) {
    Node** bucket = &buckets_[node->hash & mask_];
    node->hnext = *bucket;
    *bucket = node;
    Link* l = &node->lru;
    l->prev = &lru_;
    l->next = lru_.next;
    lru_.next->prev = l;
    lru_.next = l;
    used_ += node->charge;
    count_++;
}

void Zone::detach(Node* node) {
    Node** p = &buckets_[node->hash & mask_];
    while (*p != node) {
        p = &(*p)->hnext;
    }
    *p = node->hnext;
    node->hnext = nullptr;
    node->lru.prev->next = node->lru.next;
    node->lru.next->prev = node->lru.prev;
    used_ -= node->charge;
    count_--;
}

void Zone::reclaim(Node* node, Garbage* garbage) {
    detach(node);
    garbage->add(node);
}

// lua-nginx-module's ngx_http_lua_shdict_expire(ctx, 1): before an operation, reclaim up to two
// expired entries at the LRU tail, so expired entries do not pile up without a flush.
void Zone::sweep_tail(int64_t now, Garbage* garbage) {
    for (int i = 0; i < 2 && lru_.prev != &lru_; i++) {
        Node* tail = node_of(lru_.prev);
        if (!expired(tail, now)) {
            return;
        }
        reclaim(tail, garbage);
    }
}

bool Zone::make_room(size_t need, bool evict, int64_t now, Garbage* garbage, bool* forcible) {
    if (overhead_ >= size_ || need > size_ - overhead_) {
        return false;
    }
    if (used_ + need <= size_) {
        return true;
    }
    // Expired entries are free memory: take them first, from the oldest few.
    Link* l = lru_.prev;
    for (int i = 0; i < kExpiredScan && l != &lru_ && used_ + need > size_; i++) {
        Link* prev = l->prev;
        Node* n = node_of(l);
        if (expired(n, now)) {
            reclaim(n, garbage);
        }
        l = prev;
    }
    if (used_ + need <= size_) {
        return true;
    }
    if (!evict) {
        return false;
    }
    // The list cannot run dry here: with no entries used_ == overhead_ and need fits.
    while (used_ + need > size_) {
        Node* tail = node_of(lru_.prev);
        if (!expired(tail, now)) {
            *forcible = true;
        }
        reclaim(tail, garbage);
    }
    return true;
}

Code Zone::get(const char* key, size_t klen, ValueOut* out) {
    return get_impl(key, klen, out, false);
}

Code Zone::get_stale(const char* key, size_t klen, ValueOut* out) {
    return get_impl(key, klen, out, true);
}

Code Zone::get_impl(const char* key, size_t klen, ValueOut* out, bool stale) {
    reset(out);
    if (Code rc = check_key(klen); rc != Code::kOk) {
        return rc;
    }
    uint64_t hash = hash_key(key, klen);
    int64_t now = this->now();
    char* heap = nullptr;
    size_t heap_size = 0;
    bool swept = false;
    Code rc = Code::kOk;
    for (;;) {
        Garbage garbage;
        std::unique_lock<SpinLock> guard(lock_);
        if (!stale && !swept) {
            sweep_tail(now, &garbage);
        }
        swept = true;
        Node* n = find(hash, key, klen);
        if (n == nullptr) {
            break;
        }
        touch(n);
        bool is_expired = expired(n, now);
        if (is_expired && !stale) {
            break;
        }
        if (n->type == ValueType::kList) {
            rc = Code::kValueIsList;
            break;
        }
        if (n->type == ValueType::kString) {
            size_t len = n->value_len;
            char* dst = nullptr;
            if (len <= out->buf_size) {
                dst = out->buf;
            } else if (len <= heap_size) {
                dst = heap;
            } else {
                // Too big for the caller's buffer: allocate outside the lock and look again
                // (the value may change meanwhile; the sweep is not repeated).
                guard.unlock();
                std::free(heap);
                heap = static_cast<char*>(std::malloc(len));
                if (heap == nullptr) {
                    return Code::kNoMemory;
                }
                heap_size = len;
                continue;
            }
            if (len > 0) {
                std::memcpy(dst, n->value(), len);
            }
            out->str = dst;
            out->len = len;
            out->heap = dst != nullptr && dst == heap;
        } else if (n->type == ValueType::kNumber) {
            out->number = n->number;
        } else {
            out->boolean = n->boolean;
        }
        out->type = n->type;
        out->flags = n->flags;
        out->stale = is_expired;
        break;
    }
    if (heap != nullptr && !out->heap) {
        std::free(heap);
    }
    return rc;
}

Code Zone::store(StoreOp op, const char* key, size_t klen, const ValueIn& value, int64_t exptime_ms,
                 uint32_t flags, bool* forcible) {
    *forcible = false;
    if (Code rc = check_key(klen); rc != Code::kOk) {
        return rc;
    }
    int bits = static_cast<int>(op);
    bool add = (bits & static_cast<int>(StoreOp::kAdd)) != 0;
    bool replace = (bits & static_cast<int>(StoreOp::kReplace)) != 0;
    bool safe = (bits & static_cast<int>(StoreOp::kSafeSet)) != 0;
    size_t vlen = 0;
    switch (value.type) {
        case ValueType::kNil:
            if (add || replace) {
                return Code::kNilValue;
            }
            break;
        case ValueType::kBoolean:
        case ValueType::kNumber:
            break;
        case ValueType::kString:
            if (value.len > UINT32_MAX) {
                return Code::kNoMemory;
            }
            vlen = value.len;
            break;
        default:
            return Code::kBadValueType;
    }

    uint64_t hash = hash_key(key, klen);
    int64_t now = this->now();
    Node* fresh = nullptr;
    if (value.type != ValueType::kNil) {
        fresh = new_node<Node>(key, klen, vlen, hash, entry_charge(klen, vlen));
        if (fresh == nullptr) {
            return Code::kNoMemory;
        }
        fresh->type = value.type;
        fresh->flags = flags;
        fresh->expires = exptime_ms > 0 ? now + exptime_ms : 0;
        if (value.type == ValueType::kString) {
            if (vlen > 0) {
                std::memcpy(fresh->value(), value.str, vlen);
            }
        } else if (value.type == ValueType::kNumber) {
            fresh->number = value.number;
        } else {
            fresh->boolean = value.boolean;
        }
    }

    Code rc = Code::kOk;
    {
        Garbage garbage;
        std::lock_guard<SpinLock> guard(lock_);
        sweep_tail(now, &garbage);
        Node* old = find(hash, key, klen);
        bool live = false;
        if (old != nullptr) {
            touch(old);
            live = !expired(old, now);
        }
        if (replace && !live) {
            rc = Code::kNotFound;
        } else if (add && live) {
            rc = Code::kExists;
        } else if (fresh == nullptr) {
            if (old != nullptr) {
                reclaim(old, &garbage);
            }
        } else {
            // The old entry's bytes count as free for its replacement; if the new one still
            // does not fit, the old one goes back untouched.
            if (old != nullptr) {
                detach(old);
            }
            if (make_room(fresh->charge, !safe, now, &garbage, forcible)) {
                attach(fresh);
                fresh = nullptr;
                if (old != nullptr) {
                    garbage.add(old);
                }
            } else {
                if (old != nullptr) {
                    attach(old);
                }
                rc = Code::kNoMemory;
            }
        }
    }
    if (fresh != nullptr) {
        free_node(fresh);
    }
    return rc;
}

Code Zone::remove(const char* key, size_t klen) {
    bool forcible = false;
    return store(StoreOp::kSet, key, klen, ValueIn::nil(), 0, 0, &forcible);
}

Code Zone::incr(const char* key, size_t klen, double delta, const double* init, int64_t init_ttl_ms,
                double* result, bool* forcible) {
    *forcible = false;
    if (Code rc = check_key(klen); rc != Code::kOk) {
        return rc;
    }
    uint64_t hash = hash_key(key, klen);
    int64_t now = this->now();
    Node* fresh = nullptr;
    bool swept = false;
    Code rc = Code::kOk;
    for (;;) {
        Garbage garbage;
        std::unique_lock<SpinLock> guard(lock_);
        if (!swept) {
            sweep_tail(now, &garbage);
            swept = true;
        }
        Node* n = find(hash, key, klen);
        bool live = false;
        if (n != nullptr) {
            touch(n);
            live = !expired(n, now);
        }
        if (live) {
            if (n->type != ValueType::kNumber) {
                rc = Code::kNotANumber;
            } else {
                n->number += delta;
                *result = n->number;
            }
            break;
        }
        if (init == nullptr) {
            rc = Code::kNotFound;
            break;
        }
        if (fresh == nullptr) {
            guard.unlock();
            fresh = new_node<Node>(key, klen, 0, hash, entry_charge(klen, 0));
            if (fresh == nullptr) {
                return Code::kNoMemory;
            }
            continue;
        }
        fresh->type = ValueType::kNumber;
        fresh->number = delta + *init;
        fresh->expires = init_ttl_ms > 0 ? now + init_ttl_ms : 0;
        if (n != nullptr) {
            detach(n);
        }
        if (make_room(fresh->charge, true, now, &garbage, forcible)) {
            attach(fresh);
            *result = fresh->number;
            fresh = nullptr;
            if (n != nullptr) {
                garbage.add(n);
            }
        } else {
            if (n != nullptr) {
                attach(n);
            }
            rc = Code::kNoMemory;
        }
        break;
    }
    if (fresh != nullptr) {
        free_node(fresh);
    }
    return rc;
}

Code Zone::push(bool left, const char* key, size_t klen, const ValueIn& value, size_t* length) {
    if (Code rc = check_key(klen); rc != Code::kOk) {
        return rc;
    }
    size_t vlen = 0;
    if (value.type == ValueType::kString) {
        if (value.len > UINT32_MAX) {
            return Code::kNoMemory;
        }
        vlen = value.len;
    } else if (value.type != ValueType::kNumber) {
        return Code::kBadValueType;
    }
    auto* item = static_cast<ListItem*>(std::malloc(sizeof(ListItem) + vlen));
    if (item == nullptr) {
        return Code::kNoMemory;
    }
    item->prev = nullptr;
    item->next = nullptr;
    item->type = value.type;
    item->len = static_cast<uint32_t>(vlen);
    item->number = value.number;
    if (vlen > 0) {
        std::memcpy(item->data(), value.str, vlen);
    }
    const size_t item_charge = list_item_charge(vlen);

    uint64_t hash = hash_key(key, klen);
    int64_t now = this->now();
    Node* head = nullptr;
    bool swept = false;
    Code rc = Code::kOk;
    for (;;) {
        Garbage garbage;
        std::unique_lock<SpinLock> guard(lock_);
        if (!swept) {
            sweep_tail(now, &garbage);
            swept = true;
        }
        Node* n = find(hash, key, klen);
        if (n != nullptr) {
            touch(n);
            if (expired(n, now)) {
                reclaim(n, &garbage);
                n = nullptr;
            }
        }
        size_t need = item_charge;
        if (n != nullptr) {
            if (n->type != ValueType::kList) {
                rc = Code::kNotAList;
                break;
            }
        } else {
            if (head == nullptr) {
                guard.unlock();
                head = new_node<Node>(key, klen, 0, hash, entry_charge(klen, 0));
                if (head == nullptr) {
                    rc = Code::kNoMemory;
                    break;
                }
                head->type = ValueType::kList;
                continue;
            }
            need += head->charge;
        }
        bool unused = false;
        if (!make_room(need, false, now, &garbage, &unused)) {
            rc = Code::kNoMemory;
            *length = n != nullptr ? n->value_len : 0;
            break;
        }
        if (n == nullptr) {
            attach(head);
            n = head;
            head = nullptr;
        }
        if (left) {
            item->next = n->list.head;
            if (n->list.head != nullptr) {
                n->list.head->prev = item;
            } else {
                n->list.tail = item;
            }
            n->list.head = item;
        } else {
            item->prev = n->list.tail;
            if (n->list.tail != nullptr) {
                n->list.tail->next = item;
            } else {
                n->list.head = item;
            }
            n->list.tail = item;
        }
        item = nullptr;
        n->value_len++;
        n->charge += item_charge;
        used_ += item_charge;
        *length = n->value_len;
        break;
    }
    std::free(item);
    if (head != nullptr) {
        free_node(head);
    }
    return rc;
}

Code Zone::pop(bool left, const char* key, size_t klen, ValueOut* out) {
    reset(out);
    if (Code rc = check_key(klen); rc != Code::kOk) {
        return rc;
    }
    uint64_t hash = hash_key(key, klen);
    int64_t now = this->now();
    ListItem* item = nullptr;
    {
        Garbage garbage;
        std::lock_guard<SpinLock> guard(lock_);
        sweep_tail(now, &garbage);
        Node* n = find(hash, key, klen);
        if (n == nullptr) {
            return Code::kOk;
        }
        touch(n);
        if (expired(n, now)) {
            return Code::kOk;
        }
        if (n->type != ValueType::kList) {
            return Code::kNotAList;
        }
        item = left ? n->list.head : n->list.tail;
        if (item->prev != nullptr) {
            item->prev->next = item->next;
        } else {
            n->list.head = item->next;
        }
        if (item->next != nullptr) {
            item->next->prev = item->prev;
        } else {
            n->list.tail = item->prev;
        }
        size_t charge = list_item_charge(item->type == ValueType::kString ? item->len : 0);
        n->charge -= charge;
        used_ -= charge;
        if (--n->value_len == 0) {
            reclaim(n, &garbage);
        }
    }
    // The element is ours now: copy it out without holding the lock.
    Code rc = Code::kOk;
    if (item->type == ValueType::kString) {
        size_t len = item->len;
        char* dst = out->buf;
        if (len > out->buf_size) {
            dst = static_cast<char*>(std::malloc(len));
            out->heap = dst != nullptr;
        }
        if (dst == nullptr && len > 0) {
            rc = Code::kNoMemory;
        } else {
            if (len > 0) {
                std::memcpy(dst, item->data(), len);
            }
            out->type = ValueType::kString;
            out->str = dst;
            out->len = len;
        }
    } else {
        out->type = ValueType::kNumber;
        out->number = item->number;
    }
    std::free(item);
    return rc;
}

Code Zone::llen(const char* key, size_t klen, size_t* length) {
    *length = 0;
    if (Code rc = check_key(klen); rc != Code::kOk) {
        return rc;
    }
    uint64_t hash = hash_key(key, klen);
    int64_t now = this->now();
    Garbage garbage;
    std::lock_guard<SpinLock> guard(lock_);
    sweep_tail(now, &garbage);
    Node* n = find(hash, key, klen);
    if (n == nullptr) {
        return Code::kOk;
    }
    touch(n);
    if (expired(n, now)) {
        return Code::kOk;
    }
    if (n->type != ValueType::kList) {
        return Code::kNotAList;
    }
    *length = n->value_len;
    return Code::kOk;
}

Code Zone::ttl(const char* key, size_t klen, int64_t* ms) {
    *ms = 0;
    if (Code rc = check_key(klen); rc != Code::kOk) {
        return rc;
    }
    uint64_t hash = hash_key(key, klen);
    int64_t now = this->now();
    std::lock_guard<SpinLock> guard(lock_);
    Node* n = find(hash, key, klen);
    if (n == nullptr) {
        return Code::kNotFound;
    }
    *ms = n->expires == 0 ? 0 : n->expires - now;
    return Code::kOk;
}

Code Zone::expire(const char* key, size_t klen, int64_t exptime_ms) {
    if (Code rc = check_key(klen); rc != Code::kOk) {
        return rc;
    }
    uint64_t hash = hash_key(key, klen);
    int64_t now = this->now();
    std::lock_guard<SpinLock> guard(lock_);
    Node* n = find(hash, key, klen);
    if (n == nullptr) {
        return Code::kNotFound;
    }
    n->expires = exptime_ms > 0 ? now + exptime_ms : 0;
    return Code::kOk;
}

void Zone::flush_all() {
    Garbage garbage;
    std::lock_guard<SpinLock> guard(lock_);
    for (Link* l = lru_.next; l != &lru_; l = l->next) {
        node_of(l)->expires = 1;
    }
    // ngx_http_lua_shdict_expire(ctx, 0): the oldest entry, then up to two more expired ones.
    for (int i = 0; i < 3 && lru_.prev != &lru_; i++) {
        reclaim(node_of(lru_.prev), &garbage);
    }
}

size_t Zone::flush_expired(size_t max) {
    int64_t now = this->now();
    size_t freed = 0;
    Garbage garbage;
    std::lock_guard<SpinLock> guard(lock_);
    Link* l = lru_.prev;
    while (l != &lru_) {
        Link* prev = l->prev;
        Node* n = node_of(l);
        if (expired(n, now)) {
            reclaim(n, &garbage);
            if (++freed == max) {
                break;
            }
        }
        l = prev;
    }
    return freed;
}

std::vector<std::string> Zone::get_keys(size_t max) {
    int64_t now = this->now();
    std::vector<std::string> keys;
    std::lock_guard<SpinLock> guard(lock_);
    for (Link* l = lru_.prev; l != &lru_; l = l->prev) {
        Node* n = node_of(l);
        if (!expired(n, now)) {
            keys.emplace_back(n->key(), n->key_len);
            if (keys.size() == max) {
                break;
            }
        }
    }
    return keys;
}

size_t Zone::free_space() const {
    std::lock_guard<SpinLock> guard(lock_);
    return used_ >= size_ ? 0 : size_ - used_;
}

size_t Zone::count() const {
    std::lock_guard<SpinLock> guard(lock_);
    return count_;
}

std::string Zone::check_invariants() const {
    std::lock_guard<SpinLock> guard(lock_);
    char msg[160];
    size_t entries = 0;
    size_t bytes = overhead_;
    const Link* prev = &lru_;
    for (Link* l = lru_.next; l != &lru_; l = l->next) {
        if (l->prev != prev) {
            return "LRU list: broken back link";
        }
        prev = l;
        Node* n = node_of(l);
        entries++;
        if (entries > count_) {
            return "LRU list: more entries than counted";
        }
        if (n->key_len == 0) {
            return "entry with an empty key";
        }
        if (n->hash != hash_key(n->key(), n->key_len) || find(n->hash, n->key(), n->key_len) != n) {
            return "entry in the LRU list is not reachable through the hash table";
        }
        size_t charge = entry_charge(n->key_len, n->type == ValueType::kString ? n->value_len : 0);
        if (n->type == ValueType::kList) {
            size_t items = 0;
            const ListItem* before = nullptr;
            for (ListItem* it = n->list.head; it != nullptr; it = it->next) {
                if (it->prev != before) {
                    return "list: broken back link";
                }
                if (it->type != ValueType::kString && it->type != ValueType::kNumber) {
                    return "list: element of a bad type";
                }
                before = it;
                items++;
                charge += list_item_charge(it->type == ValueType::kString ? it->len : 0);
            }
            if (before != n->list.tail) {
                return "list: tail mismatch";
            }
            if (items != n->value_len || items == 0) {
                std::snprintf(msg, sizeof(msg), "list: %zu elements, length says %u", items,
                              n->value_len);
                return msg;
            }
        } else if (n->type != ValueType::kString && n->type != ValueType::kNumber &&
                   n->type != ValueType::kBoolean) {
            return "entry of a bad type";
        }
        if (charge != n->charge) {
            return "entry charge mismatch";
        }
        bytes += charge;
    }
    if (lru_.prev != prev) {
        return "LRU list: tail mismatch";
    }
    if (entries != count_) {
        std::snprintf(msg, sizeof(msg), "count %zu, LRU list holds %zu", count_, entries);
        return msg;
    }
    size_t chained = 0;
    for (size_t b = 0; b <= mask_; b++) {
        for (Node* n = buckets_[b]; n != nullptr; n = n->hnext) {
            if ((n->hash & mask_) != b) {
                return "hash table: entry in the wrong bucket";
            }
            if (++chained > count_) {
                return "hash table: more entries than counted";
            }
        }
    }
    if (chained != count_) {
        return "hash table: entry count mismatch";
    }
    if (bytes != used_) {
        std::snprintf(msg, sizeof(msg), "used %zu bytes, entries account for %zu", used_, bytes);
        return msg;
    }
    if (used_ > size_ && count_ > 0) {
        return "used bytes exceed the zone size";
    }
    return "";
}

}  // namespace tycho::shdict
