#include "lua/lua_alloc.h"

#include <sys/mman.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>

namespace tycho::lua {

LuaAllocator::~LuaAllocator() {
    // After lua_close every block is back: what is left is each class's current slab, the
    // cache, and (only if a block leaked) listed slabs.
    for (SizeClass& k : classes_) {
        while (k.partial != nullptr) {
            Slab* s = k.partial;
            unlist(s);
            if (s != k.current) {
                unmap_slab(s);
            }
        }
        if (k.current != nullptr) {
            unmap_slab(k.current);
            k.current = nullptr;
        }
    }
    while (cache_ != nullptr) {
        Slab* s = cache_;
        cache_ = s->next;
        unmap_slab(s);
    }
    cached_ = 0;
}

void* LuaAllocator::lua_alloc(void* ud, void* ptr, size_t osize, size_t nsize) noexcept {
    auto* a = static_cast<LuaAllocator*>(ud);
    if (nsize == 0) {
        if (ptr != nullptr) {
            a->release(ptr, osize);
        }
        return nullptr;
    }
    if (ptr == nullptr) {
        return a->allocate(nsize);
    }
    return a->reallocate(ptr, osize, nsize);
}

void* LuaAllocator::allocate(size_t n) noexcept {
    if (n > kMaxSmall) {
        return std::malloc(n);
    }
    size_t cls = class_of(n);
    Slab* s = classes_[cls].current;
    if (s != nullptr) {
        if (Block* b = s->free; b != nullptr) {
            s->free = b->next;
            s->live++;
            return b;
        }
        char* end = reinterpret_cast<char*>(s) + kSlabSize;
        if (static_cast<size_t>(end - s->bump) >= cls * 16) {
            void* p = s->bump;
            s->bump += cls * 16;
            s->live++;
            return p;
        }
    }
    return allocate_slow(cls);
}

void* LuaAllocator::allocate_slow(size_t cls) noexcept {
    // The current slab is full (or there is none): it leaves the class until one of its blocks
    // comes back (release lists it then).
    SizeClass& k = classes_[cls];
    Slab* s = k.partial;
    if (s != nullptr) {
        unlist(s);
    } else {
        s = cache_;
        if (s != nullptr) {
            cache_ = s->next;
            cached_--;
        } else {
            s = map_slab();
            if (s == nullptr) {
                return nullptr;
            }
        }
        s->next = s->prev = nullptr;
        s->free = nullptr;
        s->bump = reinterpret_cast<char*>(s) + kFirstBlock;
        s->live = 0;
        s->cls = static_cast<uint16_t>(cls);
        s->listed = false;
    }
    k.current = s;
    Block* b = s->free;
    if (b != nullptr) {
        s->free = b->next;
    } else {
        // A listed slab has a free block, and a fresh one room for many.
        b = reinterpret_cast<Block*>(s->bump);
        s->bump += cls * 16;
    }
    s->live++;
    return b;
}

void LuaAllocator::release(void* p, size_t n) noexcept {
    if (n > kMaxSmall) {
        std::free(p);
        return;
    }
    Slab* s = slab_of(p);
    assert(s->cls == class_of(n) && s->live > 0);
    auto* b = static_cast<Block*>(p);
    b->next = s->free;
    s->free = b;
    s->live--;
    if (s == classes_[s->cls].current) {
        return;  // stays, even empty: the next allocation of its class comes here
    }
    if (s->live == 0) {
        if (s->listed) {
            unlist(s);
        }
        retire(s);
    } else if (!s->listed) {
        list(s);  // was full
    }
}

void* LuaAllocator::reallocate(void* p, size_t osize, size_t nsize) noexcept {
    if (osize <= kMaxSmall) {
        if (nsize <= kMaxSmall && class_of(osize) == class_of(nsize)) {
            return p;
        }
    } else if (nsize > kMaxSmall) {
        return std::realloc(p, nsize);
    }
    void* q = allocate(nsize);
    if (q == nullptr) {
        return nullptr;  // the old block stays valid, as realloc's does
    }
    std::memcpy(q, p, std::min(osize, nsize));
    release(p, osize);
    return q;
}

void LuaAllocator::list(Slab* s) {
    SizeClass& k = classes_[s->cls];
    s->prev = nullptr;
    s->next = k.partial;
    if (k.partial != nullptr) {
        k.partial->prev = s;
    }
    k.partial = s;
    s->listed = true;
}

void LuaAllocator::unlist(Slab* s) {
    SizeClass& k = classes_[s->cls];
    if (s->prev != nullptr) {
        s->prev->next = s->next;
    } else {
        k.partial = s->next;
    }
    if (s->next != nullptr) {
        s->next->prev = s->prev;
    }
    s->next = s->prev = nullptr;
    s->listed = false;
}

void LuaAllocator::retire(Slab* s) {
    if (cached_ < kMaxCachedSlabs) {
        s->next = cache_;
        cache_ = s;
        cached_++;
        return;
    }
    unmap_slab(s);
}

LuaAllocator::Slab* LuaAllocator::map_slab() noexcept {
    // Aligned to its size, so a block finds its slab by masking its address: map twice the
    // size and give back what lies outside the aligned middle.
    void* m = ::mmap(nullptr, 2 * kSlabSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return nullptr;
    }
    auto base = reinterpret_cast<uintptr_t>(m);
    uintptr_t aligned = (base + kSlabSize - 1) & ~(kSlabSize - 1);
    if (aligned > base) {
        ::munmap(m, aligned - base);
    }
    uintptr_t tail = aligned + kSlabSize;
    uintptr_t map_end = base + 2 * kSlabSize;
    if (map_end > tail) {
        ::munmap(reinterpret_cast<void*>(tail), map_end - tail);
    }
    slabs_mapped_++;
    return reinterpret_cast<Slab*>(aligned);
}

void LuaAllocator::unmap_slab(Slab* s) noexcept {
    ::munmap(s, kSlabSize);
    slabs_mapped_--;
}

}  // namespace tycho::lua
