-- The Lua half of ngx.shared.DICT (C half: src/lua/api_shdict.cpp). Argument checks, error
-- texts and result shapes are lua-resty-core 0.1.25's lib/resty/core/shdict.lua, which is what
-- OpenResty runs for these methods; the list methods, flush_expired and get_keys are classic C
-- functions added by inject_shdict. Returns the table of methods.

local ffi = require "ffi"

local C = ffi.C
local ffi_new = ffi.new
local ffi_str = ffi.string
local type = type
local pairs = pairs
local rawget = rawget
local error = error
local tostring = tostring
local tonumber = tonumber

ffi.cdef[[
const char *tycho_ffi_shdict_errmsg(int code);
int tycho_ffi_shdict_get(void *zone, const char *key, size_t key_len, int get_stale,
                         int *value_type, unsigned char **str_buf, size_t *str_len,
                         double *num, int *user_flags, int *is_stale);
int tycho_ffi_shdict_store(void *zone, int op, const char *key, size_t key_len,
                           int value_type, const char *str, size_t str_len, double num,
                           long exptime_ms, int user_flags, int *forcible);
int tycho_ffi_shdict_incr(void *zone, const char *key, size_t key_len, double *value,
                          int has_init, double init, long init_ttl_ms, int *forcible);
int tycho_ffi_shdict_ttl(void *zone, const char *key, size_t key_len, long *ms);
int tycho_ffi_shdict_expire(void *zone, const char *key, size_t key_len, long exptime_ms);
void tycho_ffi_shdict_flush_all(void *zone);
size_t tycho_ffi_shdict_capacity(void *zone);
size_t tycho_ffi_shdict_free_space(void *zone);
]]

if not pcall(function() return C.free end) then
    ffi.cdef[[
void free(void *ptr);
    ]]
end

-- One set of out-parameters per VM (a VM belongs to one worker thread and these calls never
-- yield), as lua-resty-core keeps them.
local kBufSize = 4096
local str_buf = ffi_new("unsigned char[?]", kBufSize)
local str_buf_ptr = ffi_new("unsigned char *[1]")
local str_len = ffi_new("size_t[1]")
local value_type = ffi_new("int[1]")
local user_flags = ffi_new("int[1]")
local num_value = ffi_new("double[1]")
local is_stale = ffi_new("int[1]")
local forcible = ffi_new("int[1]")
local ttl_ms = ffi_new("long[1]")

-- Engine result code -> error text, fetched once per code.
local errmsgs = {}
local function errmsg(rc)
    local s = errmsgs[rc]
    if not s then
        s = ffi_str(C.tycho_ffi_shdict_errmsg(rc))
        errmsgs[rc] = s
    end
    return s
end

-- The zone userdata of the configured dicts, registered by the C half as it makes ngx.shared
-- (register_zone below). lua-resty-core hands any userdata in slot 1 to C as the zone: a table
-- such as {ngx.null} or {newproxy()} then crashed the worker (found by
-- tests/integration/test_lua_fuzz.py); such tables now get the `bad "zone" argument` error.
-- Filled up front, not by walking ngx.shared at the first call: pairs() is not compiled by
-- LuaJIT, and the walk inside a hot loop stitched its trace.
local known_zones = {}

local function check_zone(zone)
    if not zone or type(zone) ~= "table" then
        error("bad \"zone\" argument", 3)
    end

    zone = zone[1]
    if type(zone) ~= "userdata" or not known_zones[zone] then
        error("bad \"zone\" argument", 3)
    end

    return zone
end

-- The key rules of lua-resty-core's shdict: nil is an error, other non-strings go through
-- tostring, then the length must be 1..65535. Returns key, #key, or nil, err.
local function check_key(key)
    if key == nil then
        return nil, "nil key"
    end
    if type(key) ~= "string" then
        key = tostring(key)
    end
    local key_len = #key
    if key_len == 0 then
        return nil, "empty key"
    end
    if key_len > 65535 then
        return nil, "key too long"
    end
    return key, key_len
end

local function shdict_store(zone, op, key, value, exptime, flags)
    zone = check_zone(zone)

    if not exptime then
        exptime = 0
    elseif exptime < 0 then
        error('bad "exptime" argument', 2)
    end

    if not flags then
        flags = 0
    end

    local key_len
    key, key_len = check_key(key)
    if not key then
        return nil, key_len
    end

    local str_val
    local str_val_len = 0
    local num_val = 0
    local valtyp = type(value)

    if valtyp == "string" then
        valtyp = 4  -- LUA_TSTRING
        str_val = value
        str_val_len = #value

    elseif valtyp == "number" then
        valtyp = 3  -- LUA_TNUMBER
        num_val = value

    elseif value == nil then
        valtyp = 0  -- LUA_TNIL

    elseif valtyp == "boolean" then
        valtyp = 1  -- LUA_TBOOLEAN
        num_val = value and 1 or 0

    else
        return nil, "bad value type"
    end

    local rc = C.tycho_ffi_shdict_store(zone, op, key, key_len, valtyp, str_val, str_val_len,
                                        num_val, exptime * 1000, flags, forcible)

    if rc == 0 then
        return true, nil, forcible[0] == 1
    end

    return false, errmsg(rc), forcible[0] == 1
end

local function shdict_set(zone, key, value, exptime, flags)
    return shdict_store(zone, 0, key, value, exptime, flags)
end

local function shdict_safe_set(zone, key, value, exptime, flags)
    return shdict_store(zone, 0x0004, key, value, exptime, flags)
end

local function shdict_add(zone, key, value, exptime, flags)
    return shdict_store(zone, 0x0001, key, value, exptime, flags)
end

local function shdict_safe_add(zone, key, value, exptime, flags)
    return shdict_store(zone, 0x0005, key, value, exptime, flags)
end

local function shdict_replace(zone, key, value, exptime, flags)
    return shdict_store(zone, 0x0002, key, value, exptime, flags)
end

local function shdict_delete(zone, key)
    return shdict_set(zone, key, nil)
end

local function get_helper(zone, key, get_stale)
    local key_len
    key, key_len = check_key(key)
    if not key then
        return nil, key_len
    end

    str_buf_ptr[0] = str_buf
    str_len[0] = kBufSize

    local rc = C.tycho_ffi_shdict_get(zone, key, key_len, get_stale, value_type, str_buf_ptr,
                                      str_len, num_value, user_flags, is_stale)
    if rc ~= 0 then
        return nil, errmsg(rc)
    end

    local typ = value_type[0]

    if typ == 0 then  -- LUA_TNIL
        return nil
    end

    local flags = tonumber(user_flags[0])

    local val

    if typ == 4 then  -- LUA_TSTRING
        local buf = str_buf_ptr[0]
        if buf ~= str_buf then
            -- too long for the shared buffer: a malloc()ed copy
            val = ffi_str(buf, str_len[0])
            C.free(buf)
        else
            val = ffi_str(buf, str_len[0])
        end

    elseif typ == 3 then  -- LUA_TNUMBER
        val = tonumber(num_value[0])

    elseif typ == 1 then  -- LUA_TBOOLEAN
        val = num_value[0] ~= 0

    else
        error("unknown value type: " .. typ)
    end

    if get_stale == 1 then
        if flags ~= 0 then
            return val, flags, is_stale[0] == 1
        end
        return val, nil, is_stale[0] == 1
    end

    if flags ~= 0 then
        return val, flags
    end

    return val
end

local function shdict_get(zone, key)
    zone = check_zone(zone)
    return get_helper(zone, key, 0)
end

local function shdict_get_stale(zone, key)
    zone = check_zone(zone)
    return get_helper(zone, key, 1)
end

local function shdict_incr(zone, key, value, init, init_ttl)
    zone = check_zone(zone)

    local key_len
    key, key_len = check_key(key)
    if not key then
        return nil, key_len
    end

    if type(value) ~= "number" then
        value = tonumber(value)
    end
    num_value[0] = value

    if init then
        local typ = type(init)
        if typ ~= "number" then
            init = tonumber(init)

            if not init then
                error("bad init arg: number expected, got " .. typ, 2)
            end
        end
    end

    if init_ttl ~= nil then
        local typ = type(init_ttl)
        if typ ~= "number" then
            init_ttl = tonumber(init_ttl)

            if not init_ttl then
                error("bad init_ttl arg: number expected, got " .. typ, 2)
            end
        end

        if init_ttl < 0 then
            error('bad "init_ttl" argument', 2)
        end

        if not init then
            error('must provide "init" when providing "init_ttl"', 2)
        end

    else
        init_ttl = 0
    end

    local rc = C.tycho_ffi_shdict_incr(zone, key, key_len, num_value, init and 1 or 0,
                                       init or 0, init_ttl * 1000, forcible)
    if rc ~= 0 then
        return nil, errmsg(rc)
    end

    if not init then
        return tonumber(num_value[0])
    end

    return tonumber(num_value[0]), nil, forcible[0] == 1
end

local function shdict_flush_all(zone)
    zone = check_zone(zone)

    C.tycho_ffi_shdict_flush_all(zone)
end

local function shdict_ttl(zone, key)
    zone = check_zone(zone)

    local key_len
    key, key_len = check_key(key)
    if not key then
        return nil, key_len
    end

    local rc = C.tycho_ffi_shdict_ttl(zone, key, key_len, ttl_ms)
    if rc ~= 0 then
        return nil, errmsg(rc)
    end

    return tonumber(ttl_ms[0]) / 1000
end

local function shdict_expire(zone, key, exptime)
    zone = check_zone(zone)

    if not exptime then
        error('bad "exptime" argument', 2)
    end

    local key_len
    key, key_len = check_key(key)
    if not key then
        return nil, key_len
    end

    local rc = C.tycho_ffi_shdict_expire(zone, key, key_len, exptime * 1000)
    if rc ~= 0 then
        return nil, errmsg(rc)
    end

    return true
end

local function shdict_capacity(zone)
    zone = check_zone(zone)

    return tonumber(C.tycho_ffi_shdict_capacity(zone))
end

local function shdict_free_space(zone)
    zone = check_zone(zone)

    return tonumber(C.tycho_ffi_shdict_free_space(zone))
end

return {
    get = shdict_get,
    get_stale = shdict_get_stale,
    incr = shdict_incr,
    set = shdict_set,
    safe_set = shdict_safe_set,
    add = shdict_add,
    safe_add = shdict_safe_add,
    replace = shdict_replace,
    delete = shdict_delete,
    flush_all = shdict_flush_all,
    ttl = shdict_ttl,
    expire = shdict_expire,
    capacity = shdict_capacity,
    free_space = shdict_free_space,
    -- Not a method: inject_shdict calls it for each zone it makes, then removes it.
    register_zone = function(zone)
        known_zones[zone] = true
    end,
}
