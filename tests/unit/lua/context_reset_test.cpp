// Context::reset() (lua/scheduler.h): a used context goes back to a fresh one's state, with
// its generation bumped so stale completions can tell.

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lua/scheduler.h"

namespace tycho::lua {
namespace {

void on_done(void*, bool) {}

TEST(ContextResetTest, EveryFieldBackToAFreshContextsValue) {
    const Context fresh;
    Context c;
    int dummy = 0;
    std::vector<std::string> args = {"a"};
    std::string data = "d";
    bool eof = true;
    c.r = reinterpret_cast<http::Request*>(&dummy);
    c.phase = Phase::kTimer;
    c.chunk = reinterpret_cast<const LuaChunk*>(&dummy);
    c.entry = reinterpret_cast<LuaThread*>(&dummy);
    c.threads = reinterpret_cast<LuaThread*>(&dummy);
    c.alive_threads = 3;
    c.entry_status = 0;
    c.ctx_ref = 7;
    c.defer_ref = 8;
    c.generation = 41;
    c.running = 1;
    c.exit_code = 404;
    c.exited = c.eof = c.seen_body_data = c.timer = c.in_defers = c.failed = true;
    c.done = on_done;
    c.done_data = &dummy;
    c.set_args = &args;
    c.filter_data = &data;
    c.filter_eof = &eof;
    c.in_header_filter = c.filter_exited = true;
    c.filter_exit_code = 500;
    c.dead = c.in_use = true;
    c.exec_uri = "/a-uri-longer-than-the-small-string-buffer";
    c.exec_args = "x=1";

    c.reset();

    EXPECT_EQ(c.generation, 42u);
    EXPECT_EQ(c.r, fresh.r);
    EXPECT_EQ(c.phase, fresh.phase);
    EXPECT_EQ(c.chunk, fresh.chunk);
    EXPECT_EQ(c.entry, fresh.entry);
    EXPECT_EQ(c.threads, fresh.threads);
    EXPECT_EQ(c.alive_threads, fresh.alive_threads);
    EXPECT_EQ(c.entry_status, fresh.entry_status);
    EXPECT_EQ(c.ctx_ref, fresh.ctx_ref);
    EXPECT_EQ(c.defer_ref, fresh.defer_ref);
    EXPECT_EQ(c.running, fresh.running);
    EXPECT_EQ(c.exit_code, fresh.exit_code);
    EXPECT_EQ(c.exited, fresh.exited);
    EXPECT_EQ(c.eof, fresh.eof);
    EXPECT_EQ(c.seen_body_data, fresh.seen_body_data);
    EXPECT_EQ(c.timer, fresh.timer);
    EXPECT_EQ(c.in_defers, fresh.in_defers);
    EXPECT_EQ(c.failed, fresh.failed);
    EXPECT_EQ(c.done, fresh.done);
    EXPECT_EQ(c.done_data, fresh.done_data);
    EXPECT_EQ(c.set_args, fresh.set_args);
    EXPECT_EQ(c.filter_data, fresh.filter_data);
    EXPECT_EQ(c.filter_eof, fresh.filter_eof);
    EXPECT_EQ(c.in_header_filter, fresh.in_header_filter);
    EXPECT_EQ(c.filter_exited, fresh.filter_exited);
    EXPECT_EQ(c.filter_exit_code, fresh.filter_exit_code);
    EXPECT_EQ(c.dead, fresh.dead);
    EXPECT_EQ(c.in_use, fresh.in_use);
    EXPECT_EQ(c.exec_uri, fresh.exec_uri);
    EXPECT_EQ(c.exec_args, fresh.exec_args);
}

}  // namespace
}  // namespace tycho::lua
