-- require "ngx.resp": lua-resty-core's add_header(name, value), which adds a value to the
-- response header's values where `ngx.header.name = value` replaces them (single-valued
-- headers such as Content-Type are replaced either way, as in lua-nginx-module).

local set_resp_header = require("tycho.header").set_resp_header

local _M = { version = require("resty.core.base").version }

function _M.add_header(key, value)
    set_resp_header(nil, key, value, true)
end

return _M
