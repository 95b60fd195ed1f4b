// libFuzzer entry for the config lexer/parser and the directive engine: any byte string must
// either parse or fail with a message, never crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/conf.h"

namespace {

using tycho::core::ConfNode;
using tycho::core::ConfProcessor;
using tycho::core::DirectiveTable;
using tycho::core::Status;

// Counts what the setters saw, so the calls are not optimised away.
struct Sink {
    size_t bytes = 0;
};

Status count(ConfProcessor&, const ConfNode& node, void* conf) {
    auto* sink = static_cast<Sink*>(conf);
    for (const std::string& arg : node.args) {
        sink->bytes += arg.size();
    }
    sink->bytes += node.lua_source.size();
    return Status::ok();
}

const DirectiveTable& table() {
    static const DirectiveTable t = [] {
        DirectiveTable d;
        const uint32_t all = tycho::core::kConfMain | tycho::core::kConfHttp |
                             tycho::core::kConfServer | tycho::core::kConfLocation;
        d.add({"block", all, tycho::core::kArgsBlock | tycho::core::kArgsAny,
               [](ConfProcessor& p, const ConfNode& n, void* conf) {
                   return p.process(n.children, tycho::core::kConfServer, conf);
               }});
        d.add({"http", tycho::core::kConfMain, tycho::core::kArgsBlock | tycho::core::kArgsNone,
               [](ConfProcessor& p, const ConfNode& n, void* conf) {
                   return p.process(n.children, tycho::core::kConfHttp, conf);
               }});
        d.add({"one", all, tycho::core::kArgs1, count});
        d.add({"more", all, tycho::core::kArgs1More, count});
        d.add({"two_three", all, tycho::core::kArgs23, count});
        d.add({"flag", all, tycho::core::kArgsFlag,
               [](ConfProcessor&, const ConfNode& n, void*) -> Status {
                   auto v = tycho::core::parse_flag(n);
                   return v ? Status::ok() : v.status();
               }});
        d.add({"size", all, tycho::core::kArgs1,
               [](ConfProcessor&, const ConfNode& n, void*) -> Status {
                   auto v = tycho::core::parse_size(n.args[0]);
                   return v ? Status::ok() : Status::error("\"size\" directive invalid value");
               }});
        d.add({"time", all, tycho::core::kArgs1,
               [](ConfProcessor&, const ConfNode& n, void*) -> Status {
                   auto ms = tycho::core::parse_time_ms(n.args[0]);
                   auto s = tycho::core::parse_time_sec(n.args[0]);
                   return ms && s ? Status::ok()
                                  : Status::error("\"time\" directive invalid value");
               }});
        d.add(
            {"content_by_lua_block", all, tycho::core::kArgsBlock | tycho::core::kArgsAny, count});
        return d;
    }();
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // A directory that does not exist keeps relative includes from reading real files.
    auto parsed = tycho::core::parse_conf_string(text, "/fuzz/nginx.conf", "/nonexistent-fuzz");
    if (!parsed.is_ok()) {
        return 0;
    }
    Sink sink;
    ConfProcessor processor(table());
    Status st = processor.process(parsed->nodes, tycho::core::kConfMain, &sink);
    (void)st;
    // The same text as -g input exercises the command-line rules.
    auto param = tycho::core::parse_conf_string(text, "command line", "/nonexistent-fuzz");
    (void)param;
    return 0;
}
