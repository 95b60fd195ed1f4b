// The word-at-a-time helpers of core/ascii.h against the byte-at-a-time definitions.
#include "core/ascii.h"

#include <gtest/gtest.h>


namespace tycho::core {
namespace {

TEST(Ascii, LowerWordLowersLettersOnlyInEveryPosition) {
    for (int pos = 0; pos < 8; pos++) {
        for (int c = 0; c < 256; c++) {
            char bytes[8] = {'A', 'z', '-', '0', '_', 'Q', '@', '['};
            bytes[pos] = static_cast<char>(c);
            uint64_t lowered = lower_word(load_word(bytes));
            char out[8];
            std::memcpy(out, &lowered, 8);
            for (int i = 0; i < 8; i++) {
                ASSERT_EQ(static_cast<unsigned char>(out[i]),
                          kAsciiLower[static_cast<unsigned char>(bytes[i])])
                    << "byte " << c << " at " << pos;
            }
        }
    }
}

TEST(Ascii, PrefixMaskKeepsTheFirstBytes) {
    const char bytes[8] = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
    for (size_t n = 1; n < 8; n++) {
        uint64_t kept = load_word(bytes) & prefix_mask(n);
        char out[8];
        std::memcpy(out, &kept, 8);
        for (size_t i = 0; i < 8; i++) {
            EXPECT_EQ(out[i], i < n ? bytes[i] : '\0') << n << " " << i;
        }
    }
}

}  // namespace
}  // namespace tycho::core
