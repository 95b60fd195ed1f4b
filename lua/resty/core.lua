-- The resty.core shim. OpenResty code starts with `require "resty.core"` to switch ngx.* to
-- lua-resty-core's FFI implementations; Tycho's ngx.* are built that way already, and the real
-- lua-resty-core cannot load here (it binds ngx_http_lua_ffi_* symbols Tycho does not export).
-- This embedded module wins over any resty/core.lua on package.path (package.preload), loads
-- the same submodule names (all shims) and returns what lua-resty-core returns.

local base = require "resty.core.base"

local submodules = {
    "resty.core.var", "resty.core.worker", "resty.core.regex", "resty.core.shdict",
    "resty.core.time", "resty.core.hash", "resty.core.uri", "resty.core.exit",
    "resty.core.base64", "resty.core.request", "resty.core.response", "resty.core.phase",
    "resty.core.ctx", "resty.core.misc", "resty.core.socket", "resty.core.coroutine",
    "resty.core.param", "resty.core.ndk", "resty.core.utils",
}

for _, name in ipairs(submodules) do
    require(name)
end

return { version = base.version }
