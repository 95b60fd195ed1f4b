#pragma once

// PCRE2 (with JIT) for `location ~`, `server_name ~`, `rewrite` and later ngx.re. A compiled
// Regex is immutable and may be shared between threads; match data is per call (thread-local
// scratch), so matching from several worker threads at once is safe.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tycho::core {

class Regex {
  public:
    // Compiles `pattern` (UTF-8 not assumed; caseless for `~*`). The error text is PCRE2's,
    // formatted like nginx: pcre2_compile() failed: <message> in "<pattern>" at "<rest>"
    static Result<std::shared_ptr<Regex>> compile(std::string_view pattern, bool caseless = false);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // Matches `subject`. Returns true on a match; `ovector` (if given) receives 2 * (captures + 1)
    // offsets (start, end; -1 for unset groups), index 0/1 being the whole match.
    bool match(std::string_view subject, std::vector<int>* ovector = nullptr) const;
    // Number of capture groups in the pattern.
    int capture_count() const { return captures_; }
    // Named groups: (name, group number) pairs.
    const std::vector<std::pair<std::string, int>>& names() const { return names_; }
    const std::string& pattern() const { return pattern_; }

  private:
    Regex() = default;
    void* code_ = nullptr;  // pcre2_code*
    int captures_ = 0;
    std::vector<std::pair<std::string, int>> names_;
    std::string pattern_;
};

}  // namespace tycho::core
