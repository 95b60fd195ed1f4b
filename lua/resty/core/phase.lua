-- resty.core.phase shim: Tycho's ngx API already provides what lua-resty-core's module adds
-- (see lua/resty/core.lua); requiring it loads nothing else.

return { version = require("resty.core.base").version }
