-- ngx.re.match / find / gmatch / sub / gsub (C half: src/lua/api_regex.cpp), with the results,
-- error returns and option letters of lua-resty-core 0.1.25's resty.core.regex, which is what
-- OpenResty runs for them. Regexes with the "o" option are compiled once per worker and kept
-- (up to lua_regex_cache_max_entries); the others are compiled for the call and freed after it.
-- Returns { api = <the ngx.re table>, compile = ..., exec = ..., release = ..., ... } for
-- ngx.re (lua/ngx/re.lua: split, opt).

local ffi = require "ffi"
local bit = require "bit"
local buffer = require "string.buffer"
local new_tab = require "table.new"

local C = ffi.C
local ffi_string = ffi.string
local ffi_gc = ffi.gc
local ffi_cast = ffi.cast
local bor = bit.bor
local band = bit.band
local byte = string.byte
local sub = string.sub
local fmt = string.format
local type = type
local tostring = tostring
local error = error
local setmetatable = setmetatable
local getinfo = debug.getinfo

ffi.cdef[[
typedef struct {
    int ncaptures;
    int name_count;
    int name_entry_size;
    const unsigned char *name_table;
    int *captures;
    int flags;
    void *code;
    void *match_data;
} tycho_regex_t;

tycho_regex_t *tycho_ffi_re_compile(const char *pat, size_t len, int flags, int opts,
                                    char *err, size_t err_size);
int tycho_ffi_re_exec(tycho_regex_t *re, const char *s, size_t len, int pos);
void tycho_ffi_re_free(tycho_regex_t *re);
int tycho_ffi_re_set_jit_stack_size(int size, char *err, size_t err_size);
int tycho_ffi_re_cache_max(void);
void tycho_ffi_re_log_error(const char *msg, size_t len);
]]

-- Flag bits shared with the C half (lua-resty-core's FLAG_*).
local FLAG_COMPILE_ONCE = 0x01
local FLAG_DFA = 0x02
local FLAG_JIT = 0x04
local FLAG_DUPNAMES = 0x08
local FLAG_NO_UTF8_CHECK = 0x10

-- PCRE2 compile options.
local PCRE2_ALLOW_EMPTY_CLASS = 0x00000001
local PCRE2_ALT_BSUX = 0x00000002
local PCRE2_CASELESS = 0x00000008
local PCRE2_DOTALL = 0x00000020
local PCRE2_DUPNAMES = 0x00000040
local PCRE2_EXTENDED = 0x00000080
local PCRE2_MATCH_UNSET_BACKREF = 0x00000200
local PCRE2_MULTILINE = 0x00000400
local PCRE2_UTF = 0x00080000
local PCRE2_ANCHORED = 0x80000000

local NOMATCH = -1
local ERR_LEN = 256
local errbuf = ffi.new("char[?]", ERR_LEN)
local char_ptr = ffi.typeof("const char *")

-- A regex argument that is not a string: a number becomes one; anything else raises as a C
-- function of lua-nginx-module would, named after the ngx.re function as its caller called it,
-- at the caller's position.
local function regex_arg(regex, fname)
    if type(regex) == "number" then
        return tostring(regex)
    end
    local info = getinfo(2, "n")
    error("bad argument #2 to '" .. (info and info.name or fname) .. "' (string expected, got "
          .. type(regex) .. ")", 3)
end

-- Each option letter's { flag bits, PCRE2 compile options }.
local option_bits = {
    o = { FLAG_COMPILE_ONCE, 0 },
    j = { FLAG_JIT, 0 },
    i = { 0, PCRE2_CASELESS },
    s = { 0, PCRE2_DOTALL },
    m = { 0, PCRE2_MULTILINE },
    u = { 0, PCRE2_UTF },
    U = { FLAG_NO_UTF8_CHECK, PCRE2_UTF },
    x = { 0, PCRE2_EXTENDED },
    d = { FLAG_DFA, 0 },
    a = { 0, PCRE2_ANCHORED },
    D = { FLAG_DUPNAMES, PCRE2_DUPNAMES },
    -- what PCRE's JAVASCRIPT_COMPAT became in PCRE2
    J = { 0, bor(PCRE2_ALT_BSUX, PCRE2_MATCH_UNSET_BACKREF, PCRE2_ALLOW_EMPTY_CLASS) },
}

-- option letters -> { flags, pcre2 options }
local parsed_opts = {}

local function parse_opts(opts)
    local t = parsed_opts[opts]
    if t then
        return t[1], t[2]
    end
    if type(opts) ~= "string" then
        opts = tostring(opts)
        t = parsed_opts[opts]
        if t then
            return t[1], t[2]
        end
    end
    local flags, pcre = 0, 0
    for i = 1, #opts do
        local bits = option_bits[sub(opts, i, i)]
        if not bits then
            error(fmt('unknown flag "%s" (flags "%s")', sub(opts, i, i), opts), 4)
        end
        flags = bor(flags, bits[1])
        pcre = bor(pcre, bits[2])
    end
    parsed_opts[opts] = { flags, pcre }
    return flags, pcre
end

-- A compiled regex: { re = <tycho_regex_t*>, caps = <int*>, ncap, flags, names, once,
-- templates }. names is nil or { group, name, group, name, ... }.
local function new_compiled(regex, flags, pcre)
    local re = C.tycho_ffi_re_compile(regex, #regex, flags, pcre, errbuf, ERR_LEN)
    if re == nil then
        return nil, ffi_string(errbuf)
    end
    ffi_gc(re, C.tycho_ffi_re_free)
    local names
    local count = re.name_count
    if count > 0 then
        names = {}
        local tab = re.name_table
        local size = re.name_entry_size
        local at = 0
        for i = 1, count do
            names[2 * i - 1] = tab[at] * 256 + tab[at + 1]
            names[2 * i] = ffi_string(tab + at + 2)
            at = at + size
        end
    end
    return {
        re = re,
        caps = re.captures,
        ncap = re.ncaptures,
        flags = flags,
        names = names,
        nnames = count,
        dfa = band(flags, FLAG_DFA) ~= 0,
        dupnames = band(flags, FLAG_DUPNAMES) ~= 0,
        once = false,
    }
end

-- Frees a regex compiled for one call now rather than at the next GC cycle.
local function release(c)
    if not c.once then
        C.tycho_ffi_re_free(ffi_gc(c.re, nil))
        c.re = nil
    end
end

-- opts string -> { [regex] = compiled }
local cache = {}
local cache_size = 0
local cache_max

-- regex: a string.
local function compile(regex, opts)
    local flags, pcre = 0, 0
    if opts then
        flags, pcre = parse_opts(opts)
    else
        opts = ""
    end
    if band(flags, FLAG_COMPILE_ONCE) == 0 then
        return new_compiled(regex, flags, pcre)
    end
    local by_regex = cache[opts]
    if by_regex then
        local c = by_regex[regex]
        if c then
            return c
        end
    end
    local c, err = new_compiled(regex, flags, pcre)
    if not c then
        return nil, err
    end
    if not cache_max then
        cache_max = C.tycho_ffi_re_cache_max()
    end
    if cache_size < cache_max then
        if not by_regex then
            by_regex = {}
            cache[opts] = by_regex
        end
        by_regex[regex] = c
        cache_size = cache_size + 1
        c.once = true
    end
    return c
end

-- The match's captures as ngx.re.match returns them: [0] the whole match, [1..n] the groups
-- (false when a group did not take part), then the named groups.
local function collect(c, rc, subj, res)
    local caps = c.caps
    local ncap = c.ncap
    if not res then
        res = new_tab(ncap, c.nnames)  -- [0] lives in the array part too
    end
    for i = 0, ncap do
        local from = caps[2 * i]
        if i < rc and from >= 0 then
            res[i] = sub(subj, from + 1, caps[2 * i + 1])
        else
            res[i] = false
        end
    end
    local names = c.names
    if names then
        if c.dupnames then
            -- every group of a name that matched, in group order; the unmatched are left out
            for i = 1, #names, 2 do
                local cap = res[names[i]]
                if cap then
                    local name = names[i + 1]
                    local old = res[name]
                    if old then
                        old[#old + 1] = cap
                    else
                        res[name] = { cap }
                    end
                end
            end
        else
            for i = 1, #names, 2 do
                res[names[i + 1]] = res[names[i]]
            end
        end
    end
    return res
end

-- Runs c on subj from byte pos. Returns rc (> 0), or nil at no match, or nil and an error.
local function exec(c, subj, len, pos)
    local rc = C.tycho_ffi_re_exec(c.re, subj, len, pos)
    if rc > 0 then
        return rc
    end
    if rc == NOMATCH then
        return nil
    end
    if rc < 0 then
        return nil, "pcre_exec() failed: " .. rc
    end
    if not c.dfa then
        return nil, "capture size too small"
    end
    return 1
end

local api = {}

-- The one match of ngx.re.match and ngx.re.find: compiles `regex`, runs it from ctx.pos
-- (1-based; from the start without ctx) and moves ctx.pos past the match. Returns the compiled
-- regex (the caller releases it) and rc, or nil and the error (nil when nothing matched).
local function first_match(subj, regex, opts, ctx)
    local c, err = compile(regex, opts)
    if not c then
        return nil, err
    end
    local pos = 0
    if ctx then
        pos = ctx.pos
        pos = (pos and pos > 0) and pos - 1 or 0
    end
    local rc
    rc, err = exec(c, subj, #subj, pos)
    if not rc then
        release(c)
        return nil, err
    end
    if ctx then
        ctx.pos = c.caps[1] + 1
    end
    return c, rc
end

-- ngx.re.match(subject, regex, options?, ctx?, res_table?)
function api.match(subj, regex, opts, ctx, res)
    subj = tostring(subj)
    if type(regex) ~= "string" then
        regex = regex_arg(regex, "match")
    end
    local c, rc = first_match(subj, regex, opts, ctx)
    if not c then
        if rc then
            return nil, rc
        end
        return nil
    end
    res = collect(c, rc, subj, res)
    release(c)
    return res
end

-- ngx.re.find(subject, regex, options?, ctx?, nth?) -> from, to | nil, nil, err
function api.find(subj, regex, opts, ctx, nth)
    subj = tostring(subj)
    if type(regex) ~= "string" then
        regex = regex_arg(regex, "find")
    end
    local c, rc = first_match(subj, regex, opts, ctx)
    if not c then
        if rc then
            return nil, nil, rc
        end
        return nil
    end
    local caps = c.caps
    if not nth or nth < 0 then
        nth = 0
    end
    if nth > c.ncap then
        release(c)
        return nil, nil, "nth out of bound"
    end
    if nth >= rc then
        release(c)
        return nil, nil
    end
    local from, to = caps[2 * nth], caps[2 * nth + 1]
    release(c)
    if from < 0 or to < 0 then
        return nil, nil
    end
    return from + 1, to
end

-- The gmatch iterator: a table called as a function (creating a closure per gmatch() would keep
-- a loop that calls it from compiling: FNEW is not compiled by LuaJIT).
local function gmatch_next(self)
    local pos = self.pos
    if not pos then
        return nil  -- exhausted
    end
    local c = self.c
    local len = self.len
    local subj = self.subj
    local rc, err = exec(c, subj, len, pos)
    if not rc then
        self.pos = nil
        release(c)
        if err then
            return nil, err
        end
        return nil
    end
    local caps = c.caps
    local to = caps[1]
    if to == caps[0] then
        -- an empty match: go on one byte further, or stop at the end
        to = to + 1
        if to > len then
            self.pos = nil
            local res = collect(c, rc, subj)
            release(c)
            return res
        end
    end
    self.pos = to
    return collect(c, rc, subj)
end

local gmatch_mt = { __call = gmatch_next }

-- ngx.re.gmatch(subject, regex, options?) -> iterator: each call returns the next match's
-- captures, nil when there are no more, or nil and an error.
function api.gmatch(subj, regex, opts)
    subj = tostring(subj)
    if type(regex) ~= "string" then
        regex = regex_arg(regex, "gmatch")
    end
    local c, err = compile(regex, opts)
    if not c then
        return nil, err
    end
    return setmetatable({ c = c, subj = subj, len = #subj, pos = 0 }, gmatch_mt)
end

local function template_error(msg)
    C.tycho_ffi_re_log_error(msg, #msg)
    return nil
end

local function invalid_template(tpl)
    return template_error('lua script: invalid capturing variable name found in "' .. tpl
                          .. '"')
end

-- A replacement template, compiled: a list of literal strings and capture numbers ("$1",
-- "${1}"; "$$" is a dollar), or nil after logging what is wrong with it.
local function compile_template(tpl)
    local parts = {}
    local n = 0
    local i = 1
    local len = #tpl
    while i <= len do
        local d = tpl:find("$", i, true)
        if not d then
            n = n + 1
            parts[n] = sub(tpl, i)
            break
        end
        if d > i then
            n = n + 1
            parts[n] = sub(tpl, i, d - 1)
        end
        i = d + 1
        if i > len then
            return invalid_template(tpl)
        end
        local ch = byte(tpl, i)
        if ch == 36 then  -- "$$"
            n = n + 1
            parts[n] = "$"
            i = i + 1
        else
            local bracket = ch == 123  -- "{"
            if bracket then
                i = i + 1
                if i > len then
                    return invalid_template(tpl)
                end
            end
            local start = i
            local c = byte(tpl, i)
            local numeric = c >= 48 and c <= 57
            local num = 0
            local name_end
            while i <= len do
                c = byte(tpl, i)
                if c == 125 and bracket then  -- "}"
                    bracket = false
                    name_end = i - 1
                    i = i + 1
                    break
                end
                if numeric then
                    if c < 48 or c > 57 then
                        break
                    end
                    num = num * 10 + (c - 48)
                elseif not ((c >= 65 and c <= 90) or (c >= 97 and c <= 122)
                            or (c >= 48 and c <= 57) or c == 95) then
                    break
                end
                i = i + 1
            end
            local name = sub(tpl, start, name_end or i - 1)
            if bracket then
                return template_error('the closing bracket in "' .. name
                                      .. '" variable is missing')
            end
            if #name == 0 then
                return invalid_template(tpl)
            end
            if not numeric then
                return template_error('attempt to use named capturing variable "' .. name
                                      .. '" (named captures not supported yet)')
            end
            n = n + 1
            parts[n] = num
        end
    end
    return parts
end

local templates = setmetatable({}, { __mode = "k" })  -- compiled -> { [tpl] = parts }
local out = buffer.new()

local function sub_helper(subj, regex, replace, opts, global)
    local func = type(replace) == "function"
    if not func and type(replace) ~= "string" then
        replace = tostring(replace)
    end
    local c, err = compile(regex, opts)
    if not c then
        return nil, nil, err
    end
    local parts
    if not func then
        local by_tpl = templates[c]
        parts = by_tpl and by_tpl[replace]
        if not parts then
            parts = compile_template(replace)
            if not parts then
                release(c)
                return nil, nil, "failed to compile the replacement template"
            end
            if c.once then
                if not by_tpl then
                    by_tpl = {}
                    templates[c] = by_tpl
                end
                by_tpl[replace] = parts
            end
        end
    end
    subj = tostring(subj)
    local len = #subj
    local base = ffi_cast(char_ptr, subj)
    local caps = c.caps
    local count = 0
    local pos = 0
    local last = 0  -- end of the text already copied
    -- A function may call ngx.re itself: it gets a buffer of its own.
    local buf = func and buffer.new() or out:reset()
    while true do
        local rc, e = exec(c, subj, len, pos)
        if not rc then
            if e then
                release(c)
                return nil, nil, e
            end
            break
        end
        count = count + 1
        local from, to = caps[0], caps[1]
        if from > last then
            buf:putcdata(base + last, from - last)
        end
        if func then
            buf:put(tostring(replace(collect(c, rc, subj))))
        else
            for k = 1, #parts do
                local p = parts[k]
                if type(p) == "string" then
                    buf:put(p)
                elseif p < rc and p <= c.ncap then
                    local s = caps[2 * p]
                    if s >= 0 then
                        buf:putcdata(base + s, caps[2 * p + 1] - s)
                    end
                end
            end
        end
        last = to
        pos = to
        if pos == from then
            pos = pos + 1
            if pos > len then
                break
            end
        end
        if not global then
            break
        end
    end
    release(c)
    if count == 0 then
        return subj, 0
    end
    if last < len then
        buf:putcdata(base + last, len - last)
    end
    local s = buf:tostring()
    if not func then
        buf:reset()
    end
    return s, count
end

function api.sub(subj, regex, replace, opts)
    if type(regex) ~= "string" then
        regex = regex_arg(regex, "sub")
    end
    return sub_helper(subj, regex, replace, opts, false)
end

function api.gsub(subj, regex, replace, opts)
    if type(regex) ~= "string" then
        regex = regex_arg(regex, "gsub")
    end
    return sub_helper(subj, regex, replace, opts, true)
end

return {
    api = api,
    compile = compile,
    exec = exec,
    release = release,
    cache_empty = function()
        return cache_size == 0
    end,
    set_jit_stack_size = function(size)
        if C.tycho_ffi_re_set_jit_stack_size(size, errbuf, ERR_LEN) ~= 0 then
            return ffi_string(errbuf)
        end
    end,
}
