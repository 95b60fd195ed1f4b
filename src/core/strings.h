// Small std::string helpers for hot request paths.
#pragma once

#include <string>
#include <string_view>

namespace tycho::core {

// Makes `s` a copy of `v`, keeping its buffer; `v` must not point into `s`. std::string::assign
// is libstdc++'s _M_replace, which allows for a source inside the string itself and costs about
// twice clear() + append(); request code sets its strings from the read buffer or Lua strings.
inline void set_string(std::string& s, std::string_view v) {
    s.clear();
    s.append(v.data(), v.size());
}

}  // namespace tycho::core
