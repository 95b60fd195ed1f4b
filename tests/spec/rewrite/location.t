# Location matching in nginx's order: exact (=) first; then the longest prefix; if that
# longest prefix is ^~ it wins; otherwise regexes (~, ~*) in config order, first match wins;
# else the longest prefix. Nested locations.

__DATA__

=== TEST 1: exact match wins over everything
--- config
location = /a { return 200 "exact\n"; }
location /a { return 200 "prefix\n"; }
location ~ ^/a$ { return 200 "regex\n"; }
--- request
GET /a
--- response_body
exact

=== TEST 2: exact match does not match longer URIs
--- config
location = /a { return 200 "exact\n"; }
location / { return 200 "root\n"; }
--- request
GET /ab
--- response_body
root

=== TEST 3: the longest prefix is chosen, not the first
--- config
location /a { return 200 "short\n"; }
location /a/b/c { return 200 "longest\n"; }
location /a/b { return 200 "middle\n"; }
--- request
GET /a/b/c/d
--- response_body
longest

=== TEST 4: a regex wins over a plain prefix
--- config
location /img/ { return 200 "prefix\n"; }
location ~ \.png$ { return 200 "regex\n"; }
--- request
GET /img/x.png
--- response_body
regex

=== TEST 5: ^~ on the longest prefix stops the regex search
--- config
location ^~ /img/ { return 200 "prefix no regex\n"; }
location ~ \.png$ { return 200 "regex\n"; }
--- request
GET /img/x.png
--- response_body
prefix no regex

=== TEST 6: ^~ on a shorter prefix does not stop the regex search
--- config
location ^~ /img/ { return 200 "short caret\n"; }
location /img/deep/ { return 200 "longer plain\n"; }
location ~ \.png$ { return 200 "regex\n"; }
--- request
GET /img/deep/x.png
--- response_body
regex

=== TEST 7: regexes are tried in config order
--- config
location ~ /x { return 200 "first\n"; }
location ~ /x/y { return 200 "second\n"; }
--- request
GET /x/y
--- response_body
first

=== TEST 8: ~ is case-sensitive, ~* is not
--- config
location ~ \.PNG$ { return 200 "sensitive\n"; }
location ~* \.png$ { return 200 "insensitive\n"; }
--- pipelined_requests
GET /a.PNG
GET /a.Png
--- error_code
200 200
--- response_body
sensitive
insensitive

=== TEST 9: no regex matches: the longest prefix is used
--- config
location /a/ { return 200 "prefix\n"; }
location ~ \.php$ { return 200 "php\n"; }
--- request
GET /a/b.html
--- response_body
prefix

=== TEST 10: nested prefix location
--- config
location /outer/ {
    location /outer/inner/ { return 200 "inner\n"; }
    return 200 "outer\n";
}
--- pipelined_requests
GET /outer/inner/x
GET /outer/other
--- error_code
200 200
--- response_body
inner
outer

=== TEST 11: a regex nested in a prefix location
--- config
location /files/ {
    location ~ \.txt$ { return 200 "nested regex\n"; }
    return 200 "files\n";
}
location ~ \.txt$ { return 200 "top regex\n"; }
--- request
GET /files/a.txt
--- response_body
nested regex

=== TEST 12: regex captures are available in the location
--- config
location ~ ^/user/(\d+)/(\w+)$ { return 200 "id=$1 action=$2\n"; }
--- request
GET /user/12/edit
--- response_body
id=12 action=edit

=== TEST 13: named regex captures
--- config
location ~ ^/u/(?<who>[a-z]+)$ { return 200 "who=$who\n"; }
--- request
GET /u/eve
--- response_body
who=eve

=== TEST 14: matching is done on the decoded, normalized URI
--- config
location = "/a b" { return 200 "space\n"; }
location /c/ { return 200 "c\n"; }
--- pipelined_requests
GET /a%20b
GET /x/../c/
--- error_code
200 200
--- response_body
space
c

=== TEST 15: no location matches: 404
--- config
location /only/ { return 200 "only\n"; }
--- request
GET /other
--- error_code: 404

=== TEST 16: a named location is not matched by a request
--- config
location @named { return 200 "named\n"; }
--- request
GET /@named
--- error_code: 404
