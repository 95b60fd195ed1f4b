# Tycho-only (nginx would try to dlopen the file): load_module of anything but the two modules
# Tycho has built in (ngx_http_lua_module, ndk_http_module; tests/spec/config/directives.t) is a
# configuration error that says so.

__DATA__

=== TEST 1: another dynamic module stops the load with a clear error
--- main_config
load_module modules/ngx_http_echo_module.so;
--- config
location = /t { return 200 "ok\n"; }
--- must_die
--- error_log
[emerg]
qr/load_module "modules\/ngx_http_echo_module\.so": Tycho loads no dynamic modules \(ngx_http_lua_module and ndk_http_module are built in\) in \S+\/conf\/nginx\.conf:\d+/
