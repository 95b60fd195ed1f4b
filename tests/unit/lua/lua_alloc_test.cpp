#include "lua/lua_alloc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <lua.hpp>
#include <random>
#include <vector>

namespace tycho::lua {
namespace {

struct Held {
    unsigned char* p;
    size_t size;
    unsigned char fill;
};

void fill(const Held& h) { std::memset(h.p, h.fill, h.size); }

std::vector<void*> allocate_many(LuaAllocator& a, int n, size_t size) {
    std::vector<void*> blocks;
    for (int i = 0; i < n; i++) {
        blocks.push_back(a.allocate(size));
    }
    return blocks;
}

bool intact(const Held& h, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (h.p[i] != h.fill) {
            return false;
        }
    }
    return true;
}

// Random allocations, frees and resizes across the small/large boundary: every block is
// aligned, keeps its bytes through resizes, and never overlaps another live block.
TEST(LuaAllocatorTest, RandomTrafficKeepsEveryBlockIntact) {
    LuaAllocator a;
    std::mt19937 rng(12345);
    std::uniform_int_distribution<size_t> small(1, LuaAllocator::kMaxSmall);
    std::uniform_int_distribution<size_t> any(1, 3 * LuaAllocator::kMaxSmall);
    std::vector<Held> live;
    unsigned char next_fill = 1;
    for (int op = 0; op < 200000; op++) {
        unsigned pick = rng() % 10;
        if (live.empty() || pick < 5) {
            size_t n = rng() % 4 == 0 ? any(rng) : small(rng);
            auto* p = static_cast<unsigned char*>(a.allocate(n));
            ASSERT_NE(p, nullptr);
            ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
            live.push_back(Held{p, n, next_fill++});
            fill(live.back());
        } else if (pick < 8) {
            size_t i = rng() % live.size();
            ASSERT_TRUE(intact(live[i], live[i].size)) << "op " << op;
            a.release(live[i].p, live[i].size);
            live[i] = live.back();
            live.pop_back();
        } else {
            size_t i = rng() % live.size();
            Held& h = live[i];
            size_t n = any(rng);
            auto* q = static_cast<unsigned char*>(a.reallocate(h.p, h.size, n));
            ASSERT_NE(q, nullptr);
            h.p = q;
            ASSERT_TRUE(intact(h, std::min(h.size, n))) << "op " << op;
            h.size = n;
            fill(h);
        }
    }
    for (const Held& h : live) {
        ASSERT_TRUE(intact(h, h.size));
        a.release(h.p, h.size);
    }
}

TEST(LuaAllocatorTest, ResizeWithinASizeClassKeepsTheAddress) {
    LuaAllocator a;
    void* p = a.allocate(33);  // the 48-byte class
    EXPECT_EQ(a.reallocate(p, 33, 48), p);
    void* q = a.reallocate(p, 48, 49);  // the 64-byte class
    EXPECT_NE(q, nullptr);
    a.release(q, 49);
}

// A burst of small blocks maps many slabs; once they are all free, only the class's current
// slab and the few cached ones stay mapped.
TEST(LuaAllocatorTest, EmptySlabsGoBackToTheOs) {
    LuaAllocator a;
    std::vector<void*> blocks = allocate_many(a, 100000, 48);
    size_t per_slab = (LuaAllocator::kSlabSize - 64) / 48;
    EXPECT_GE(a.slabs_mapped(), blocks.size() / per_slab);
    for (void* p : blocks) {
        a.release(p, 48);
    }
    EXPECT_LE(a.slabs_mapped(), 1 + LuaAllocator::kMaxCachedSlabs);
    // Cached slabs serve another size class.
    size_t before = a.slabs_mapped();
    void* p = a.allocate(500);
    EXPECT_EQ(a.slabs_mapped(), before);
    a.release(p, 500);
}

// Every other block freed across many full slabs: those slabs are used again before a new
// slab is mapped.
TEST(LuaAllocatorTest, FreedBlocksOfFullSlabsAreReused) {
    LuaAllocator a;
    std::vector<void*> blocks = allocate_many(a, 20000, 16);
    size_t mapped = a.slabs_mapped();
    for (size_t i = 0; i < blocks.size(); i += 2) {
        a.release(blocks[i], 16);
    }
    for (size_t i = 0; i < blocks.size(); i += 2) {
        blocks[i] = a.allocate(16);
    }
    EXPECT_EQ(a.slabs_mapped(), mapped);
    for (void* p : blocks) {
        a.release(p, 16);
    }
}

// The VM on it: garbage of every kind, a full collection, and lua_close giving it all back.
TEST(LuaAllocatorTest, RunsALuaState) {
    LuaAllocator a;
    lua_State* L = lua_newstate(LuaAllocator::lua_alloc, &a);
    ASSERT_NE(L, nullptr);
    luaL_openlibs(L);
    const char* code = R"(
        local keep = {}
        for i = 1, 50000 do
            local s = string.rep("x", i % 700) .. i
            local t = { s, i, function() return s end }
            if i % 7 == 0 then keep[#keep + 1] = t end
        end
        collectgarbage()
        local n = 0
        for _, t in ipairs(keep) do
            if t[3]() == t[1] then n = n + 1 end
        end
        return n
    )";
    ASSERT_EQ(luaL_dostring(L, code), 0) << lua_tostring(L, -1);
    EXPECT_EQ(lua_tointeger(L, -1), 50000 / 7);
    lua_close(L);
    EXPECT_LE(a.slabs_mapped(), LuaAllocator::kClasses + LuaAllocator::kMaxCachedSlabs);
}

}  // namespace
}  // namespace tycho::lua
