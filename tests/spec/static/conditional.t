# Validators and conditional requests: ETag "<mtime hex>-<size hex>", Last-Modified from the
# file's mtime, If-None-Match / If-Modified-Since answered with 304.
# The file's mtime is 1700000000 = Tue, 14 Nov 2023 22:13:20 GMT = 0x6553f100.

__DATA__

=== TEST 1: ETag and Last-Modified come from the file
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- response_headers
ETag: "6553f100-6"
Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT
Content-Length: 6
--- response_body
hello

=== TEST 2: If-None-Match with the current ETag is 304
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-None-Match: "6553f100-6"
--- error_code: 304
--- response_headers
ETag: "6553f100-6"
Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT
!Content-Length
--- response_body chomp

=== TEST 3: If-None-Match with a list containing the ETag is 304
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-None-Match: "other", "6553f100-6"
--- error_code: 304

=== TEST 4: If-None-Match: * is 304
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-None-Match: *
--- error_code: 304

=== TEST 5: If-None-Match with another ETag is 200
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-None-Match: "6553f100-7"
--- response_body
hello

=== TEST 6: If-Modified-Since equal to Last-Modified is 304
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT
--- error_code: 304

=== TEST 7: If-Modified-Since other than Last-Modified is 200 (if_modified_since exact)
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-Modified-Since: Wed, 15 Nov 2023 22:13:20 GMT
--- response_body
hello

=== TEST 8: If-Modified-Since that is not a date is ignored
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-Modified-Since: yesterday
--- response_body
hello

=== TEST 9: If-None-Match wins over a matching If-Modified-Since
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-None-Match: "nope"
If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT
--- response_body
hello

=== TEST 10: HEAD with a matching ETag is 304
--- user_files
>>> f.txt 1700000000
hello
--- request
HEAD /f.txt
--- more_headers
If-None-Match: "6553f100-6"
--- error_code: 304

=== TEST 11: If-Match with another ETag is 412
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-Match: "other"
--- error_code: 412

=== TEST 12: If-Unmodified-Since before the mtime is 412
--- user_files
>>> f.txt 1700000000
hello
--- request
GET /f.txt
--- more_headers
If-Unmodified-Since: Mon, 13 Nov 2023 00:00:00 GMT
--- error_code: 412

=== TEST 13: etag off: no ETag; If-None-Match with the would-be ETag is 200
--- user_files
>>> f.txt 1700000000
hello
--- config
etag off;
--- request
GET /f.txt
--- more_headers
If-None-Match: "6553f100-6"
--- response_headers
!ETag
Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT
--- response_body
hello

=== TEST 14: etag off: If-Match with a tag fails (412), If-Match: * passes
--- user_files
>>> f.txt 1700000000
hello
--- config
location = /f.txt {
    etag off;
}
--- request
GET /f.txt
--- more_headers
If-Match: "6553f100-6"
--- error_code: 412

=== TEST 15: etag off and If-None-Match: *
--- user_files
>>> f.txt 1700000000
hello
--- config
etag off;
--- request
GET /f.txt
--- more_headers
If-None-Match: *
--- error_code: 304

=== TEST 16: if_modified_since before: a later date is 304 too; exact (default) wants the very date
--- user_files
>>> f.txt 1700000000
hello
>>> g/f.txt 1700000000
hello
--- config
location /g/ {
    if_modified_since before;
}
--- pipelined_requests
GET /g/f.txt
GET /f.txt
--- more_headers
If-Modified-Since: Wed, 15 Nov 2023 22:13:20 GMT
--- error_code: 304 200
--- response_body
hello

=== TEST 17: if_modified_since off: the header is ignored
--- user_files
>>> f.txt 1700000000
hello
--- config
if_modified_since off;
--- request
GET /f.txt
--- more_headers
If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT
--- response_body
hello

=== TEST 18: if_modified_since before also applies to a Lua response with Last-Modified
--- config
location = /t {
    if_modified_since before;
    content_by_lua_block {
        ngx.header["Last-Modified"] = ngx.http_time(1700000000)
        ngx.say("body")
    }
}
--- request
GET /t
--- more_headers
If-Modified-Since: Wed, 15 Nov 2023 22:13:20 GMT
--- error_code: 304

=== TEST 19: If-None-Match: * on a Lua response without validators is 304 too
--- config
location = /t {
    content_by_lua_block { ngx.say("body") }
}
--- request
GET /t
--- more_headers
If-None-Match: *
--- error_code: 304
