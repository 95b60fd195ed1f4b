#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/conf.h"

namespace tycho::core {
namespace {

// What the dummy setters record, in call order.
struct Seen {
    std::vector<std::string> calls;
};

Status record(ConfProcessor&, const ConfNode& node, void* conf) {
    std::string call = node.name;
    for (const std::string& a : node.args) {
        call += " " + a;
    }
    static_cast<Seen*>(conf)->calls.push_back(call);
    return Status::ok();
}

DirectiveTable make_table() {
    DirectiveTable t;
    t.add({"worker_processes", kConfMain, kArgs1, record});
    t.add({"events", kConfMain, kArgsBlock | kArgsNone,
           [](ConfProcessor& p, const ConfNode& n, void* conf) {
               static_cast<Seen*>(conf)->calls.push_back("events{");
               return p.process(n.children, kConfEvents, conf);
           }});
    t.add({"worker_connections", kConfEvents, kArgs1, record});
    t.add({"http", kConfMain, kArgsBlock | kArgsNone,
           [](ConfProcessor& p, const ConfNode& n, void* conf) {
               return p.process(n.children, kConfHttp, conf);
           }});
    t.add({"server", kConfHttp, kArgsBlock | kArgsNone,
           [](ConfProcessor& p, const ConfNode& n, void* conf) {
               return p.process(n.children, kConfServer, conf);
           }});
    t.add({"location", kConfServer | kConfLocation, kArgsBlock | kArgs12,
           [](ConfProcessor& p, const ConfNode& n, void* conf) {
               return p.process(n.children, kConfLocation, conf);
           }});
    t.add({"sendfile", kConfHttp | kConfServer | kConfLocation, kArgsFlag,
           [](ConfProcessor&, const ConfNode& n, void* conf) -> Status {
               auto v = parse_flag(n);
               if (!v) {
                   return v.status();
               }
               static_cast<Seen*>(conf)->calls.push_back(*v ? "sendfile=1" : "sendfile=0");
               return Status::ok();
           }});
    t.add({"index", kConfHttp | kConfServer | kConfLocation, kArgs1More, record});
    t.add({"try_files", kConfServer | kConfLocation, kArgs2More, record});
    t.add({"env", kConfMain, kArgsAny, record});
    t.add({"error_page", kConfLocation, kArgs2 | kArgs3 | kArgs7, record});
    t.add({"keepalive_timeout", kConfHttp | kConfServer | kConfLocation, kArgs12,
           [](ConfProcessor&, const ConfNode& n, void*) -> Status {
               if (!parse_time_ms(n.args[0])) {
                   return Status::error("\"" + n.name + "\" directive invalid value");
               }
               return Status::ok();
           }});
    t.add(
        {"positioned", kConfServer, kArgs1, [](ConfProcessor&, const ConfNode& n, void*) -> Status {
             return ConfProcessor::error_at(n, "custom \"" + n.args[0] + "\"");
         }});
    t.add({"content_by_lua_block", kConfLocation, kArgsBlock | kArgsNone,
           [](ConfProcessor&, const ConfNode& n, void* conf) -> Status {
               static_cast<Seen*>(conf)->calls.push_back("lua:" + n.lua_source);
               return Status::ok();
           }});
    t.add({"noop", kConfMain, kArgsNone, nullptr});
    return t;
}

class Processor : public ::testing::Test {
  protected:
    Status run(std::string_view text, const std::string& file = "/c/nginx.conf") {
        auto parsed = parse_conf_string(text, file, "/c");
        EXPECT_TRUE(parsed.is_ok()) << parsed.message();
        if (!parsed.is_ok()) {
            return parsed.status();
        }
        ConfProcessor p(table_);
        return p.process(parsed->nodes, kConfMain, &seen_);
    }
    std::string error(std::string_view text, const std::string& file = "/c/nginx.conf") {
        Status st = run(text, file);
        EXPECT_FALSE(st.is_ok());
        return st.message();
    }

    DirectiveTable table_ = make_table();
    Seen seen_;
};

TEST_F(Processor, CallsSettersInOrder) {
    Status st =
        run("worker_processes 4;\nevents { worker_connections 64; }\n"
            "http { sendfile ON; server { location / { index a b c; sendfile off;\n"
            "content_by_lua_block { ngx.say('{}') } } } }\nenv; env A B C D E F G H I;\nnoop;");
    ASSERT_TRUE(st.is_ok()) << st.message();
    EXPECT_EQ(seen_.calls,
              (std::vector<std::string>{"worker_processes 4", "events{", "worker_connections 64",
                                        "sendfile=1", "index a b c", "sendfile=0",
                                        "lua: ngx.say('{}') ", "env", "env A B C D E F G H I"}));
}

TEST_F(Processor, UnknownDirective) {
    EXPECT_EQ(error("worker_processes 1;\n\nfoo bar;"),
              "unknown directive \"foo\" in /c/nginx.conf:3");
    EXPECT_EQ(error("http {\n server {\n  lcation / {}\n }\n}"),
              "unknown directive \"lcation\" in /c/nginx.conf:3");
}

TEST_F(Processor, NotAllowedHere) {
    EXPECT_EQ(error("worker_connections 1;"),
              "\"worker_connections\" directive is not allowed here in /c/nginx.conf:1");
    EXPECT_EQ(error("http {\n location / { }\n}"),
              "\"location\" directive is not allowed here in /c/nginx.conf:2");
    // Context is checked before the block shape and the arity.
    EXPECT_EQ(error("events { worker_processes 1 2 {} }"),
              "\"worker_processes\" directive is not allowed here in /c/nginx.conf:1");
}

TEST_F(Processor, BlockShape) {
    EXPECT_EQ(error("worker_processes 1 {\n}"),
              "directive \"worker_processes\" is not terminated by \";\" in /c/nginx.conf:1");
    EXPECT_EQ(error("\nevents;"), "directive \"events\" has no opening \"{\" in /c/nginx.conf:2");
    // Shape is checked before arity.
    EXPECT_EQ(error("events 1 2;"), "directive \"events\" has no opening \"{\" in /c/nginx.conf:1");
}

TEST_F(Processor, Arity) {
    EXPECT_EQ(error("worker_processes;"),
              "invalid number of arguments in \"worker_processes\" directive in /c/nginx.conf:1");
    EXPECT_EQ(error("worker_processes 1 2;"),
              "invalid number of arguments in \"worker_processes\" directive in /c/nginx.conf:1");
    EXPECT_EQ(error("events x { }"),
              "invalid number of arguments in \"events\" directive in /c/nginx.conf:1");
    EXPECT_EQ(error("http { sendfile; }"),
              "invalid number of arguments in \"sendfile\" directive in /c/nginx.conf:1");
    EXPECT_EQ(error("http { sendfile on off; }"),
              "invalid number of arguments in \"sendfile\" directive in /c/nginx.conf:1");
    EXPECT_EQ(error("http { index; }"),
              "invalid number of arguments in \"index\" directive in /c/nginx.conf:1");
    EXPECT_EQ(error("http { server { try_files a; } }"),
              "invalid number of arguments in \"try_files\" directive in /c/nginx.conf:1");
    EXPECT_EQ(error("http { server { location { } } }"),
              "invalid number of arguments in \"location\" directive in /c/nginx.conf:1");
    EXPECT_EQ(error("http { server { location a b c { } } }"),
              "invalid number of arguments in \"location\" directive in /c/nginx.conf:1");
}

TEST_F(Processor, FixedArityBitmask) {
    const char* ok[] = {"a b", "a b c", "a b c d e f g"};
    for (const char* args : ok) {
        seen_.calls.clear();
        Status st = run("http { server { location / { error_page " + std::string(args) + "; } } }");
        EXPECT_TRUE(st.is_ok()) << args << ": " << st.message();
    }
    const char* bad[] = {"a", "a b c d", "a b c d e f", "a b c d e f g h"};
    for (const char* args : bad) {
        EXPECT_EQ(error("http { server { location / { error_page " + std::string(args) + "; } } }"),
                  "invalid number of arguments in \"error_page\" directive in /c/nginx.conf:1")
            << args;
    }
}

TEST_F(Processor, SetterErrorsArePositioned) {
    EXPECT_EQ(error("http {\n  sendfile yes;\n}"),
              "invalid value \"yes\" in \"sendfile\" directive, it must be \"on\" or \"off\" in "
              "/c/nginx.conf:2");
    EXPECT_EQ(error("http {\n server {\n  location / {\n   keepalive_timeout 1x;\n  }\n }\n}"),
              "\"keepalive_timeout\" directive invalid value in /c/nginx.conf:4");
    EXPECT_EQ(error("http {\n server {\n\n  positioned abc;\n }\n}"),
              "custom \"abc\" in /c/nginx.conf:4");
}

TEST_F(Processor, FirstErrorStops) {
    EXPECT_EQ(error("worker_processes 1;\nbad1;\nbad2;"),
              "unknown directive \"bad1\" in /c/nginx.conf:2");
    EXPECT_EQ(seen_.calls, std::vector<std::string>{"worker_processes 1"});
}

TEST_F(Processor, CommandLinePosition) {
    EXPECT_EQ(error("foo;", "command line"), "unknown directive \"foo\" in command line");
    EXPECT_EQ(error("worker_processes;", "command line"),
              "invalid number of arguments in \"worker_processes\" directive in command line");
}

TEST(ConfProcessorMisc, ReplaceSlotsAndFullPath) {
    DirectiveTable t;
    t.add({"x", kConfMain, kArgs1, nullptr});
    t.add({"x", kConfHttp, kArgs2, nullptr});
    const Directive* d = t.find("x");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->contexts, static_cast<uint32_t>(kConfHttp));
    EXPECT_EQ(t.find("y"), nullptr);

    ConfProcessor p(t);
    int value = 7;
    EXPECT_EQ(p.slot("main"), nullptr);
    p.set_slot("main", &value);
    EXPECT_EQ(p.slot("main"), &value);

    p.prefix = "/usr/local/tycho/";
    EXPECT_EQ(p.full_path("logs/error.log"), "/usr/local/tycho/logs/error.log");
    EXPECT_EQ(p.full_path("/abs/x"), "/abs/x");
    p.prefix = "/p";
    EXPECT_EQ(p.full_path("html"), "/p/html");

    ConfNode n;
    n.file = "/a.conf";
    n.line = 12;
    EXPECT_EQ(ConfProcessor::error_at(n, "boom").message(), "boom in /a.conf:12");
    n.file = "command line";
    EXPECT_EQ(ConfProcessor::error_at(n, "boom").message(), "boom in command line");
}

}  // namespace
}  // namespace tycho::core
