#pragma once

#include <cstddef>
#include <cstdint>

namespace tycho::lua {

// The memory allocator of one worker's Lua VM, given to lua_newstate.
//
// Nearly every object a handler makes (strings, tables and their parts, closures, upvalues,
// cdata) is at most a few hundred bytes. LuaJIT's built-in allocator, a dlmalloc, coalesces
// neighbours on every free: about 90 instructions a free and 50 an allocation, ~4 % of a
// request that reads ten headers. Here blocks up to kMaxSmall bytes come from per-size-class
// free lists (16-byte steps) in kSlabSize slabs, so an allocation is a pop and a free a push;
// larger blocks go to malloc. A slab none of whose blocks is in use goes back to the OS, but for
// a few kept for reuse, so the garbage of a burst (a million timers) does not stay mapped.
//
// Not thread-safe: one VM runs on one thread. Destroy it after lua_close.
class LuaAllocator {
public:
    static constexpr size_t kMaxSmall = 512;
    static constexpr size_t kSlabSize = 64 * 1024;
    // Empty slabs kept mapped for the next size class that needs one.
    static constexpr size_t kMaxCachedSlabs = 4;
    // Size class c holds blocks of c * 16 bytes (class 0 is unused).
    static constexpr size_t kClasses = kMaxSmall / 16 + 1;

    LuaAllocator() = default;
    ~LuaAllocator();
    LuaAllocator(const LuaAllocator&) = delete;
    LuaAllocator& operator=(const LuaAllocator&) = delete;

    // lua_Alloc with `ud` the LuaAllocator: frees when nsize is 0, allocates when ptr is null,
    // else resizes. LuaJIT passes the size a block was made with as osize, which says whether
    // the block is a slab's or malloc's. Returns null when out of memory.
    static void* lua_alloc(void* ud, void* ptr, size_t osize, size_t nsize) noexcept;

    // n > 0. 16-byte aligned; null when the OS refuses memory.
    void* allocate(size_t n) noexcept;
    // `n` is the size `p` was allocated (or last resized) with.
    void release(void* p, size_t n) noexcept;
    // p non-null, nsize > 0: the block keeps its address while its size class does not change.
    void* reallocate(void* p, size_t osize, size_t nsize) noexcept;

    // Slabs mapped now (in use or cached), for tests and memory accounting.
    size_t slabs_mapped() const { return slabs_mapped_; }

private:
    struct Block {
        Block* next;
    };
    // The header at the start of each slab; its blocks follow at kFirstBlock.
    struct Slab {
        Slab* next;  // in its class's list of slabs with free blocks, or in the empty cache
        Slab* prev;
        Block* free;  // blocks given back
        char* bump;   // start of the never-used tail
        uint32_t live;
        uint16_t cls;
        bool listed;  // in its class's list of slabs with free blocks
    };
    static constexpr size_t kFirstBlock = 64;
    static_assert(sizeof(Slab) <= kFirstBlock);

    // The slab being allocated from, and the others that have free blocks.
    struct SizeClass {
        Slab* current = nullptr;
        Slab* partial = nullptr;
    };

    static size_t class_of(size_t n) { return (n + 15) >> 4; }
    static Slab* slab_of(void* p) {
        return reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(p) & ~(kSlabSize - 1));
    }

    void* allocate_slow(size_t cls) noexcept;
    void list(Slab* s);
    void unlist(Slab* s);
    void retire(Slab* s);
    Slab* map_slab() noexcept;
    void unmap_slab(Slab* s) noexcept;

    SizeClass classes_[kClasses];
    Slab* cache_ = nullptr;
    size_t cached_ = 0;
    size_t slabs_mapped_ = 0;
};

}  // namespace tycho::lua
