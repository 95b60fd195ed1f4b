# Tycho-only (not run against nginx): where ngx.re differs from Debian's OpenResty on purpose
# (docs/api/regex.md): compile errors are PCRE2's, worded as OpenResty built with PCRE2 words
# them, and a regex that is not a string raises a "bad argument" error.

__DATA__

=== TEST 1: a bad regex: nil and PCRE2's message (returned, not raised), from each function
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.re.match("abc", "(abc", "jo"))
        ngx.say(ngx.re.find("abc", "a[b"))
        ngx.say(ngx.re.gmatch("abc", "(?<n"))
        ngx.say(ngx.re.sub("abc", "*", "x"))
        ngx.say(ngx.re.gsub("abc", "(", "x", "o"))
        ngx.say(require("ngx.re").split("abc", "("))
    }
}
--- request
GET /t
--- response_body
nilpcre2_compile() failed: missing closing parenthesis in "(abc"
nilnilpcre2_compile() failed: missing terminating ] for character class in "a[b"
nilpcre2_compile() failed: syntax error in subpattern name (missing terminator?) in "(?<n"
nilnilpcre2_compile() failed: quantifier does not follow a repeatable item in "*" at "*"
nilnilpcre2_compile() failed: missing closing parenthesis in "("
nilpcre2_compile() failed: missing closing parenthesis in "("

=== TEST 2: a regex that is not a string raises, naming the function
--- config
location = /t {
    content_by_lua_block {
        ngx.say(select(2, pcall(ngx.re.match, "abc")))
        ngx.say(select(2, pcall(ngx.re.gsub, "abc", {}, "x")))
    }
}
--- request
GET /t
--- response_body
bad argument #2 to 'match' (string expected, got nil)
bad argument #2 to 'gsub' (string expected, got table)
