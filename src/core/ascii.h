// ASCII case folding for protocol tokens (header names, methods, schemes): byte for byte, no
// locale, bytes >= 0x80 unchanged. One table load per byte; header names meet these on every
// request, and most comparisons end at the first byte.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
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

// Eight bytes at a time: header names are walked on every request, and a word takes a handful
// of operations where bytes take a load each.

inline uint64_t load_word(const char* p) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    return x;
}

// ASCII letters of a word to lower case (bytes >= 0x80 stay as they are).
constexpr uint64_t lower_word(uint64_t x) {
    constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    uint64_t low7 = x & kLow7;
    uint64_t at_least_a = low7 + 0x3f3f3f3f3f3f3f3full;  // bit 7 set where byte >= 'A'
    uint64_t above_z = low7 + 0x2525252525252525ull;     // bit 7 set where byte > 'Z'
    return x | (((at_least_a ^ above_z) & ~x & kHigh) >> 2);
}

// The bytes of a word loaded from a string shorter than 8 (n) that belong to it.
constexpr uint64_t prefix_mask(size_t n) {
    return std::endian::native == std::endian::little ? (uint64_t{1} << (8 * n)) - 1
                                                      : ~uint64_t{0} << (8 * (8 - n));
}

}  // namespace tycho::core
