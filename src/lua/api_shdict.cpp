// ngx.shared.DICT over the shdict engine (src/shdict/zone.h). The methods lua-resty-core 0.1.25
// implements over FFI (get, get_stale, set, safe_set, add, safe_add, replace, delete, incr, ttl,
// expire, flush_all, capacity, free_space) have their C halves here as tycho_ffi_shdict_* and
// their Lua halves in lua/tycho/shdict.lua. The ones lua-nginx-module 0.10.23 still implements
// with the classic C API (lpush, rpush, lpop, rpop, llen, flush_expired, get_keys) are classic
// C functions here too, so their argument errors (luaL_check*, "expecting N arguments") are
// exactly OpenResty's.
//
// A dict object is lua-nginx-module's: a table whose [1] is a userdata holding the Zone* (a full
// userdata, not a light one: the JIT passes a full userdata to a `void *` FFI argument, a light
// userdata is NYI there), with one metatable shared by all dicts whose __index is itself. The zones
// are owned by the worker's configuration (LuaMainConf::shared_dicts), which outlives the VM.

#include <cstdint>
#include <cstdlib>
#include <lua.hpp>
#include <string>
#include <vector>

#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/lua_conf.h"
#include "lua/vm.h"
#include "shdict/zone.h"

using tycho::shdict::Code;
using tycho::shdict::StoreOp;
using tycho::shdict::ValueIn;
using tycho::shdict::ValueOut;
using tycho::shdict::ValueType;
using tycho::shdict::Zone;

namespace {

// The Zone* kept in a dict's userdata block (what FFI passes for its `void *zone` argument).
inline Zone* zone_of(void* udata) {
    return *static_cast<Zone**>(udata);
}

}  // namespace

extern "C" {

// The error text of an engine result code (lua-nginx-module's wording); static storage.
const char* tycho_ffi_shdict_errmsg(int code) noexcept {
    return tycho::shdict::code_text(static_cast<Code>(code));
}

// get / get_stale. In: *str_buf / *str_len are the caller's buffer and its size. Out:
// *value_type (0 nil, 1 boolean, 3 number, 4 string), the string in *str_buf (a malloc()ed block
// the caller frees when it differs from the buffer passed in) with *str_len bytes, a number or
// boolean (0/1) in *num, the user flags and, for get_stale, whether the entry has expired.
// Returns an engine Code (0 = ok).
int tycho_ffi_shdict_get(void* zone, const char* key, size_t key_len, int get_stale,
                         int* value_type, unsigned char** str_buf, size_t* str_len, double* num,
                         int* user_flags, int* is_stale) noexcept {
    Zone* z = zone_of(zone);
    ValueOut out;
    out.buf = reinterpret_cast<char*>(*str_buf);
    out.buf_size = *str_len;
    Code rc = get_stale != 0 ? z->get_stale(key, key_len, &out) : z->get(key, key_len, &out);
    if (rc != Code::kOk) {
        return static_cast<int>(rc);
    }
    *value_type = static_cast<int>(out.type);
    switch (out.type) {
        case ValueType::kString:
            *str_buf = reinterpret_cast<unsigned char*>(out.str);
            *str_len = out.len;
            break;
        case ValueType::kNumber:
            *num = out.number;
            break;
        case ValueType::kBoolean:
            *num = out.boolean ? 1 : 0;
            break;
        default:
            break;
    }
    *user_flags = static_cast<int>(out.flags);
    *is_stale = out.stale ? 1 : 0;
    return 0;
}

// set / safe_set / add / safe_add / replace / delete. `op` has lua-nginx-module's bits;
// `value_type` is a Lua type tag (0 nil, 1 boolean with `num` 0/1, 3 number, 4 string);
// `exptime_ms` <= 0 means no expiry. *forcible tells whether live entries were evicted.
int tycho_ffi_shdict_store(void* zone, int op, const char* key, size_t key_len, int value_type,
                           const char* str, size_t str_len, double num, long exptime_ms,
                           int user_flags, int* forcible) noexcept {
    ValueIn value;
    switch (value_type) {
        case 1:
            value = ValueIn::of_bool(num != 0);
            break;
        case 3:
            value = ValueIn::of_number(num);
            break;
        case 4:
            value = ValueIn{ValueType::kString, 0, false, str, str_len};
            break;
        default:
            value = ValueIn::nil();
            break;
    }
    bool evicted = false;
    Code rc = zone_of(zone)->store(static_cast<StoreOp>(op), key, key_len, value,
                                   exptime_ms > 0 ? exptime_ms : 0,
                                   static_cast<uint32_t>(user_flags), &evicted);
    *forcible = evicted ? 1 : 0;
    return static_cast<int>(rc);
}

// incr: *value is the delta in and the sum out. `has_init` selects `init` / `init_ttl_ms`.
int tycho_ffi_shdict_incr(void* zone, const char* key, size_t key_len, double* value, int has_init,
                          double init, long init_ttl_ms, int* forcible) noexcept {
    bool evicted = false;
    double result = 0;
    Code rc = zone_of(zone)->incr(key, key_len, *value, has_init != 0 ? &init : nullptr,
                                  init_ttl_ms > 0 ? init_ttl_ms : 0, &result, &evicted);
    *forcible = evicted ? 1 : 0;
    if (rc == Code::kOk) {
        *value = result;
    }
    return static_cast<int>(rc);
}

// ttl: milliseconds left in *ms (0 = never expires, negative = expired, not reclaimed yet).
int tycho_ffi_shdict_ttl(void* zone, const char* key, size_t key_len, long* ms) noexcept {
    int64_t left = 0;
    Code rc = zone_of(zone)->ttl(key, key_len, &left);
    *ms = static_cast<long>(left);
    return static_cast<int>(rc);
}

// expire: a new time to live in ms (<= 0: never expires).
int tycho_ffi_shdict_expire(void* zone, const char* key, size_t key_len, long exptime_ms) noexcept {
    return static_cast<int>(zone_of(zone)->expire(key, key_len, exptime_ms > 0 ? exptime_ms : 0));
}

void tycho_ffi_shdict_flush_all(void* zone) noexcept {
    zone_of(zone)->flush_all();
}

size_t tycho_ffi_shdict_capacity(void* zone) noexcept {
    return zone_of(zone)->capacity();
}

size_t tycho_ffi_shdict_free_space(void* zone) noexcept {
    return zone_of(zone)->free_space();
}

}  // extern "C"

namespace tycho::lua {
namespace {

// lua-nginx-module's index of the zone pointer in a dict table.
constexpr int kZoneIndex = 1;

// The zone of the dict table at index 1 (already checked to be a table), or null. Only a full
// userdata of our size holding one of this worker's zones counts: a hand-made table such as
// {ngx.null} or {newproxy()} otherwise reached the engine as a Zone* and crashed the worker
// (found by tests/integration/test_lua_fuzz.py).
Zone* zone_at(lua_State* L) {
    lua_rawgeti(L, 1, kZoneIndex);
    void* udata = nullptr;
    if (lua_type(L, -1) == LUA_TUSERDATA && lua_objlen(L, -1) == sizeof(Zone*)) {
        udata = lua_touserdata(L, -1);
    }
    lua_pop(L, 1);
    WorkerRuntime* rt = current_runtime();
    // A worker's dicts, or on a thread_pool thread those of the worker that sent the task.
    const std::vector<std::shared_ptr<Zone>>* zones =
        rt != nullptr ? &rt->conf().shared_dicts : task_zones();
    if (udata == nullptr || zones == nullptr) {
        return nullptr;
    }
    Zone* zone = zone_of(udata);
    for (const std::shared_ptr<Zone>& known : *zones) {
        if (known.get() == zone) {
            return zone;
        }
    }
    return nullptr;
}

// The zone argument of a list method: raises lua-nginx-module's `bad "zone" argument`.
Zone* check_list_zone(lua_State* L) {
    if (lua_type(L, 1) != LUA_TTABLE) {
        luaL_error(L, "bad \"zone\" argument");
    }
    Zone* zone = zone_at(L);
    if (zone == nullptr) {
        luaL_error(L, "bad \"zone\" argument");
    }
    return zone;
}

// The zone argument of flush_expired / get_keys (luaL_checktype, as lua-nginx-module).
Zone* check_table_zone(lua_State* L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    Zone* zone = zone_at(L);
    if (zone == nullptr) {
        luaL_error(L, "bad user data for the ngx_shm_zone_t pointer");
    }
    return zone;
}

// The key argument at index 2: pushes lua-nginx-module's `nil, "..."` and returns false for a
// nil, empty or too long key; raises for a non-string (luaL_checklstring).
bool check_key(lua_State* L, const char** key, size_t* len) {
    if (lua_isnil(L, 2)) {
        lua_pushnil(L);
        lua_pushliteral(L, "nil key");
        return false;
    }
    *key = luaL_checklstring(L, 2, len);
    if (*len == 0) {
        lua_pushnil(L);
        lua_pushliteral(L, "empty key");
        return false;
    }
    if (*len > shdict::kMaxKeyLength) {
        lua_pushnil(L);
        lua_pushliteral(L, "key too long");
        return false;
    }
    return true;
}

int push_helper(lua_State* L, bool left) {
    int n = lua_gettop(L);
    if (n != 3) {
        return luaL_error(L, "expecting 3 arguments, but only seen %d", n);
    }
    Zone* zone = check_list_zone(L);
    const char* key = nullptr;
    size_t klen = 0;
    if (!check_key(L, &key, &klen)) {
        return 2;
    }
    ValueIn value;
    switch (lua_type(L, 3)) {
        case LUA_TSTRING: {
            size_t len = 0;
            const char* s = lua_tolstring(L, 3, &len);
            value = ValueIn{ValueType::kString, 0, false, s, len};
            break;
        }
        case LUA_TNUMBER:
            value = ValueIn::of_number(lua_tonumber(L, 3));
            break;
        default:
            lua_pushnil(L);
            lua_pushliteral(L, "bad value type");
            return 2;
    }
    size_t length = 0;
    Code rc = zone->push(left, key, klen, value, &length);
    if (rc == Code::kOk) {
        lua_pushnumber(L, static_cast<lua_Number>(length));
        return 1;
    }
    if (rc == Code::kNoMemory && length == 0) {
        // lua-nginx-module: `false` when the new list's entry finds no room, `nil` when an item
        // does not fit (into a list that exists, too).
        lua_pushboolean(L, 0);
    } else {
        lua_pushnil(L);
    }
    lua_pushstring(L, shdict::code_text(rc));
    return 2;
}

int pop_helper(lua_State* L, bool left) {
    int n = lua_gettop(L);
    if (n != 2) {
        return luaL_error(L, "expecting 2 arguments, but only seen %d", n);
    }
    Zone* zone = check_list_zone(L);
    const char* key = nullptr;
    size_t klen = 0;
    if (!check_key(L, &key, &klen)) {
        return 2;
    }
    char buf[256];
    ValueOut out;
    out.buf = buf;
    out.buf_size = sizeof(buf);
    Code rc = zone->pop(left, key, klen, &out);
    if (rc != Code::kOk) {
        lua_pushnil(L);
        lua_pushstring(L, shdict::code_text(rc));
        return 2;
    }
    switch (out.type) {
        case ValueType::kString:
            lua_pushlstring(L, out.str, out.len);
            if (out.heap) {
                // lua_pushlstring may raise only on out-of-memory, which leaks this block.
                std::free(out.str);
            }
            break;
        case ValueType::kNumber:
            lua_pushnumber(L, out.number);
            break;
        default:
            lua_pushnil(L);
            break;
    }
    return 1;
}

int shdict_lpush(lua_State* L) {
    return push_helper(L, true);
}

int shdict_rpush(lua_State* L) {
    return push_helper(L, false);
}

int shdict_lpop(lua_State* L) {
    return pop_helper(L, true);
}

int shdict_rpop(lua_State* L) {
    return pop_helper(L, false);
}

int shdict_llen(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 2) {
        return luaL_error(L, "expecting 2 arguments, but only seen %d", n);
    }
    Zone* zone = check_list_zone(L);
    const char* key = nullptr;
    size_t klen = 0;
    if (!check_key(L, &key, &klen)) {
        return 2;
    }
    size_t length = 0;
    Code rc = zone->llen(key, klen, &length);
    if (rc != Code::kOk) {
        lua_pushnil(L);
        lua_pushstring(L, shdict::code_text(rc));
        return 2;
    }
    lua_pushnumber(L, static_cast<lua_Number>(length));
    return 1;
}

// The optional count of flush_expired / get_keys; lua-nginx-module stops at `attempts` only
// when it is positive, so 0 and negative counts both mean all.
size_t max_arg(lua_State* L, int n, int dflt) {
    int attempts = n == 2 ? luaL_checkint(L, 2) : dflt;
    return attempts > 0 ? static_cast<size_t>(attempts) : 0;
}

int shdict_flush_expired(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1 && n != 2) {
        return luaL_error(L, "expecting 1 or 2 argument(s), but saw %d", n);
    }
    Zone* zone = check_table_zone(L);
    size_t max = max_arg(L, n, 0);
    lua_pushnumber(L, static_cast<lua_Number>(zone->flush_expired(max)));
    return 1;
}

int shdict_get_keys(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1 && n != 2) {
        return luaL_error(L, "expecting 1 or 2 argument(s), but saw %d", n);
    }
    Zone* zone = check_table_zone(L);
    size_t max = max_arg(L, n, 1024);
    // The copy is taken under the zone's lock; the Lua strings are made after it is released.
    std::vector<std::string> keys = zone->get_keys(max);
    lua_createtable(L, static_cast<int>(keys.size()), 0);
    for (size_t i = 0; i < keys.size(); i++) {
        lua_pushlstring(L, keys[i].data(), keys[i].size());
        lua_rawseti(L, -2, static_cast<int>(i + 1));
    }
    return 1;
}

}  // namespace

void inject_shdict(lua_State* L) {
    // The module returns the table of FFI-backed methods; the classic ones join it here and the
    // table becomes the dicts' metatable (its own __index, as in lua-nginx-module).
    require_embedded(L, "tycho.shdict");
    lua_createtable(L, 0, 24);
    lua_pushnil(L);
    while (lua_next(L, -3) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    static const luaL_Reg kClassic[] = {
        {"lpush", shdict_lpush},       {"rpush", shdict_rpush},
        {"lpop", shdict_lpop},         {"rpop", shdict_rpop},
        {"llen", shdict_llen},         {"flush_expired", shdict_flush_expired},
        {"get_keys", shdict_get_keys}, {nullptr, nullptr},
    };
    for (const luaL_Reg* r = kClassic; r->name != nullptr; r++) {
        lua_pushcfunction(L, r->func);
        lua_setfield(L, -2, r->name);
    }
    lua_getfield(L, -1, "register_zone");
    lua_pushnil(L);
    lua_setfield(L, -3, "register_zone");
    lua_insert(L, -3);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "__index");
    // Stack: ngx, register_zone, module, mt.
    WorkerRuntime* rt = current_runtime();
    const std::vector<std::shared_ptr<Zone>>* zones =
        rt != nullptr ? &rt->conf().shared_dicts : nullptr;
    lua_createtable(L, 0, zones != nullptr ? static_cast<int>(zones->size()) : 0);
    if (zones != nullptr) {
        for (const std::shared_ptr<Zone>& zone : *zones) {
            lua_pushlstring(L, zone->name().data(), zone->name().size());
            lua_createtable(L, 1, 0);
            *static_cast<Zone**>(lua_newuserdata(L, sizeof(Zone*))) = zone.get();
            lua_pushvalue(L, -7);  // register_zone
            lua_pushvalue(L, -2);
            lua_call(L, 1, 0);
            lua_rawseti(L, -2, kZoneIndex);
            lua_pushvalue(L, -4);
            lua_setmetatable(L, -2);
            lua_rawset(L, -3);
        }
    }
    lua_setfield(L, -5, "shared");
    lua_pop(L, 3);
}

}  // namespace tycho::lua
