# Single byte ranges: 206 with Content-Range, 416 when unsatisfiable, ignored when invalid.
# f.txt is "0123456789\n" (11 bytes).

__DATA__

=== TEST 1: bytes=0-3
--- user_files
>>> f.txt 1700000000
0123456789
--- request
GET /f.txt
--- more_headers
Range: bytes=0-3
--- error_code: 206
--- response_headers
Content-Range: bytes 0-3/11
Content-Length: 4
ETag: "6553f100-b"
--- response_body chomp
0123

=== TEST 2: an open-ended range
--- user_files
>>> f.txt
0123456789
--- request
GET /f.txt
--- more_headers
Range: bytes=7-
--- error_code: 206
--- response_headers
Content-Range: bytes 7-10/11
--- response_body
789

=== TEST 3: a suffix range
--- user_files
>>> f.txt
0123456789
--- request
GET /f.txt
--- more_headers
Range: bytes=-3
--- error_code: 206
--- response_headers
Content-Range: bytes 8-10/11
--- response_body
89

=== TEST 4: a range past the end is clipped
--- user_files
>>> f.txt
0123456789
--- request
GET /f.txt
--- more_headers
Range: bytes=5-100
--- error_code: 206
--- response_headers
Content-Range: bytes 5-10/11
--- response_body
56789

=== TEST 5: a range starting past the end is 416
--- user_files
>>> f.txt
0123456789
--- request
GET /f.txt
--- more_headers
Range: bytes=20-30
--- error_code: 416
--- response_headers
Content-Range: bytes */11
--- response_body_like
416 Requested Range Not Satisfiable

=== TEST 6: a malformed range is ignored
--- user_files
>>> f.txt
0123456789
--- request
GET /f.txt
--- more_headers
Range: lines=1-2
--- error_code: 200
--- response_body
0123456789

=== TEST 7: If-Range with the current ETag honours the range
--- user_files
>>> f.txt 1700000000
0123456789
--- request
GET /f.txt
--- more_headers
Range: bytes=0-1
If-Range: "6553f100-b"
--- error_code: 206
--- response_body chomp
01

=== TEST 8: If-Range with another ETag sends the whole file
--- user_files
>>> f.txt 1700000000
0123456789
--- request
GET /f.txt
--- more_headers
Range: bytes=0-1
If-Range: "old"
--- error_code: 200
--- response_body
0123456789

=== TEST 9: a range on HEAD
--- user_files
>>> f.txt
0123456789
--- request
HEAD /f.txt
--- more_headers
Range: bytes=0-3
--- error_code: 206
--- response_headers
Content-Range: bytes 0-3/11
Content-Length: 4

=== TEST 10: a range on a return'd response is ignored
--- config
location = /t { return 200 "0123456789\n"; }
--- request
GET /t
--- more_headers
Range: bytes=0-3
--- error_code: 200
--- response_body
0123456789
