# charset / charset_types (nginx's charset filter; Tycho does not recode, so source_charset,
# charset_map and override_charset do not exist): the charset joins a Content-Type of one of
# charset_types (text/html, text/xml, text/plain, text/vnd.wap.wml, application/javascript,
# application/rss+xml by default) that names none.

__DATA__

=== TEST 1: charset on a text/plain Lua response, inherited from server level
--- config
charset utf-8;
location = /t {
    default_type text/plain;
    content_by_lua_block { ngx.say("hi") }
}
--- request
GET /t
--- response_headers
Content-Type: text/plain; charset=utf-8
--- response_body
hi

=== TEST 2: a Content-Type that names its charset keeps it
--- config
location = /t {
    charset GBK;
    content_by_lua_block {
        ngx.header.content_type = "text/xml; charset=UTF-8"
        ngx.say("hi")
    }
}
--- request
GET /t
--- response_headers
Content-Type: text/xml; charset=UTF-8

=== TEST 3: a bare one set by Lua gets the location's
--- config
location = /t {
    charset GBK;
    content_by_lua_block {
        ngx.header.content_type = "text/xml"
        ngx.say("hi")
    }
}
--- request
GET /t
--- response_headers
Content-Type: text/xml; charset=GBK

=== TEST 4: a type outside charset_types is left alone
--- config
charset utf-8;
location = /t {
    default_type application/json;
    return 200 "{}\n";
}
--- request
GET /t
--- response_headers
Content-Type: application/json

=== TEST 5: charset_types widens the list
--- config
charset utf-8;
location = /t {
    default_type application/json;
    charset_types application/json;
    return 200 "{}\n";
}
--- request
GET /t
--- response_headers
Content-Type: application/json; charset=utf-8

=== TEST 6: error pages get it too, and the charset may be a variable
--- config
charset $arg_cs;
--- request
GET /missing?cs=koi8-r
--- error_code: 404
--- response_headers
Content-Type: text/html; charset=koi8-r

=== TEST 7: "off" turns an inherited charset off
--- config
charset utf-8;
location = /t {
    charset off;
    default_type text/html;
    return 200 "x\n";
}
--- request
GET /t
--- response_headers
Content-Type: text/html

=== TEST 8: not on a 302 redirect
--- config
charset utf-8;
location = /t {
    return 302 /elsewhere;
}
--- request
GET /t
--- error_code: 302
--- response_headers
Content-Type: text/html

=== TEST 9: a Content-Encoding set from Lua is only a header: the charset is still added
--- config
charset utf-8;
location = /t {
    default_type text/plain;
    content_by_lua_block {
        ngx.header["Content-Encoding"] = "identity-ish"
        ngx.print("x")
    }
}
--- request
GET /t
--- response_headers
Content-Type: text/plain; charset=utf-8

=== TEST 10: a duplicate charset is an error naming file and line
--- config
location = /t {
    charset utf-8;
    charset koi8-r;
}
--- must_die
--- error_log
qr/"charset" directive is duplicate in .*nginx\.conf:\d+/
