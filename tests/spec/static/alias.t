# alias: a location's prefix replaced by a path.

__DATA__

=== TEST 1: alias replaces the location prefix
--- user_files
>>> pictures/cat.txt
meow
--- config
location /img/ { alias $TEST_NGINX_HTML_DIR/pictures/; }
--- request
GET /img/cat.txt
--- response_body
meow

=== TEST 2: a relative alias resolves against the prefix
--- user_files
>>> pictures/dog.txt
woof
--- config
location /img/ { alias html/pictures/; }
--- request
GET /img/dog.txt
--- response_body
woof

=== TEST 3: alias with a regex location uses captures
--- user_files
>>> store/v2/item.txt
item v2
--- config
location ~ ^/api/(v\d+)/(.*)$ { alias $TEST_NGINX_HTML_DIR/store/$1/$2; }
--- request
GET /api/v2/item.txt
--- response_body
item v2

=== TEST 4: alias to a directory serves its index
--- user_files
>>> docs/index.html
docs home
--- config
location /manual/ { alias $TEST_NGINX_HTML_DIR/docs/; }
--- request
GET /manual/
--- response_body
docs home

=== TEST 5: alias of an exact location to a file
--- user_files
>>> real-name.txt
exact
--- config
location = /pretty { alias $TEST_NGINX_HTML_DIR/real-name.txt; }
--- request
GET /pretty
--- response_body
exact

=== TEST 6: $document_root and $request_filename with alias
--- config
location /img/ {
    alias $TEST_NGINX_HTML_DIR/pictures/;
    return 200 "$request_filename\n";
}
--- request
GET /img/a/b.png
--- response_body
$TEST_NGINX_HTML_DIR/pictures/a/b.png

=== TEST 7: a missing file under alias is 404
--- config
location /img/ { alias $TEST_NGINX_HTML_DIR/pictures/; }
--- request
GET /img/none.png
--- error_code: 404
--- error_log
qr/open\(\) "\S+\/html\/pictures\/none\.png" failed \(2: No such file or directory\)/
