#include <cstring>
#include <string>

#include "unit/lua/api_test_util.h"

struct tycho_regex_t {
    int ncaptures;
    int name_count;
    int name_entry_size;
    const unsigned char* name_table;
    int* captures;
    int flags;
    void* code;
    void* match_data;
};

extern "C" {
tycho_regex_t* tycho_ffi_re_compile(const unsigned char* pat, size_t len, int flags, int opts,
                                    char* err, size_t err_size) noexcept;
int tycho_ffi_re_exec(tycho_regex_t* re, const unsigned char* s, size_t len, int pos) noexcept;
void tycho_ffi_re_free(tycho_regex_t* re) noexcept;
}

namespace tycho::lua::testing {
namespace {

constexpr int kFlagDfa = 0x02;
constexpr int kFlagJit = 0x04;

class RegexApiTest : public ApiTest {
  protected:
    void SetUp() override {
        ApiTest::SetUp();
        lua_getglobal(L_, "ngx");
        inject_regex(L_);
        ASSERT_EQ(lua_gettop(L_), 1) << "inject_regex must be stack neutral";
        lua_pop(L_, 1);
        // No package.preload in a bare state: load the embedded module into package.loaded.
        require_embedded(L_, "ngx.re");
        lua_pop(L_, 1);
    }
};

tycho_regex_t* compile(const char* pat, int flags, std::string* err = nullptr) {
    char buf[256];
    tycho_regex_t* re = tycho_ffi_re_compile(reinterpret_cast<const unsigned char*>(pat),
                                             std::strlen(pat), flags, 0, buf, sizeof(buf));
    if (re == nullptr && err != nullptr) {
        *err = buf;
    }
    return re;
}

int exec(tycho_regex_t* re, const char* s, int pos = 0) {
    return tycho_ffi_re_exec(re, reinterpret_cast<const unsigned char*>(s), std::strlen(s), pos);
}

TEST(RegexFfi, OffsetsOfGroupsUnsetOnesAndNames) {
    for (int flags : {0, kFlagJit}) {
        tycho_regex_t* re = compile(R"((\d+)(x)?-(?<tail>\w+))", flags);
        ASSERT_NE(re, nullptr);
        EXPECT_EQ(re->ncaptures, 3);
        ASSERT_EQ(re->name_count, 1);
        EXPECT_EQ((re->name_table[0] << 8) | re->name_table[1], 3);
        EXPECT_STREQ(reinterpret_cast<const char*>(re->name_table + 2), "tail");
        EXPECT_EQ(exec(re, "ab12-cd"), 4);
        const int want[] = {2, 7, 2, 4, -1, -1, 5, 7};
        for (int i = 0; i < 8; i++) {
            EXPECT_EQ(re->captures[i], want[i]) << i;
        }
        EXPECT_EQ(exec(re, "nothing"), -1);
        EXPECT_EQ(exec(re, "ab12-cd", 3), 4);  // from byte 3: "2-cd"
        EXPECT_EQ(re->captures[0], 3);
        tycho_ffi_re_free(re);
    }
}

TEST(RegexFfi, DfaReportsTheLongestMatchFirst) {
    tycho_regex_t* re = compile("a|ab|abc", kFlagDfa);
    ASSERT_NE(re, nullptr);
    EXPECT_EQ(re->ncaptures, 0);
    // Three matches at 0; only one pair fits, which pcre2_dfa_match reports as 0.
    int rc = exec(re, "abcd");
    EXPECT_TRUE(rc == 0 || rc == 3) << rc;
    EXPECT_EQ(re->captures[0], 0);
    EXPECT_EQ(re->captures[1], 3);
    tycho_ffi_re_free(re);
}

TEST(RegexFfi, ErrorsUsePcreNumbersAndNginxWording) {
    std::string err;
    EXPECT_EQ(compile("(ab", 0, &err), nullptr);
    EXPECT_EQ(err, "pcre2_compile() failed: missing closing parenthesis in \"(ab\"");
    EXPECT_EQ(compile("a)b", 0, &err), nullptr);
    EXPECT_EQ(err, "pcre2_compile() failed: unmatched closing parenthesis in \"a)b\" at \")b\"");
    tycho_regex_t* re = compile("b", 0);
    ASSERT_NE(re, nullptr);
    EXPECT_EQ(exec(re, "ab", 5), -24);  // PCRE_ERROR_BADOFFSET
    tycho_ffi_re_free(re);
    re = tycho_ffi_re_compile(reinterpret_cast<const unsigned char*>("."), 1, 0,
                              0x00080000 /* PCRE2_UTF */, nullptr, 0);
    ASSERT_NE(re, nullptr);
    EXPECT_EQ(exec(re, "\xff"), -10);  // PCRE_ERROR_BADUTF8
    tycho_ffi_re_free(re);
}

TEST_F(RegexApiTest, MatchFindSubGsubGmatch) {
    EXPECT_EQ(eval("local m = ngx.re.match('k=v1', [[(\\w)=(?<v>\\w+)(z)?]], 'jo') "
                   "return m[0] .. m[1] .. m[2] .. m.v .. tostring(m[3])"),
              "k=v1kv1v1false");
    EXPECT_EQ(eval("return select('#', ngx.re.match('abc', 'z'))"), "1");
    EXPECT_EQ(eval("local a, b = ngx.re.find('hello', 'l+') return a .. ',' .. b"), "3,4");
    EXPECT_EQ(eval("local s, n = ngx.re.gsub('a1b2', [[\\d]], '<$0>') return s .. n"),
              "a<1>b<2>2");
    EXPECT_EQ(eval("local s, n = ngx.re.sub('abc', 'b', function(m) return m[0]:upper() end) "
                   "return s .. n"),
              "aBc1");
    EXPECT_EQ(eval("local t = {} for m in ngx.re.gmatch('a1b22', [[\\d+]]) do t[#t + 1] = m[0] "
                   "end return table.concat(t, ',')"),
              "1,22");
    EXPECT_EQ(eval("local s = require('ngx.re').split('a,b,,c', ',') return table.concat(s, '|')"),
              "a|b||c");
}

TEST_F(RegexApiTest, FfiSymbolsResolve) {
    EXPECT_EQ(eval("local ffi = require 'ffi' local n = 0 "
                   "for _, s in ipairs({'compile', 'exec', 'free', 'set_jit_stack_size', "
                   "'cache_max', 'log_error'}) do "
                   "  assert(ffi.C['tycho_ffi_re_' .. s]) n = n + 1 end return n"),
              "6");
}

TEST_F(RegexApiTest, HotLoopsCompile) {
    std::string path = ::testing::TempDir() + "luaapi_regex_jit.txt";
    std::string code = "local v = require 'jit.v' v.on('" + path +
                       "') "
                       "local n = 0 for i = 1, 300 do "
                       "  local m = ngx.re.match('id=' .. i, [[(\\d+)]], 'jo') "
                       "  local from = ngx.re.find('xx' .. i, [[\\d]], 'jo') "
                       "  n = n + #m[1] + from end "
                       "v.off() local f = io.open('" +
                       path + "') local s = f:read('*a') f:close() os.remove('" + path +
                       "') "
                       "return tostring(s:find('[TRACE', 1, true) ~= nil) .. ',' .. "
                       "tostring(s:find('NYI', 1, true) == nil) .. ',' .. n";
    EXPECT_EQ(eval(code), "true,true,1692");
}

}  // namespace
}  // namespace tycho::lua::testing
