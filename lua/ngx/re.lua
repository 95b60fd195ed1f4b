-- require "ngx.re": split and opt, with lua-resty-core 0.1.25's results and error texts (its
-- lib/ngx/re.lua). Matching is ngx.re's (lua/tycho/regex.lua).

local regex = require "tycho.regex"
local new_tab = require "table.new"

local compile = regex.compile
local exec = regex.exec
local release = regex.release
local sub = string.sub
local type = type
local error = error
local tostring = tostring

local _M = { version = "0.1.25" }

local default_ctx = {}

-- The next match at or after ctx.pos (a 0-based byte offset here): from, to (1-based, `to`
-- one past the match), and the first capture if the regex has one. Moves ctx.pos past it
-- (one further after an empty match).
local function next_match(subj, len, c, ctx)
    local pos = ctx.pos
    if pos < 0 then
        pos = 0
    end
    local rc, err = exec(c, subj, len, pos)
    if not rc then
        return nil, nil, nil, err
    end
    local caps = c.caps
    local from, to = caps[0], caps[1]
    if from < 0 or to < 0 then
        return nil
    end
    ctx.pos = from == to and to + 1 or to
    if c.ncap > 0 and rc > 1 then
        return from + 1, to + 1, sub(subj, caps[2] + 1, caps[3])
    end
    return from + 1, to + 1
end

-- split(subject, regex, options?, ctx?, max?, res?) -> array of the pieces between matches
-- (with each match's first capture after its piece), or nil and an error.
function _M.split(subj, re, opts, ctx, max, res)
    subj = tostring(subj)
    if not ctx then
        ctx = default_ctx
        ctx.pos = 1
    elseif not ctx.pos then
        ctx.pos = 1
    end
    max = max or 0
    if not res then
        res = new_tab(max > 0 and max < 4 and max or 4, 0)
    elseif type(res) ~= "table" then
        error("res is not a table", 2)
    end
    local len = #subj
    if ctx.pos > len then
        res[1] = nil
        return res
    end
    if type(re) ~= "string" then
        re = tostring(re)
    end
    local c, err = compile(re, opts)
    if not c then
        return nil, err
    end
    local piece_from = ctx.pos
    local n = 0
    local last_empty
    ctx.pos = piece_from - 1
    local pieces = 1
    while max <= 0 or pieces < max do
        local from, to, capture
        from, to, capture, err = next_match(subj, len, c, ctx)
        if err then
            release(c)
            return nil, err
        end
        if not from then
            break
        end
        if last_empty then
            piece_from = last_empty
        end
        if from == to then
            last_empty = from
        end
        if from > piece_from or not last_empty then
            pieces = pieces + 1
            n = n + 1
            res[n] = sub(subj, piece_from, from - 1)
            if capture then
                n = n + 1
                res[n] = capture
            end
            piece_from = to
            if piece_from > len then
                break
            end
        end
    end
    release(c)
    if max <= 0 and piece_from > len then
        -- trailing empty pieces are dropped when there is no limit
        while n > 0 and res[n] == "" do
            res[n] = nil
            n = n - 1
        end
    else
        n = n + 1
        res[n] = sub(subj, piece_from)
    end
    res[n + 1] = nil
    return res
end

-- opt("jit_stack_size", bytes): the PCRE JIT stack of this worker, before any regex is cached.
function _M.opt(option, value)
    if option == "jit_stack_size" then
        if not regex.cache_empty() then
            error("changing jit stack size is not allowed when some regexs have already been "
                  .. "compiled and cached", 2)
        end
        local err = regex.set_jit_stack_size(value)
        if err then
            error(err, 2)
        end
        return
    end
    error("unrecognized option name", 2)
end

return _M
