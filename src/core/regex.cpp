// PCRE2 (8-bit) with JIT. Compiled code is immutable and shared; the match data and JIT stack
// are per thread, grown on demand and reused, so matching allocates nothing in steady state.

#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/regex.h"

#include <pcre2.h>

#include <cstdint>
#include <string>

namespace tycho::core {
namespace {

// nginx's default JIT stack is PCRE2's 32K; a larger one avoids PCRE2_ERROR_JIT_STACKLIMIT on
// backtracking-heavy patterns without costing anything until it is needed.
constexpr size_t kJitStackStart = 32 * 1024;
constexpr size_t kJitStackMax = 1024 * 1024;

// Per-thread scratch for pcre2_match(): never shared, freed when the thread exits.
struct MatchScratch {
    pcre2_match_data* data = nullptr;
    uint32_t pairs = 0;
    pcre2_match_context* context = nullptr;
    pcre2_jit_stack* jit_stack = nullptr;

    ~MatchScratch() {
        pcre2_match_data_free(data);
        pcre2_match_context_free(context);
        pcre2_jit_stack_free(jit_stack);
    }

    pcre2_match_data* get(uint32_t need) {
        if (data == nullptr || pairs < need) {
            pcre2_match_data_free(data);
            data = pcre2_match_data_create(need, nullptr);
            pairs = data != nullptr ? need : 0;
        }
        return data;
    }

    pcre2_match_context* match_context() {
        if (context == nullptr) {
            context = pcre2_match_context_create(nullptr);
            jit_stack = pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr);
            if (context != nullptr && jit_stack != nullptr) {
                pcre2_jit_stack_assign(context, nullptr, jit_stack);
            }
        }
        return context;
    }
};

thread_local MatchScratch t_scratch;

std::string error_message(int code) {
    PCRE2_UCHAR buf[256];
    int n = pcre2_get_error_message(code, buf, sizeof(buf));
    if (n < 0) {
        return "unknown error " + std::to_string(code);
    }
    return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

}  // namespace

Result<std::shared_ptr<Regex>> Regex::compile(std::string_view pattern, bool caseless) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    uint32_t options = caseless ? PCRE2_CASELESS : 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     options, &error_code, &error_offset, nullptr);
    if (code == nullptr) {
        // ngx_regex_compile()'s wording: the "at" part is left out when PCRE2 points at the end.
        std::string text = "pcre2_compile() failed: " + error_message(error_code) + " in \"" +
                           std::string(pattern) + "\"";
        if (error_offset < pattern.size()) {
            text += " at \"" + std::string(pattern.substr(error_offset)) + "\"";
        }
        return Status::error(std::move(text));
    }
    // JIT is an optimisation: without it (unsupported CPU, no executable memory) the
    // interpreter gives the same results.
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);

    std::shared_ptr<Regex> re(new Regex());
    re->code_ = code;
    re->pattern_ = std::string(pattern);
    uint32_t captures = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
    re->captures_ = static_cast<int>(captures);

    uint32_t name_count = 0;
    uint32_t entry_size = 0;
    PCRE2_SPTR table = nullptr;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &name_count);
    if (name_count > 0) {
        pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
        pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
        for (uint32_t i = 0; i < name_count; i++) {
            PCRE2_SPTR entry = table + static_cast<size_t>(i) * entry_size;
            // Each entry: the group number in two big-endian bytes, then the NUL-ended name.
            int group = (entry[0] << 8) | entry[1];
            re->names_.emplace_back(reinterpret_cast<const char*>(entry + 2), group);
        }
    }
    return re;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

bool Regex::match(std::string_view subject, std::vector<int>* ovector) const {
    auto* code = static_cast<pcre2_code*>(code_);
    uint32_t pairs = static_cast<uint32_t>(captures_) + 1;
    pcre2_match_data* data = t_scratch.get(pairs);
    if (data == nullptr) {
        return false;
    }
    int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                         data, t_scratch.match_context());
    if (rc < 0) {
        // No match, or a resource limit hit: either way, not a match (nginx treats errors alike
        // after logging them).
        return false;
    }
    if (ovector != nullptr) {
        PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data);
        ovector->assign(static_cast<size_t>(pairs) * 2, -1);
        // Groups past the highest one that matched are not set by PCRE2: leave them at -1.
        uint32_t set = rc == 0 ? pairs : static_cast<uint32_t>(rc);
        for (uint32_t i = 0; i < set && i < pairs; i++) {
            if (ov[2 * i] != PCRE2_UNSET) {
                (*ovector)[2 * i] = static_cast<int>(ov[2 * i]);
                (*ovector)[2 * i + 1] = static_cast<int>(ov[2 * i + 1]);
            }
        }
    }
    return true;
}

}  // namespace tycho::core
