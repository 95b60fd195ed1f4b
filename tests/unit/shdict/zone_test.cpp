#include "shdict/zone.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "shdict/registry.h"
#include "unit/shdict/test_util.h"

namespace tycho::shdict {
namespace {

using testing::FakeClock;
using testing::get;
using testing::Got;
using testing::pop;
using testing::set;
using testing::store;
using testing::Stored;

// "k007": a 4-byte key for i < 1000.
std::string key_of(char prefix, size_t i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%c%03zu", prefix, i);
    return buf;
}

class ZoneTest : public ::testing::Test {
  protected:
    void TearDown() override { EXPECT_EQ(zone_.check_invariants(), ""); }

    Stored incr(std::string_view key, double delta, double* result, const double* init = nullptr,
                int64_t init_ttl = 0) {
        bool forcible = true;
        Code rc = zone_.incr(key.data(), key.size(), delta, init, init_ttl, result, &forcible);
        return Stored{rc, forcible};
    }
    Code push(std::string_view key, const ValueIn& v, bool left, size_t* len) {
        return zone_.push(left, key.data(), key.size(), v, len);
    }
    size_t llen(std::string_view key, Code expect = Code::kOk) {
        size_t n = 12345;
        EXPECT_EQ(zone_.llen(key.data(), key.size(), &n), expect);
        return n;
    }
    int64_t ttl(std::string_view key, Code expect = Code::kOk) {
        int64_t ms = -12345;
        EXPECT_EQ(zone_.ttl(key.data(), key.size(), &ms), expect);
        return ms;
    }
    Code expire(std::string_view key, int64_t ms) {
        return zone_.expire(key.data(), key.size(), ms);
    }
    Code remove(std::string_view key) { return zone_.remove(key.data(), key.size()); }

    FakeClock clock_;
    Zone zone_{"dogs", 64 * 1024, &clock_};
};

TEST(CodeText, EveryCodeHasOpenRestysText) {
    EXPECT_STREQ(code_text(Code::kOk), "");
    EXPECT_STREQ(code_text(Code::kNotFound), "not found");
    EXPECT_STREQ(code_text(Code::kExists), "exists");
    EXPECT_STREQ(code_text(Code::kNoMemory), "no memory");
    EXPECT_STREQ(code_text(Code::kNotANumber), "not a number");
    EXPECT_STREQ(code_text(Code::kNotAList), "value not a list");
    EXPECT_STREQ(code_text(Code::kValueIsList), "value is a list");
    EXPECT_STREQ(code_text(Code::kEmptyKey), "empty key");
    EXPECT_STREQ(code_text(Code::kKeyTooLong), "key too long");
    EXPECT_STREQ(code_text(Code::kNilValue), "attempt to add or replace nil values");
    EXPECT_STREQ(code_text(Code::kBadValueType), "bad value type");
}

TEST_F(ZoneTest, SetAndGetEveryType) {
    EXPECT_EQ(set(zone_, "s", "hello", 0, 7).rc, Code::kOk);
    EXPECT_EQ(store(zone_, StoreOp::kSet, "n", ValueIn::of_number(3.25)).rc, Code::kOk);
    EXPECT_EQ(store(zone_, StoreOp::kSet, "t", ValueIn::of_bool(true)).rc, Code::kOk);
    EXPECT_EQ(store(zone_, StoreOp::kSet, "f", ValueIn::of_bool(false), 0, 1).rc, Code::kOk);
    EXPECT_EQ(set(zone_, "e", "").rc, Code::kOk);

    Got s = get(zone_, "s");
    EXPECT_EQ(s.rc, Code::kOk);
    EXPECT_EQ(s.type, ValueType::kString);
    EXPECT_EQ(s.str, "hello");
    EXPECT_EQ(s.flags, 7u);
    EXPECT_FALSE(s.stale);
    Got n = get(zone_, "n");
    EXPECT_EQ(n.type, ValueType::kNumber);
    EXPECT_EQ(n.number, 3.25);
    EXPECT_EQ(n.flags, 0u);
    EXPECT_EQ(get(zone_, "t").type, ValueType::kBoolean);
    EXPECT_TRUE(get(zone_, "t").boolean);
    Got f = get(zone_, "f");
    EXPECT_EQ(f.type, ValueType::kBoolean);
    EXPECT_FALSE(f.boolean);
    EXPECT_EQ(f.flags, 1u);
    Got e = get(zone_, "e");
    EXPECT_EQ(e.type, ValueType::kString);
    EXPECT_EQ(e.str, "");
    EXPECT_EQ(get(zone_, "missing").type, ValueType::kNil);
    EXPECT_EQ(get(zone_, "missing").rc, Code::kOk);
}

TEST_F(ZoneTest, SetOverwritesValueTypeFlagsAndTtl) {
    set(zone_, "k", "first", 1000, 5);
    EXPECT_EQ(store(zone_, StoreOp::kSet, "k", ValueIn::of_number(9)).rc, Code::kOk);
    Got g = get(zone_, "k");
    EXPECT_EQ(g.type, ValueType::kNumber);
    EXPECT_EQ(g.number, 9);
    EXPECT_EQ(g.flags, 0u);
    EXPECT_EQ(ttl("k"), 0);
    EXPECT_EQ(zone_.count(), 1u);
}

TEST_F(ZoneTest, LongStringsTakeTheHeapPath) {
    std::string big(10000, 'x');
    big[9999] = 'y';
    ASSERT_EQ(set(zone_, "big", big).rc, Code::kOk);
    Got g = get(zone_, "big", false, 16);
    EXPECT_TRUE(g.heap);
    EXPECT_EQ(g.str, big);
    Got small = get(zone_, "big", false, 0);
    EXPECT_EQ(small.str, big);
    set(zone_, "tiny", "abc");
    Got t = get(zone_, "tiny", false, 3);
    EXPECT_FALSE(t.heap);
    EXPECT_EQ(t.str, "abc");
    // No caller buffer at all still works.
    ValueOut out;
    ASSERT_EQ(zone_.get("tiny", 4, &out), Code::kOk);
    EXPECT_TRUE(out.heap);
    EXPECT_EQ(out.string(), "abc");
    std::free(out.str);
}

TEST_F(ZoneTest, KeyErrors) {
    std::string longest(kMaxKeyLength, 'k');
    std::string too_long(kMaxKeyLength + 1, 'k');
    EXPECT_EQ(set(zone_, "", "v").rc, Code::kEmptyKey);
    EXPECT_EQ(set(zone_, too_long, "v").rc, Code::kKeyTooLong);
    Zone big("big", 1 << 20, &clock_);
    EXPECT_EQ(set(big, longest, "v").rc, Code::kOk);
    EXPECT_EQ(get(big, longest).str, "v");
    EXPECT_EQ(set(zone_, longest, "v").rc, Code::kNoMemory);  // bigger than the 64k zone
    EXPECT_EQ(get(zone_, "").rc, Code::kEmptyKey);
    EXPECT_EQ(get(zone_, too_long).rc, Code::kKeyTooLong);
    EXPECT_EQ(get(zone_, too_long, true).rc, Code::kKeyTooLong);
    double r = 0;
    EXPECT_EQ(incr("", 1, &r).rc, Code::kEmptyKey);
    EXPECT_EQ(incr(too_long, 1, &r).rc, Code::kKeyTooLong);
    size_t len = 0;
    EXPECT_EQ(push("", ValueIn::of_number(1), true, &len), Code::kEmptyKey);
    EXPECT_EQ(push(too_long, ValueIn::of_number(1), false, &len), Code::kKeyTooLong);
    EXPECT_EQ(pop(zone_, "", true).rc, Code::kEmptyKey);
    EXPECT_EQ(pop(zone_, too_long, false).rc, Code::kKeyTooLong);
    llen("", Code::kEmptyKey);
    llen(too_long, Code::kKeyTooLong);
    ttl("", Code::kEmptyKey);
    ttl(too_long, Code::kKeyTooLong);
    EXPECT_EQ(expire("", 1), Code::kEmptyKey);
    EXPECT_EQ(expire(too_long, 1), Code::kKeyTooLong);
    EXPECT_EQ(remove(""), Code::kEmptyKey);
    EXPECT_EQ(remove(too_long), Code::kKeyTooLong);
}

TEST_F(ZoneTest, AddSafeAddReplace) {
    EXPECT_EQ(store(zone_, StoreOp::kAdd, "a", ValueIn::of_string("1")).rc, Code::kOk);
    Stored s = store(zone_, StoreOp::kAdd, "a", ValueIn::of_string("2"));
    EXPECT_EQ(s.rc, Code::kExists);
    EXPECT_FALSE(s.forcible);
    EXPECT_EQ(store(zone_, StoreOp::kSafeAdd, "a", ValueIn::of_string("2")).rc, Code::kExists);
    EXPECT_EQ(get(zone_, "a").str, "1");

    EXPECT_EQ(store(zone_, StoreOp::kReplace, "b", ValueIn::of_string("x")).rc, Code::kNotFound);
    EXPECT_EQ(get(zone_, "b").type, ValueType::kNil);
    EXPECT_EQ(store(zone_, StoreOp::kReplace, "a", ValueIn::of_number(2), 0, 3).rc, Code::kOk);
    EXPECT_EQ(get(zone_, "a").number, 2);
    EXPECT_EQ(get(zone_, "a").flags, 3u);

    // An expired entry counts as absent for both.
    set(zone_, "x", "old", 10);
    clock_.advance(10);
    EXPECT_EQ(store(zone_, StoreOp::kReplace, "x", ValueIn::of_string("r")).rc, Code::kNotFound);
    EXPECT_EQ(store(zone_, StoreOp::kSafeAdd, "x", ValueIn::of_string("new")).rc, Code::kOk);
    EXPECT_EQ(get(zone_, "x").str, "new");
    EXPECT_EQ(ttl("x"), 0);
}

TEST_F(ZoneTest, NilValuesDeleteOrFail) {
    set(zone_, "k", "v");
    EXPECT_EQ(store(zone_, StoreOp::kAdd, "k", ValueIn::nil()).rc, Code::kNilValue);
    EXPECT_EQ(store(zone_, StoreOp::kSafeAdd, "k", ValueIn::nil()).rc, Code::kNilValue);
    EXPECT_EQ(store(zone_, StoreOp::kReplace, "k", ValueIn::nil()).rc, Code::kNilValue);
    EXPECT_EQ(get(zone_, "k").str, "v");
    Stored s = store(zone_, StoreOp::kSafeSet, "k", ValueIn::nil());
    EXPECT_EQ(s.rc, Code::kOk);
    EXPECT_FALSE(s.forcible);
    EXPECT_EQ(get(zone_, "k").type, ValueType::kNil);
    EXPECT_EQ(remove("never-there"), Code::kOk);
    set(zone_, "k2", "v");
    EXPECT_EQ(remove("k2"), Code::kOk);
    EXPECT_EQ(zone_.count(), 0u);
    ValueIn list;
    list.type = ValueType::kList;
    EXPECT_EQ(store(zone_, StoreOp::kSet, "k", list).rc, Code::kBadValueType);
}

TEST_F(ZoneTest, ExpiryIsMillisecondExact) {
    set(zone_, "anchor", "live");  // a live LRU tail stops the lazy sweep before "k"
    set(zone_, "k", "v", 100, 9);
    clock_.advance(99);
    EXPECT_EQ(get(zone_, "k").str, "v");
    EXPECT_EQ(ttl("k"), 1);
    clock_.advance(1);  // expires == now: expired
    EXPECT_EQ(get(zone_, "k").type, ValueType::kNil);
    Got stale = get(zone_, "k", true);
    EXPECT_EQ(stale.type, ValueType::kString);
    EXPECT_EQ(stale.str, "v");
    EXPECT_EQ(stale.flags, 9u);
    EXPECT_TRUE(stale.stale);
    EXPECT_EQ(ttl("k"), 0);
    clock_.advance(50);
    EXPECT_EQ(ttl("k"), -50);  // expired, not yet reclaimed
    Got live = get(zone_, "k", true);
    EXPECT_TRUE(live.stale);
    set(zone_, "fresh", "v");
    EXPECT_FALSE(get(zone_, "fresh", true).stale);
}

TEST_F(ZoneTest, TtlAndExpire) {
    EXPECT_EQ(ttl("none", Code::kNotFound), 0);
    EXPECT_EQ(expire("none", 10), Code::kNotFound);
    set(zone_, "k", "v");
    EXPECT_EQ(ttl("k"), 0);
    EXPECT_EQ(expire("k", 2500), Code::kOk);
    EXPECT_EQ(ttl("k"), 2500);
    clock_.advance(500);
    EXPECT_EQ(ttl("k"), 2000);
    EXPECT_EQ(expire("k", 0), Code::kOk);
    EXPECT_EQ(ttl("k"), 0);
    clock_.advance(100000);
    EXPECT_EQ(get(zone_, "k").str, "v");
    // expire() revives an expired entry that was not reclaimed yet.
    EXPECT_EQ(expire("k", 1), Code::kOk);
    clock_.advance(5);
    EXPECT_EQ(get(zone_, "k", true).stale, true);
    EXPECT_EQ(expire("k", 1000), Code::kOk);
    EXPECT_EQ(get(zone_, "k").str, "v");
}

TEST_F(ZoneTest, WritesReclaimUpToTwoExpiredEntriesAtTheLruTail) {
    set(zone_, "a", "1", 10);
    set(zone_, "b", "2", 10);
    set(zone_, "c", "3", 10);
    clock_.advance(10);
    EXPECT_EQ(zone_.count(), 3u);
    set(zone_, "d", "4");
    EXPECT_EQ(zone_.count(), 2u);  // a and b reclaimed, c still there
    EXPECT_EQ(get(zone_, "a", true).type, ValueType::kNil);
    EXPECT_EQ(get(zone_, "c", true).stale, true);
    // get_stale does not sweep; get does.
    EXPECT_EQ(get(zone_, "d").str, "4");
    EXPECT_EQ(zone_.count(), 2u);  // c was moved to the head by get_stale: d is the tail
    EXPECT_EQ(zone_.flush_expired(0), 1u);
    EXPECT_EQ(zone_.count(), 1u);
}

TEST_F(ZoneTest, LruOrderAndGetKeys) {
    set(zone_, "a", "1");
    set(zone_, "b", "2");
    set(zone_, "c", "3");
    EXPECT_EQ(zone_.get_keys(0), (std::vector<std::string>{"a", "b", "c"}));
    get(zone_, "a");
    EXPECT_EQ(zone_.get_keys(0), (std::vector<std::string>{"b", "c", "a"}));
    ttl("b");
    EXPECT_EQ(expire("b", 0), Code::kOk);
    EXPECT_EQ(zone_.get_keys(0), (std::vector<std::string>{"b", "c", "a"}));
    store(zone_, StoreOp::kAdd, "b", ValueIn::of_string("x"));  // fails, but touches
    EXPECT_EQ(zone_.get_keys(0), (std::vector<std::string>{"c", "a", "b"}));
    EXPECT_EQ(zone_.get_keys(2), (std::vector<std::string>{"c", "a"}));
    set(zone_, "d", "4", 5);
    clock_.advance(5);
    EXPECT_EQ(zone_.get_keys(0), (std::vector<std::string>{"c", "a", "b"}));
    EXPECT_TRUE(zone_.get_keys(0).size() == 3);
}

TEST_F(ZoneTest, MemoryAccounting) {
    EXPECT_EQ(zone_.capacity(), 64u * 1024);
    const size_t empty = zone_.free_space();
    EXPECT_EQ(empty, zone_.capacity() - zone_.overhead());
    EXPECT_LT(zone_.overhead(), zone_.capacity() / 16);

    set(zone_, "key", "0123456789");
    EXPECT_EQ(zone_.free_space(), empty - Zone::entry_charge(3, 10));
    store(zone_, StoreOp::kSet, "num", ValueIn::of_number(1));
    EXPECT_EQ(zone_.free_space(), empty - Zone::entry_charge(3, 10) - Zone::entry_charge(3, 0));
    set(zone_, "key", std::string(1000, 'z'));
    EXPECT_EQ(zone_.free_space(), empty - Zone::entry_charge(3, 1000) - Zone::entry_charge(3, 0));
    remove("key");
    remove("num");
    EXPECT_EQ(zone_.free_space(), empty);

    size_t len = 0;
    ASSERT_EQ(push("l", ValueIn::of_string("abcdef"), true, &len), Code::kOk);
    ASSERT_EQ(push("l", ValueIn::of_number(1), true, &len), Code::kOk);
    EXPECT_EQ(zone_.free_space(), empty - Zone::entry_charge(1, 0) - Zone::list_item_charge(6) -
                                      Zone::list_item_charge(0));
    pop(zone_, "l", false);
    EXPECT_EQ(zone_.free_space(), empty - Zone::entry_charge(1, 0) - Zone::list_item_charge(0));
    pop(zone_, "l", false);
    EXPECT_EQ(zone_.free_space(), empty);

    // Charges are what glibc's malloc hands out: 16-byte granules with an 8-byte header.
    EXPECT_EQ(Zone::entry_charge(1, 0) % 16, 0u);
    // An 80-byte node header + key + value, as malloc chunks: 1+80+8 -> 96, 1+100+80+8 -> 192.
    EXPECT_EQ(Zone::entry_charge(1, 0), 96u);
    EXPECT_EQ(Zone::entry_charge(1, 100), 192u);
    EXPECT_EQ(Zone::list_item_charge(0), 48u);
    EXPECT_GE(Zone::entry_charge(10, 100), 10u + 100u);
}

TEST_F(ZoneTest, FullZoneEvictsLeastRecentlyUsedAndReportsForcible) {
    Zone z("small", kMinZoneSize, &clock_);
    const std::string value(100, 'v');
    const size_t charge = Zone::entry_charge(4, 100);
    const size_t fit = z.free_space() / charge;
    ASSERT_GT(fit, 10u);
    for (size_t i = 0; i < fit; i++) {
        std::string key = key_of('k', i);
        Stored s = set(z, key, value);
        ASSERT_EQ(s.rc, Code::kOk);
        ASSERT_FALSE(s.forcible) << i;
    }
    EXPECT_LT(z.free_space(), charge);
    get(z, "k000");  // k000 becomes the most recent: k001 is now the oldest
    Stored s = set(z, "knew", value);
    EXPECT_EQ(s.rc, Code::kOk);
    EXPECT_TRUE(s.forcible);
    EXPECT_EQ(get(z, "k001").type, ValueType::kNil);
    EXPECT_EQ(get(z, "k000").str, value);
    EXPECT_EQ(get(z, "k002").str, value);

    // safe_set refuses instead, and keeps what was there.
    Stored safe = store(z, StoreOp::kSafeSet, "kbig", ValueIn::of_string(value));
    EXPECT_EQ(safe.rc, Code::kNoMemory);
    EXPECT_FALSE(safe.forcible);
    Stored safe_add = store(z, StoreOp::kSafeAdd, "kbig", ValueIn::of_string(value));
    EXPECT_EQ(safe_add.rc, Code::kNoMemory);
    std::string bigger(300, 'b');
    EXPECT_EQ(store(z, StoreOp::kSafeSet, "k002", ValueIn::of_string(bigger)).rc, Code::kNoMemory);
    EXPECT_EQ(get(z, "k002").str, value);
    // Replacing in place with a same-size value needs no extra room.
    EXPECT_EQ(store(z, StoreOp::kSafeSet, "k002", ValueIn::of_string(std::string(100, 'w'))).rc,
              Code::kOk);

    // An entry bigger than the whole zone evicts nothing.
    size_t before = z.count();
    Stored huge = set(z, "huge", std::string(kMinZoneSize, 'h'));
    EXPECT_EQ(huge.rc, Code::kNoMemory);
    EXPECT_FALSE(huge.forcible);
    EXPECT_EQ(z.count(), before);
    EXPECT_EQ(z.check_invariants(), "");
}

TEST_F(ZoneTest, ExpiredEntriesAreEvictedFirstWithoutForcible) {
    Zone z("small", kMinZoneSize, &clock_);
    const std::string value(100, 'v');
    const size_t fit = z.free_space() / Zone::entry_charge(4, 100);
    for (size_t i = 0; i < fit; i++) {
        std::string key = key_of('k', i);
        // Only the 4th and 6th are short-lived: the LRU tail (k000) is live.
        ASSERT_EQ(set(z, key, value, (i == 4 || i == 6) ? 10 : 0).rc, Code::kOk);
    }
    clock_.advance(10);
    Stored s = store(z, StoreOp::kSafeSet, "knew", ValueIn::of_string(value));
    EXPECT_EQ(s.rc, Code::kOk);
    EXPECT_FALSE(s.forcible);
    EXPECT_EQ(get(z, "k000").str, value);
    EXPECT_EQ(get(z, "k004", true).type, ValueType::kNil);
    Stored s2 = set(z, "knew2", value);
    EXPECT_EQ(s2.rc, Code::kOk);
    EXPECT_FALSE(s2.forcible);
    EXPECT_EQ(get(z, "k006", true).type, ValueType::kNil);
    Stored s3 = set(z, "knew3", value);
    EXPECT_TRUE(s3.forcible);
    EXPECT_EQ(get(z, "k001").type, ValueType::kNil);
    EXPECT_EQ(z.check_invariants(), "");
}

TEST_F(ZoneTest, Incr) {
    double r = 0;
    Stored s = incr("n", 1, &r);
    EXPECT_EQ(s.rc, Code::kNotFound);
    EXPECT_FALSE(s.forcible);
    double init = 10;
    s = incr("n", 2, &r, &init);
    EXPECT_EQ(s.rc, Code::kOk);
    EXPECT_FALSE(s.forcible);
    EXPECT_EQ(r, 12);
    EXPECT_EQ(incr("n", -0.5, &r).rc, Code::kOk);
    EXPECT_EQ(r, 11.5);
    EXPECT_EQ(incr("n", 1, &r, &init).rc, Code::kOk);  // init ignored on a live key
    EXPECT_EQ(r, 12.5);
    EXPECT_EQ(get(zone_, "n").number, 12.5);

    set(zone_, "s", "12");
    EXPECT_EQ(incr("s", 1, &r).rc, Code::kNotANumber);
    EXPECT_EQ(incr("s", 1, &r, &init).rc, Code::kNotANumber);
    size_t len = 0;
    push("l", ValueIn::of_number(1), true, &len);
    EXPECT_EQ(incr("l", 1, &r).rc, Code::kNotANumber);

    // TTL and flags of a live number survive incr.
    store(zone_, StoreOp::kSet, "t", ValueIn::of_number(1), 1000, 4);
    clock_.advance(400);
    EXPECT_EQ(incr("t", 1, &r, &init, 50).rc, Code::kOk);
    EXPECT_EQ(r, 2);
    EXPECT_EQ(ttl("t"), 600);
    EXPECT_EQ(get(zone_, "t").flags, 4u);

    // init_ttl applies to a created entry; an expired one is re-created with flags 0.
    clock_.advance(600);
    EXPECT_EQ(incr("t", 1, &r).rc, Code::kNotFound);
    EXPECT_EQ(get(zone_, "t", true).stale, true);
    EXPECT_EQ(incr("t", 5, &r, &init, 250).rc, Code::kOk);
    EXPECT_EQ(r, 15);
    EXPECT_EQ(ttl("t"), 250);
    EXPECT_EQ(get(zone_, "t").flags, 0u);
    EXPECT_EQ(incr("fresh", 1, &r, &init, 0).rc, Code::kOk);
    EXPECT_EQ(ttl("fresh"), 0);
    // An expired list is replaced by the number.
    EXPECT_EQ(expire("l", 1), Code::kOk);
    clock_.advance(1);
    EXPECT_EQ(incr("l", 1, &r, &init).rc, Code::kOk);
    EXPECT_EQ(get(zone_, "l").number, 11);
}

TEST_F(ZoneTest, IncrEvictsWhenFull) {
    Zone z("small", kMinZoneSize, &clock_);
    const std::string value(100, 'v');
    const size_t fit = z.free_space() / Zone::entry_charge(4, 100);
    for (size_t i = 0; i < fit; i++) {
        std::string key = key_of('k', i);
        set(z, key, value);
    }
    while (z.free_space() >= Zone::entry_charge(4, 0)) {
        std::string key = key_of('f', z.count());
        set(z, key, "");
    }
    double init = 0;
    double r = 0;
    bool forcible = false;
    ASSERT_EQ(z.incr("cnt", 3, 1, &init, 0, &r, &forcible), Code::kOk);
    EXPECT_TRUE(forcible);
    EXPECT_EQ(r, 1);
    EXPECT_EQ(get(z, "k000").type, ValueType::kNil);
    EXPECT_EQ(z.check_invariants(), "");
}

TEST_F(ZoneTest, Lists) {
    size_t len = 0;
    ASSERT_EQ(push("l", ValueIn::of_string("b"), true, &len), Code::kOk);
    EXPECT_EQ(len, 1u);
    ASSERT_EQ(push("l", ValueIn::of_string("a"), true, &len), Code::kOk);
    ASSERT_EQ(push("l", ValueIn::of_number(3), false, &len), Code::kOk);
    EXPECT_EQ(len, 3u);
    EXPECT_EQ(llen("l"), 3u);
    // l = a, b, 3
    Got g = get(zone_, "l");
    EXPECT_EQ(g.rc, Code::kValueIsList);
    EXPECT_EQ(g.type, ValueType::kNil);
    EXPECT_EQ(get(zone_, "l", true).rc, Code::kValueIsList);
    Got a = pop(zone_, "l", true);
    EXPECT_EQ(a.type, ValueType::kString);
    EXPECT_EQ(a.str, "a");
    Got three = pop(zone_, "l", false);
    EXPECT_EQ(three.type, ValueType::kNumber);
    EXPECT_EQ(three.number, 3);
    EXPECT_EQ(llen("l"), 1u);
    std::string long_item(500, 'q');
    ASSERT_EQ(push("l", ValueIn::of_string(long_item), false, &len), Code::kOk);
    EXPECT_EQ(pop(zone_, "l", false, 8).str, long_item);
    EXPECT_EQ(pop(zone_, "l", false).str, "b");
    // The emptied list is gone.
    EXPECT_EQ(zone_.count(), 0u);
    EXPECT_EQ(llen("l"), 0u);
    EXPECT_EQ(pop(zone_, "l", true).type, ValueType::kNil);
    EXPECT_EQ(pop(zone_, "l", true).rc, Code::kOk);

    set(zone_, "s", "x");
    EXPECT_EQ(push("s", ValueIn::of_number(1), true, &len), Code::kNotAList);
    EXPECT_EQ(pop(zone_, "s", true).rc, Code::kNotAList);
    llen("s", Code::kNotAList);
    EXPECT_EQ(push("l", ValueIn::of_bool(true), true, &len), Code::kBadValueType);
    EXPECT_EQ(push("l", ValueIn::nil(), true, &len), Code::kBadValueType);
    // set replaces a list with a scalar.
    push("l2", ValueIn::of_number(1), true, &len);
    EXPECT_EQ(set(zone_, "l2", "scalar").rc, Code::kOk);
    EXPECT_EQ(get(zone_, "l2").str, "scalar");
}

TEST_F(ZoneTest, ExpiredEntriesAreReplacedByPush) {
    size_t len = 0;
    push("l", ValueIn::of_number(1), true, &len);
    push("l", ValueIn::of_number(2), true, &len);
    expire("l", 10);
    set(zone_, "s", "x", 10);
    clock_.advance(10);
    EXPECT_EQ(llen("l"), 0u);
    EXPECT_EQ(pop(zone_, "l", true).type, ValueType::kNil);
    ASSERT_EQ(push("l", ValueIn::of_number(3), true, &len), Code::kOk);
    EXPECT_EQ(len, 1u);
    EXPECT_EQ(ttl("l"), 0);
    ASSERT_EQ(push("s", ValueIn::of_number(3), true, &len), Code::kOk);
    EXPECT_EQ(len, 1u);
}

TEST_F(ZoneTest, PushNeverEvicts) {
    Zone z("small", kMinZoneSize, &clock_);
    for (int i = 0; z.free_space() >= Zone::entry_charge(4, 100); i++) {
        std::string key = key_of('k', i);
        set(z, key, std::string(100, 'v'));
    }
    size_t before = z.count();
    size_t len = 0;
    Code rc = Code::kOk;
    for (int i = 0; i < 100 && rc == Code::kOk; i++) {
        rc = z.push(false, "list", 4, ValueIn::of_string(std::string(50, 'x')), &len);
    }
    EXPECT_EQ(rc, Code::kNoMemory);
    EXPECT_EQ(z.count(), before + (len > 0 ? 1 : 0));
    EXPECT_EQ(z.check_invariants(), "");
}

TEST_F(ZoneTest, FlushAllMarksEverythingExpired) {
    for (int i = 0; i < 10; i++) {
        set(zone_, "k" + std::to_string(i), "v", 0, i);
    }
    const size_t before = zone_.free_space();
    zone_.flush_all();
    EXPECT_EQ(zone_.count(), 7u);  // the three oldest are reclaimed, as lua-nginx-module does
    EXPECT_EQ(zone_.free_space(), before + 3 * Zone::entry_charge(2, 1));
    Got stale = get(zone_, "k8", true);
    EXPECT_TRUE(stale.stale);
    EXPECT_EQ(stale.flags, 8u);
    EXPECT_TRUE(zone_.get_keys(0).empty());
    EXPECT_EQ(zone_.count(), 7u);  // neither get_stale nor get_keys reclaims
    EXPECT_EQ(get(zone_, "k9").type, ValueType::kNil);
    EXPECT_EQ(zone_.count(), 5u);  // get reclaimed two at the tail
    EXPECT_EQ(zone_.flush_expired(2), 2u);
    EXPECT_EQ(zone_.flush_expired(0), 3u);
    EXPECT_EQ(zone_.count(), 0u);
    EXPECT_EQ(zone_.flush_expired(0), 0u);
    EXPECT_EQ(zone_.free_space(), zone_.capacity() - zone_.overhead());
}

TEST_F(ZoneTest, FlushExpiredLeavesLiveEntries) {
    set(zone_, "live1", "v");
    set(zone_, "dead1", "v", 5);
    set(zone_, "live2", "v", 50);
    set(zone_, "dead2", "v", 5);
    clock_.advance(5);
    EXPECT_EQ(zone_.flush_expired(0), 2u);
    EXPECT_EQ(zone_.get_keys(0), (std::vector<std::string>{"live1", "live2"}));
}

TEST(ZoneTiny, AZoneSmallerThanItsOverheadRefusesEverything) {
    FakeClock clock;
    Zone z("tiny", 100, &clock);  // below kMinZoneSize: the directive refuses it, the engine copes
    EXPECT_EQ(z.free_space(), 0u);
    EXPECT_EQ(set(z, "k", "v").rc, Code::kNoMemory);
    double init = 0;
    double r = 0;
    bool forcible = false;
    EXPECT_EQ(z.incr("k", 1, 1, &init, 0, &r, &forcible), Code::kNoMemory);
    size_t len = 0;
    EXPECT_EQ(z.push(true, "k", 1, ValueIn::of_number(1), &len), Code::kNoMemory);
    EXPECT_EQ(z.count(), 0u);
}

TEST(ZoneRegistry, SameNameAndSizeSurvivesReload) {
    ZoneRegistry registry;
    auto a = registry.acquire("dogs", 1 << 20);
    bool forcible = false;
    ASSERT_EQ(a->store(StoreOp::kSet, "k", 1, ValueIn::of_number(1), 0, 0, &forcible), Code::kOk);
    auto again = registry.acquire("dogs", 1 << 20);
    EXPECT_EQ(again.get(), a.get());
    EXPECT_EQ(registry.find("dogs").get(), a.get());
    auto resized = registry.acquire("dogs", 2 << 20);
    EXPECT_NE(resized.get(), a.get());
    EXPECT_EQ(resized->count(), 0u);
    EXPECT_EQ(registry.find("dogs").get(), resized.get());
    auto cats = registry.acquire("cats", 1 << 20);
    EXPECT_EQ(cats->name(), "cats");
    cats.reset();
    EXPECT_EQ(registry.find("cats"), nullptr);  // nobody holds it any more
    EXPECT_EQ(registry.acquire("cats", 1 << 20)->count(), 0u);
    EXPECT_EQ(registry.find("nope"), nullptr);
    EXPECT_EQ(&ZoneRegistry::global(), &ZoneRegistry::global());
}

TEST(ZoneSize, NginxRule) {
    EXPECT_TRUE(check_zone_size("8k", 8192).is_ok());
    EXPECT_TRUE(check_zone_size("10m", 10 << 20).is_ok());
    core::Status st = check_zone_size("8191", 8191);
    EXPECT_FALSE(st.is_ok());
    EXPECT_EQ(st.message(), "invalid lua shared dict size \"8191\"");
    EXPECT_EQ(check_zone_size("0", 0).message(), "invalid lua shared dict size \"0\"");
    EXPECT_EQ(check_zone_size("-1", -1).message(), "invalid lua shared dict size \"-1\"");
}

TEST(ZoneClock, DefaultsToTheThreadsCachedTime) {
    Zone z("real", 1 << 20);
    bool forcible = false;
    ASSERT_EQ(z.store(StoreOp::kSet, "k", 1, ValueIn::of_number(1), 60000, 0, &forcible),
              Code::kOk);
    int64_t ms = 0;
    ASSERT_EQ(z.ttl("k", 1, &ms), Code::kOk);
    EXPECT_GT(ms, 59000);
    EXPECT_LE(ms, 60000);
}

}  // namespace
}  // namespace tycho::shdict
