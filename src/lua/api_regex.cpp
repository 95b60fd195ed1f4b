// ngx.re's C half (Lua half: lua/tycho/regex.lua and lua/ngx/re.lua), after lua-nginx-module's
// ngx_http_lua_regex.c as lua-resty-core drives it over the FFI: compile a pattern with the
// option bits the Lua side parsed, then run it as often as wanted, each run leaving its offsets
// in the compiled object's `captures` array for Lua to read. PCRE2 is the engine (DESIGN.md:
// the library nginx uses); PCRE2 status codes that lua-nginx-module's PCRE build reports with
// other numbers are given PCRE's, so "pcre_exec() failed: -8" means what OpenResty's docs say.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string_view>

#include <lua.hpp>

#include "core/log.h"
#include "lua/api.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

// Flag bits of lua-resty-core's regex.lua (FLAG_*); the rest of the options arrive as PCRE2
// compile options, mapped by the Lua side.
constexpr int kFlagDfa = 0x02;
constexpr int kFlagJit = 0x04;

// pcre_dfa_exec's workspace in lua-nginx-module: 1000 ints.
constexpr size_t kDfaWorkspace = 1000;
// PCRE's JIT stack until ngx.re.opt("jit_stack_size") says otherwise (lua-nginx-module's
// NGX_LUA_RE_MIN_JIT_STACK_SIZE is also the floor of that option).
constexpr size_t kJitStackMin = 32 * 1024;

// PCRE (8.x) error numbers for the PCRE2 codes a match can end with.
constexpr int kPcreErrorMatchLimit = -8;
constexpr int kPcreErrorBadUtf8 = -10;
constexpr int kPcreErrorBadUtf8Offset = -11;
constexpr int kPcreErrorRecursionLimit = -21;
constexpr int kPcreErrorBadOffset = -24;
constexpr int kPcreErrorJitStackLimit = -27;

int pcre_error_number(int rc) {
    switch (rc) {
        case PCRE2_ERROR_MATCHLIMIT:
            return kPcreErrorMatchLimit;
        case PCRE2_ERROR_DEPTHLIMIT:
        case PCRE2_ERROR_HEAPLIMIT:
            return kPcreErrorRecursionLimit;
        case PCRE2_ERROR_JIT_STACKLIMIT:
            return kPcreErrorJitStackLimit;
        case PCRE2_ERROR_BADOFFSET:
            return kPcreErrorBadOffset;
        case PCRE2_ERROR_BADUTFOFFSET:
            return kPcreErrorBadUtf8Offset;
        default:
            // PCRE2's UTF-8 errors are -3 .. -23 (one per kind of bad sequence); PCRE had one.
            if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
                return kPcreErrorBadUtf8;
            }
            return rc;
    }
}

// Per worker thread (each has its own VM): the match context carrying lua_regex_match_limit and
// the JIT stack, and the DFA workspace. Regexes compiled by one worker's VM run only on its thread.
struct ReScratch {
    pcre2_match_context* context = nullptr;
    pcre2_jit_stack* jit_stack = nullptr;
    size_t jit_stack_max = kJitStackMin;
    int dfa_workspace[kDfaWorkspace];

    ~ReScratch() {
        pcre2_match_context_free(context);
        pcre2_jit_stack_free(jit_stack);
    }

    pcre2_match_context* get() {
        if (context == nullptr) {
            context = pcre2_match_context_create(nullptr);
            if (context == nullptr) {
                return nullptr;
            }
            WorkerRuntime* rt = current_runtime();
            if (rt != nullptr && rt->conf().regex_match_limit > 0) {
                pcre2_set_match_limit(context,
                                      static_cast<uint32_t>(rt->conf().regex_match_limit));
            }
            assign_jit_stack();
        }
        return context;
    }

    bool assign_jit_stack() {
        pcre2_jit_stack_free(jit_stack);
        jit_stack = pcre2_jit_stack_create(kJitStackMin, jit_stack_max, nullptr);
        pcre2_jit_stack_assign(context, nullptr, jit_stack);
        return jit_stack != nullptr;
    }
};

thread_local ReScratch t_re;

void copy_error(char* err, size_t err_size, const char* text, size_t len) {
    if (err_size == 0) {
        return;
    }
    if (len >= err_size) {
        len = err_size - 1;
    }
    std::memcpy(err, text, len);
    err[len] = '\0';
}

}  // namespace

void inject_regex(lua_State* L) {
    require_embedded(L, "tycho.regex");
    lua_getfield(L, -1, "api");
    lua_setfield(L, -3, "re");
    lua_pop(L, 1);
}

}  // namespace tycho::lua

// What the Lua side sees (lua/tycho/regex.lua declares the same layout).
struct tycho_regex_t {
    int ncaptures;                   // capture groups; 0 in DFA mode
    int name_count;                  // named groups
    int name_entry_size;             // bytes per name-table entry
    const unsigned char* name_table; // PCRE2_INFO_NAMETABLE: 2-byte group number, then the name
    int* captures;                   // 2 * (ncaptures + 1) offsets of the last match, -1 = unset
    int flags;                       // the kFlag* bits it was compiled with
    pcre2_code* code;
    pcre2_match_data* match_data;
};

extern "C" {

// Compiles `pat` with PCRE2 options `opts`; flags as above. NULL with the reason in `err` (the
// text of ngx_http_lua_regex_compile, naming pcre2_compile) when the pattern is bad.
tycho_regex_t* tycho_ffi_re_compile(const unsigned char* pat, size_t len, int flags, int opts,
                                    char* err, size_t err_size) noexcept {
    using tycho::lua::copy_error;
    int code_err = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code* code =
        pcre2_compile(pat, len, static_cast<uint32_t>(opts), &code_err, &offset, nullptr);
    if (code == nullptr) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(code_err, msg, sizeof(msg)) < 0) {
            std::snprintf(reinterpret_cast<char*>(msg), sizeof(msg), "error %d", code_err);
        }
        // ngx_http_lua_regex_compile()'s wording: no "at" part when PCRE2 points at the end.
        if (offset >= len) {
            std::snprintf(err, err_size, "pcre2_compile() failed: %s in \"%.*s\"",
                          reinterpret_cast<const char*>(msg), static_cast<int>(len), pat);
        } else {
            std::snprintf(err, err_size, "pcre2_compile() failed: %s in \"%.*s\" at \"%.*s\"",
                          reinterpret_cast<const char*>(msg), static_cast<int>(len), pat,
                          static_cast<int>(len - offset), pat + offset);
        }
        return nullptr;
    }
    if ((flags & tycho::lua::kFlagJit) != 0) {
        // As pcre_study(PCRE_STUDY_JIT_COMPILE): where JIT is unavailable the interpreter gives
        // the same results.
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    }
    uint32_t ncap = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &ncap);
    if ((flags & tycho::lua::kFlagDfa) != 0) {
        ncap = 0;
    }
    auto* re = new (std::nothrow) tycho_regex_t{};
    int* caps = new (std::nothrow) int[2 * (ncap + 1)];
    pcre2_match_data* md = pcre2_match_data_create((flags & tycho::lua::kFlagDfa) != 0
                                                       ? 1
                                                       : ncap + 1,
                                                   nullptr);
    if (re == nullptr || caps == nullptr || md == nullptr) {
        delete re;
        delete[] caps;
        pcre2_match_data_free(md);
        pcre2_code_free(code);
        copy_error(err, err_size, "no memory", 9);
        return nullptr;
    }
    re->code = code;
    re->match_data = md;
    re->captures = caps;
    re->ncaptures = static_cast<int>(ncap);
    re->flags = flags;
    for (uint32_t i = 0; i < 2 * (ncap + 1); i++) {
        caps[i] = -1;
    }
    uint32_t names = 0;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &names);
    re->name_count = static_cast<int>(names);
    if (names > 0) {
        uint32_t entry = 0;
        PCRE2_SPTR table = nullptr;
        pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
        pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
        re->name_entry_size = static_cast<int>(entry);
        re->name_table = table;
    }
    return re;
}

// Runs `re` on s[0, len) from byte `pos`. Returns what pcre_exec would: the number of offset
// pairs set (> 0), -1 for no match, or another (PCRE-numbered) error; re->captures holds the
// offsets. In DFA mode the count is the number of matches found, the longest in pair 0.
int tycho_ffi_re_exec(tycho_regex_t* re, const unsigned char* s, size_t len, int pos) noexcept {
    using namespace tycho::lua;
    // The "U" option's PCRE2_NO_UTF_CHECK is not passed on: PCRE2 may crash on a subject that is
    // not UTF-8 without the check, and no Lua input may take a worker down.
    uint32_t opts = 0;
    int rc;
    if ((re->flags & kFlagDfa) != 0) {
        // lua_regex_match_limit does not apply to DFA matching in lua-nginx-module either.
        rc = pcre2_dfa_match(re->code, s, len, static_cast<PCRE2_SIZE>(pos), opts,
                             re->match_data, nullptr, t_re.dfa_workspace, kDfaWorkspace);
    } else {
        rc = pcre2_match(re->code, s, len, static_cast<PCRE2_SIZE>(pos), opts, re->match_data,
                         t_re.get());
    }
    if (rc < 0) {
        return rc == PCRE2_ERROR_NOMATCH ? -1 : pcre_error_number(rc);
    }
    int pairs = re->ncaptures + 1;
    int set = rc == 0 ? 1 : (rc < pairs ? rc : pairs);
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(re->match_data);
    int* caps = re->captures;
    for (int i = 0; i < set; i++) {
        if (ov[2 * i] == PCRE2_UNSET) {
            caps[2 * i] = -1;
            caps[2 * i + 1] = -1;
        } else {
            caps[2 * i] = static_cast<int>(ov[2 * i]);
            caps[2 * i + 1] = static_cast<int>(ov[2 * i + 1]);
        }
    }
    for (int i = set; i < pairs; i++) {
        caps[2 * i] = -1;
        caps[2 * i + 1] = -1;
    }
    return rc;
}

void tycho_ffi_re_free(tycho_regex_t* re) noexcept {
    if (re == nullptr) {
        return;
    }
    pcre2_match_data_free(re->match_data);
    pcre2_code_free(re->code);
    delete[] re->captures;
    delete re;
}

// ngx.re.opt("jit_stack_size", size): 0, or -1 with the reason in `err`.
int tycho_ffi_re_set_jit_stack_size(int size, char* err, size_t err_size) noexcept {
    using namespace tycho::lua;
    size_t want = size < static_cast<int>(kJitStackMin) ? kJitStackMin : static_cast<size_t>(size);
    if (t_re.get() == nullptr) {
        copy_error(err, err_size, "no memory", 9);
        return -1;
    }
    t_re.jit_stack_max = want;
    if (!t_re.assign_jit_stack()) {
        static constexpr char kMsg[] = "pcre jit stack allocation failed";
        copy_error(err, err_size, kMsg, sizeof(kMsg) - 1);
        return -1;
    }
    return 0;
}

// An [error] line without request context, as lua-nginx-module logs a bad replacement
// template (to the cycle's log).
void tycho_ffi_re_log_error(const char* msg, size_t len) noexcept {
    tycho::core::log_error(tycho::core::LogLevel::kError, std::string_view(msg, len));
}

// lua_regex_cache_max_entries of the running worker (1024 without one, as the default).
int tycho_ffi_re_cache_max(void) noexcept {
    tycho::lua::WorkerRuntime* rt = tycho::lua::current_runtime();
    return rt != nullptr ? static_cast<int>(rt->conf().regex_cache_max_entries) : 1024;
}

}  // extern "C"
