-- require "ngx.errlog": lua-resty-core 0.1.25's API over Tycho's FFI half (src/lua/api_errlog.cpp),
-- with its results and quirks: get_logs returns {level, time, message, ...} triplets and a
-- trailing nil, stops at `max` messages (default 10; a `max` below 1 returns no message), and
-- set_filter_level returns nil and the error text instead of raising.

local ffi = require "ffi"
local C = ffi.C
local ffi_string = ffi.string
local ffi_new = ffi.new
local new_tab = require "table.new"
local tonumber = tonumber
local type = type
local error = error

ffi.cdef[[
int tycho_ffi_errlog_set_filter_level(int level, char *err, size_t *errlen);
int tycho_ffi_errlog_get_msg(const char **log, int *loglevel, char *err, size_t *errlen,
                             double *log_time);
int tycho_ffi_errlog_get_sys_filter_level(void);
int tycho_ffi_raw_log(int level, const char *s, size_t s_len);
]]

local ERR_BUF_SIZE = 128
local errbuf = ffi_new("char[?]", ERR_BUF_SIZE)
local errlen = ffi_new("size_t[1]")
local msgp = ffi_new("const char *[1]")
local levelp = ffi_new("int[1]")
local timep = ffi_new("double[1]")

local _M = { version = "0.1.25" }

function _M.set_filter_level(level)
    if not level then
        return nil, [[missing "level" argument]]
    end
    errlen[0] = ERR_BUF_SIZE
    if C.tycho_ffi_errlog_set_filter_level(level, errbuf, errlen) == -1 then
        return nil, ffi_string(errbuf, errlen[0])
    end
    return true
end

function _M.get_logs(max, logs)
    max = max or 10
    if not logs then
        logs = new_tab(max * 3 + 1, 0)
    end
    local count = 0
    for i = 1, max do
        errlen[0] = ERR_BUF_SIZE
        local len = C.tycho_ffi_errlog_get_msg(msgp, levelp, errbuf, errlen, timep)
        if len == -1 then
            return nil, ffi_string(errbuf, errlen[0])
        end
        if len > 0 then
            logs[count + 1] = levelp[0]
            logs[count + 2] = timep[0]
            logs[count + 3] = ffi_string(msgp[0], len)
            count = count + 3
        end
        if len < 0 or i == max then
            logs[count + 1] = nil
            break
        end
    end
    return logs
end

function _M.get_sys_filter_level()
    return tonumber(C.tycho_ffi_errlog_get_sys_filter_level())
end

function _M.raw_log(level, msg)
    if type(level) ~= "number" then
        error("bad argument #1 to 'raw_log' (must be a number)", 2)
    end
    if type(msg) ~= "string" then
        error("bad argument #2 to 'raw_log' (must be a string)", 2)
    end
    if C.tycho_ffi_raw_log(level, msg, #msg) == -1 then
        error("bad log level", 2)
    end
end

return _M
