// ASCII case folding for protocol tokens (header names, methods, schemes): byte for byte, no
// locale, bytes >= 0x80 unchanged. One table load per byte; header names meet these on every
// request, and most comparisons end at the first byte.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace tycho::core {

inline constexpr std::array<unsigned char, 256> kAsciiLower = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 256; c++) {
        t[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    return t;
}();

inline char ascii_lower(char c) {
    return static_cast<char>(kAsciiLower[static_cast<unsigned char>(c)]);
}

// Equal but for the case of ASCII letters.
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); i++) {
        if (kAsciiLower[static_cast<unsigned char>(a[i])] !=
            kAsciiLower[static_cast<unsigned char>(b[i])]) {
            return false;
        }
    }
    return true;
}

}  // namespace tycho::core
