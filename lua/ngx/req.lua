-- require "ngx.req": lua-resty-core's add_header(name, value), which adds a value to the
-- request header's values where ngx.req.set_header replaces them.

local set_req_header = require("tycho.req").set_req_header

local _M = { version = require("resty.core.base").version }

function _M.add_header(key, value)
    set_req_header(key, value, false)
end

return _M
