-- ngx.process (lua-resty-core's lib/ngx/process.lua API). Tycho runs every piece of Lua code
-- in a worker thread's VM (init_by_lua* included, DESIGN.md section 3), so type() is always
-- "worker"; there is no privileged agent process.

local error = error
local type = type
local process_c = require "tycho.process_c"

local _M = { version = "0.1.25" }

function _M.type()
    return "worker"
end

function _M.get_master_pid()
    -- Master and workers share one process.
    return process_c.master_pid
end

function _M.enable_privileged_agent(connections)
    if ngx.get_phase() ~= "init" then
        return nil, "API disabled in the current context"
    end
    if connections ~= nil and (type(connections) ~= "number" or connections < 0) then
        return nil, "bad 'connections' argument: number expected and greater than 0"
    end
    return nil, "privileged agent process is not supported"
end

function _M.signal_graceful_exit()
    error("ngx.process.signal_graceful_exit is not supported: workers are threads", 2)
end

return _M
