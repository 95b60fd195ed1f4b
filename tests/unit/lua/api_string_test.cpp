#include <string>

#include "unit/lua/api_test_util.h"

namespace tycho::lua::testing {
namespace {

using StringApiTest = ApiTest;

TEST_F(StringApiTest, EscapeUriComponentIsTheDefault) {
    EXPECT_EQ(eval("return ngx.escape_uri('a b&c=d/\\195\\169~-._')"),
              "a%20b%26c%3Dd%2F%C3%A9~-._");
    // OpenResty's component set leaves ! ' ( ) * alone and escapes the other reserved chars.
    EXPECT_EQ(eval("return ngx.escape_uri(\"!*'();:@&=+$,/?#[]\")"),
              "!*'()%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D");
    EXPECT_EQ(eval("return ngx.escape_uri('\\0\\127\\255\"<>\\\\^`{|}%')"),
              "%00%7F%FF%22%3C%3E%5C%5E%60%7B%7C%7D%25");
    EXPECT_EQ(eval("return ngx.escape_uri('x y', 2)"), "x%20y");
}

TEST_F(StringApiTest, EscapeUriType0EscapesOnlySpaceHashPercentQuestionAndControls) {
    EXPECT_EQ(eval("return ngx.escape_uri('/a b?c#d%e&f=g+h', 0)"), "/a%20b%3Fc%23d%25e&f=g+h");
    EXPECT_EQ(eval("return ngx.escape_uri('\\1\\127\\200', 0)"), "%01%7F%C8");
}

TEST_F(StringApiTest, EscapeUriCoercesArguments) {
    EXPECT_EQ(eval("return ngx.escape_uri(nil)"), "");
    EXPECT_EQ(eval("return ngx.escape_uri(false)"), "");
    EXPECT_EQ(eval("return ngx.escape_uri(12.5)"), "12.5");
    EXPECT_EQ(eval("return ngx.escape_uri(true)"), "true");
    EXPECT_EQ(eval("return ngx.escape_uri('plain')"), "plain");
}

TEST_F(StringApiTest, EscapeUriRejectsBadType) {
    EXPECT_EQ(error_of("local function f() local s = ngx.escape_uri('x', 'a') return s end\nf()"),
              "test:2: \"type\" is not a number");
    EXPECT_EQ(error_of("local function f() local s = ngx.escape_uri('x', 7) return s end\nf()"),
              "test:2: \"type\" 7 out of range");
    EXPECT_EQ(error_of("local function f() local s = ngx.escape_uri('x', -1) return s end\nf()"),
              "test:2: \"type\" -1 out of range");
}

TEST_F(StringApiTest, EscapeUriLargeInput) {
    EXPECT_EQ(eval("local s = ngx.escape_uri(string.rep(' ', 5000)) "
                   "return #s .. ':' .. s:sub(1, 6)"),
              "15000:%20%20");
}

TEST_F(StringApiTest, UnescapeUri) {
    EXPECT_EQ(eval("return ngx.unescape_uri('a%20b+c%zz%4%2f%2F')"), "a b c%zz%4//");
    EXPECT_EQ(eval("return ngx.unescape_uri('%E4%BD%A0%')"), "\xE4\xBD\xA0%");
    EXPECT_EQ(eval("return ngx.unescape_uri(nil)"), "");
    EXPECT_EQ(eval("return ngx.unescape_uri(42)"), "42");
    EXPECT_EQ(eval("return ngx.unescape_uri(ngx.escape_uri('\\0\\1 &=\\255'))"),
              std::string("\0\1 &=\xff", 6));
}

TEST_F(StringApiTest, EncodeArgs) {
    EXPECT_EQ(eval("return ngx.encode_args({a = 'b c'})"), "a=b%20c");
    EXPECT_EQ(eval("return ngx.encode_args({['a b'] = 'x/y'})"), "a%20b=x%2Fy");
    EXPECT_EQ(eval("return ngx.encode_args({a = 3.5})"), "a=3.5");
    EXPECT_EQ(eval("return ngx.encode_args({flag = true})"), "flag");
    EXPECT_EQ(eval("return ngx.encode_args({flag = false})"), "");
    EXPECT_EQ(eval("return ngx.encode_args({})"), "");
    EXPECT_EQ(eval("return ngx.encode_args({a = {1, 'x y', true, false}})"), "a=1&a=x%20y&a");
    EXPECT_EQ(eval("return ngx.encode_args({a = {}})"), "");
    // Two keys: order follows the table walk; check both pairs are there, joined by one '&'.
    EXPECT_EQ(eval("local s = ngx.encode_args({foo = 3, ['b r'] = 32}) "
                   "return tostring(s == 'foo=3&b%20r=32' or s == 'b%20r=32&foo=3')"),
              "true");
}

TEST_F(StringApiTest, EncodeArgsErrors) {
    EXPECT_EQ(error_of("ngx.encode_args()"), "test:1: expecting 1 argument but seen 0");
    EXPECT_EQ(error_of("ngx.encode_args({}, 1)"), "test:1: expecting 1 argument but seen 2");
    EXPECT_EQ(error_of("ngx.encode_args('a=1')"),
              "test:1: bad argument #1 to 'encode_args' (table expected, got string)");
    EXPECT_EQ(error_of("ngx.encode_args({'a'})"),
              "test:1: attempt to use a non-string key in the \"args\" option table");
    EXPECT_EQ(error_of("ngx.encode_args({a = print})"),
              "test:1: attempt to use function as query arg value");
    EXPECT_EQ(error_of("ngx.encode_args({a = {{}}})"),
              "test:1: attempt to use table as query arg value");
    EXPECT_EQ(error_of("ngx.encode_args({a = ngx.null})"),
              "test:1: attempt to use userdata as query arg value");
}

TEST_F(StringApiTest, DecodeArgs) {
    const char* code =
        "local t = ngx.decode_args('a=1&b=2&a=3&c&d=&=e&&f=%20x+y&a=4') "
        "return table.concat({type(t.a), t.a[1], t.a[2], t.a[3], t.b, tostring(t.c), "
        "'[' .. t.d .. ']', t.f, tostring(t[''])}, ',')";
    EXPECT_EQ(eval(code), "table,1,3,4,2,true,[], x y,nil");
    EXPECT_EQ(eval("local t = ngx.decode_args('k%3D=v%26') return t['k='] .. '|' .. "
                   "tostring(t.x)"),
              "v&|nil");
    EXPECT_EQ(eval("return next(ngx.decode_args('')) == nil"), "true");
    EXPECT_EQ(eval("local t = ngx.decode_args('a=1&a&a=') "
                   "return tostring(t.a[1]) .. tostring(t.a[2]) .. '[' .. t.a[3] .. ']'"),
              "1true[]");
}

TEST_F(StringApiTest, DecodeArgsLimits) {
    EXPECT_EQ(eval("local t = ngx.decode_args('a=1&b=2&c=3', 2) "
                   "return tostring(t.a) .. tostring(t.b) .. tostring(t.c)"),
              "12nil");
    const char* count =
        "local parts = {} for i = 1, 150 do parts[i] = 'k' .. i .. '=' .. i end "
        "local t = ngx.decode_args(table.concat(parts, '&'), %s) "
        "local n = 0 for _ in pairs(t) do n = n + 1 end return n";
    char buf[512];
    std::snprintf(buf, sizeof(buf), count, "nil");
    // nil as an explicit second argument is not a number: OpenResty's luaL_checkint rejects it.
    EXPECT_EQ(error_of(buf), "test:1: bad argument #2 to 'decode_args' (number expected, got nil)");
    std::string def = count;
    def.replace(def.find(", %s"), 4, "");
    EXPECT_EQ(eval(def), "100");
    std::snprintf(buf, sizeof(buf), count, "0");
    EXPECT_EQ(eval(buf), "150");
    std::snprintf(buf, sizeof(buf), count, "-1");
    EXPECT_EQ(eval(buf), "150");
    std::snprintf(buf, sizeof(buf), count, "120");
    EXPECT_EQ(eval(buf), "120");
}

TEST_F(StringApiTest, DecodeArgsErrors) {
    EXPECT_EQ(error_of("ngx.decode_args()"), "test:1: expecting 1 or 2 arguments but seen 0");
    EXPECT_EQ(error_of("ngx.decode_args('a', 1, 2)"),
              "test:1: expecting 1 or 2 arguments but seen 3");
    EXPECT_EQ(error_of("ngx.decode_args({})"),
              "test:1: bad argument #1 to 'decode_args' (string expected, got table)");
    EXPECT_EQ(error_of("ngx.decode_args('a', 'x')"),
              "test:1: bad argument #2 to 'decode_args' (number expected, got string)");
    EXPECT_EQ(eval("return ngx.decode_args(12)['12']"), "true");
}

TEST_F(StringApiTest, Base64Rfc4648Vectors) {
    const char* vectors[][2] = {{"", ""},
                                {"f", "Zg=="},
                                {"fo", "Zm8="},
                                {"foo", "Zm9v"},
                                {"foob", "Zm9vYg=="},
                                {"fooba", "Zm9vYmE="},
                                {"foobar", "Zm9vYmFy"}};
    for (const auto& v : vectors) {
        EXPECT_EQ(eval(std::string("return ngx.encode_base64('") + v[0] + "')"), v[1]) << v[0];
        EXPECT_EQ(eval(std::string("return ngx.decode_base64('") + v[1] + "')"), v[0]) << v[1];
    }
}

TEST_F(StringApiTest, Base64NoPaddingAndCoercion) {
    EXPECT_EQ(eval("return ngx.encode_base64('f', true)"), "Zg");
    EXPECT_EQ(eval("return ngx.encode_base64('fo', true)"), "Zm8");
    EXPECT_EQ(eval("return ngx.encode_base64('foo', true)"), "Zm9v");
    EXPECT_EQ(eval("return ngx.encode_base64('f', false)"), "Zg==");
    EXPECT_EQ(eval("return ngx.encode_base64('f', nil)"), "Zg==");
    EXPECT_EQ(eval("return ngx.encode_base64(nil)"), "");
    EXPECT_EQ(eval("return ngx.encode_base64(123)"), "MTIz");
    EXPECT_EQ(eval("return ngx.encode_base64('\\255\\254\\253')"), "//79");
    EXPECT_EQ(error_of("ngx.encode_base64('f', 1)"),
              "test:1: bad no_padding: boolean expected, got number");
    EXPECT_EQ(error_of("ngx.encode_base64('f', 'yes')"),
              "test:1: bad no_padding: boolean expected, got string");
}

TEST_F(StringApiTest, DecodeBase64InvalidAndLenient) {
    EXPECT_EQ(eval("return ngx.decode_base64('Zg')"), "f");
    EXPECT_EQ(eval("return ngx.decode_base64('Zm9vYg==junk!')"), "foob");
    EXPECT_EQ(eval("return ngx.decode_base64('Zm9v!')"), "nil");
    EXPECT_EQ(eval("return ngx.decode_base64('Z')"), "nil");
    EXPECT_EQ(eval("return ngx.decode_base64('Zm9vY')"), "nil");
    EXPECT_EQ(eval("return ngx.decode_base64('Zm 9v')"), "nil");
    EXPECT_EQ(error_of("ngx.decode_base64(nil)"), "test:1: string argument only");
    EXPECT_EQ(error_of("ngx.decode_base64(12)"), "test:1: string argument only");
    EXPECT_EQ(eval("local s = string.rep('\\1\\2\\3xyz', 3000) "
                   "return tostring(ngx.decode_base64(ngx.encode_base64(s)) == s)"),
              "true");
}

TEST_F(StringApiTest, Digests) {
    EXPECT_EQ(eval("return ngx.md5('')"), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(eval("return ngx.md5(nil)"), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(eval("return ngx.md5('hello')"), "5d41402abc4b2a76b9719d911017c592");
    EXPECT_EQ(eval("return ngx.md5(123) == ngx.md5('123')"), "true");
    EXPECT_EQ(eval("local b = ngx.md5_bin('hello') return #b .. ':' .. "
                   "(b:gsub('.', function(c) return string.format('%02x', c:byte()) end))"),
              "16:5d41402abc4b2a76b9719d911017c592");
    EXPECT_EQ(eval("local b = ngx.sha1_bin('hello') return #b .. ':' .. "
                   "(b:gsub('.', function(c) return string.format('%02x', c:byte()) end))"),
              "20:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
    EXPECT_EQ(eval("return #ngx.sha1_bin(nil)"), "20");
}

TEST_F(StringApiTest, HmacSha1) {
    EXPECT_EQ(eval("return ngx.encode_base64(ngx.hmac_sha1('thisisverysecretstuff', "
                   "'some string we want to sign'))"),
              "R/pvxzHC4NLtj7S+kXFg/NePTmk=");
    EXPECT_EQ(eval("return #ngx.hmac_sha1('', '')"), "20");
    EXPECT_EQ(error_of("ngx.hmac_sha1('a')"), "test:1: expecting 2 arguments, but got 1");
    EXPECT_EQ(error_of("ngx.hmac_sha1({}, 'x')"),
              "test:1: bad argument #1 to 'hmac_sha1' (string expected, got table)");
    EXPECT_EQ(error_of("ngx.hmac_sha1('k', nil)"),
              "test:1: bad argument #2 to 'hmac_sha1' (string expected, got nil)");
}

TEST_F(StringApiTest, Crc32) {
    EXPECT_EQ(eval("return ngx.crc32_short('hello')"), "907060870");
    EXPECT_EQ(eval("return ngx.crc32_long('hello')"), "907060870");
    EXPECT_EQ(eval("return ngx.crc32_long('123456789')"), "3421780262");
    EXPECT_EQ(eval("return ngx.crc32_short('hello, world')"), "4289425978");
    EXPECT_EQ(eval("return ngx.crc32_short('')"), "0");
    EXPECT_EQ(eval("return ngx.crc32_long(nil)"), "0");
    EXPECT_EQ(eval("return type(ngx.crc32_short('x'))"), "number");
}

TEST_F(StringApiTest, QuoteSqlStr) {
    EXPECT_EQ(eval("return ngx.quote_sql_str('\\0\\b\\n\\r\\t\\26\\\\\\'\"')"),
              "'\\0\\b\\n\\r\\t\\Z\\\\\\'\\\"'");
    EXPECT_EQ(eval("return ngx.quote_sql_str('')"), "''");
    EXPECT_EQ(eval("return ngx.quote_sql_str(\"it's\")"), "'it\\'s'");
    EXPECT_EQ(eval("return ngx.quote_sql_str('\\228\\189\\160')"), "'\xE4\xBD\xA0'");
    EXPECT_EQ(eval("return ngx.quote_sql_str(12)"), "'12'");
    EXPECT_EQ(error_of("ngx.quote_sql_str()"), "test:1: expecting one argument");
    EXPECT_EQ(error_of("ngx.quote_sql_str('a', 'b')"), "test:1: expecting one argument");
    EXPECT_EQ(error_of("ngx.quote_sql_str({})"),
              "test:1: bad argument #1 to 'quote_sql_str' (string expected, got table)");
}

// Every symbol the Lua half declares resolves in this binary, so C++ and Lua cannot drift.
TEST_F(StringApiTest, FfiSymbolsResolve) {
    EXPECT_EQ(eval("local ffi = require 'ffi' local n = 0 "
                   "for _, s in ipairs({'encode_base64', 'decode_base64', 'md5', 'md5_bin', "
                   "'sha1_bin', 'crc32_short', 'crc32_long', 'uri_escaped_length', "
                   "'escape_uri', 'unescape_uri'}) do "
                   "  assert(ffi.C['tycho_ffi_string_' .. s]) n = n + 1 end return n"),
              "10");
}

TEST_F(StringApiTest, HotLoopsCompile) {
    std::string path = ::testing::TempDir() + "luaapi_string_jit.txt";
    std::string code = "local v = require 'jit.v' v.on('" + path +
                       "') "
                       "local acc = 0 for i = 1, 300 do "
                       "  acc = acc + #ngx.escape_uri('a b' .. i) + #ngx.encode_base64('x' .. i) "
                       "  + #ngx.md5(i) + ngx.crc32_short('y') + #ngx.unescape_uri('%20') end "
                       "v.off() local f = io.open('" +
                       path + "') local s = f:read('*a') f:close() os.remove('" + path +
                       "') "
                       "return tostring(s:find('[TRACE', 1, true) ~= nil) .. ',' .. "
                       "tostring(s:find('NYI', 1, true) == nil)";
    EXPECT_EQ(eval(code), "true,true");
}

}  // namespace
}  // namespace tycho::lua::testing
