#pragma once

// nginx-style configuration: the lexer/parser producing a tree of directives, and the directive
// table that checks each directive (known? allowed here? right arity?) and calls its setter.
// Modules (server/ for main and events, http/ for http, later lua/) register their directives in
// one DirectiveTable; core knows none of them except `include`, which the parser expands.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"

namespace tycho::core {

// One directive as written: `name arg1 "arg 2";` or `name args { children }`.
struct ConfNode {
    std::string name;
    // Arguments, with quotes removed and escapes (\" \' \\ \n \r \t) resolved as nginx does.
    // `$variables` are kept verbatim for later evaluation.
    std::vector<std::string> args;
    // For each argument: was it quoted? (some directives treat a quoted "on" like a word anyway;
    // kept for completeness, e.g. to tell `""` from a missing argument in error texts).
    std::vector<bool> quoted;
    std::string file;  // path as given to the parser or resolved from `include`
    // Line nginx reports for the directive: where its ';' or '{' was read (the name's line
    // unless the directive spans lines). "command line" for -g text, where no line is shown.
    int line = 0;
    bool is_block = false;
    std::vector<ConfNode> children;
    // Directives whose name ends in "_by_lua_block": the text between the outer braces is Lua
    // source, kept byte for byte in `lua_source` (braces inside Lua strings, long strings and
    // comments do not end it). `lua_line` is the line of the opening brace, so line N of the
    // chunk is line lua_line + N - 1 of the file. These nodes have is_block = true and no
    // children.
    bool is_lua_block = false;
    std::string lua_source;
    int lua_line = 0;
};

// The parsed configuration and every file read (for `-T`, which prints them).
struct ParsedConf {
    std::vector<ConfNode> nodes;
    std::vector<std::pair<std::string, std::string>> files;  // (path, content) in read order
};

// Parses the file at `path`. `include` directives are expanded in place: the argument is a path
// or glob (sorted matches; a glob may match nothing, a plain path must exist), relative paths
// resolve against the directory of the main config file (nginx's conf prefix).
// Errors carry nginx's text and position, e.g.
//   unexpected "}" in /p/conf/nginx.conf:12
//   unexpected end of file, expecting ";" or "}" in /p/conf/nginx.conf:30
//   open() "/p/conf/x.conf" failed (2: No such file or directory) in /p/conf/nginx.conf:3
Result<ParsedConf> parse_conf_file(const std::string& path);
// Parses `text` as if read from a file named `file_name` (errors say "in FILE:LINE"; for `-g`
// nginx says "in command line", which the caller gets by passing "command line" — then no
// ":LINE" is appended). Relative `include` paths resolve against `include_dir`.
Result<ParsedConf> parse_conf_string(std::string_view text, const std::string& file_name,
                                     const std::string& include_dir);

// Where a directive may appear (nginx's NGX_MAIN_CONF, NGX_HTTP_MAIN_CONF, ...).
enum ConfContext : uint32_t {
    kConfMain = 1u << 0,
    kConfEvents = 1u << 1,
    kConfHttp = 1u << 2,
    kConfServer = 1u << 3,
    kConfLocation = 1u << 4,
    kConfIf = 1u << 5,       // `if` inside a location (nginx's NGX_HTTP_LIF_CONF)
    kConfTypes = 1u << 6,    // inside `types { }`: handled by the types setter itself
    kConfUpstream = 1u << 7,  // reserved
    kConfLimitExcept = 1u << 8,  // inside `limit_except METHOD ... { }`
    kConfServerIf = 1u << 9      // `if` inside a server (NGX_HTTP_SIF_CONF): the rewrite module's
};

// Arity and shape, combined with `|` (nginx's NGX_CONF_NOARGS, NGX_CONF_TAKE1.. etc.).
enum ConfArgs : uint32_t {
    kArgsNone = 1u << 0,
    kArgs1 = 1u << 1,
    kArgs2 = 1u << 2,
    kArgs3 = 1u << 3,
    kArgs4 = 1u << 4,
    kArgs5 = 1u << 5,
    kArgs6 = 1u << 6,
    kArgs7 = 1u << 7,
    kArgsFlag = 1u << 8,   // exactly one argument, "on" or "off" (checked by parse_flag)
    kArgs1More = 1u << 9,
    kArgs2More = 1u << 10,
    kArgsBlock = 1u << 11,  // must be followed by { ... } (otherwise must end with ';')
    kArgsAny = 1u << 12,    // any number of arguments (including none)
};
constexpr uint32_t kArgs12 = kArgs1 | kArgs2;
constexpr uint32_t kArgs123 = kArgs1 | kArgs2 | kArgs3;
constexpr uint32_t kArgs23 = kArgs2 | kArgs3;
constexpr uint32_t kArgs1234 = kArgs1 | kArgs2 | kArgs3 | kArgs4;

class ConfProcessor;

// A directive's setter. `conf` is the object of the enclosing block as the block's own setter
// passed it to ConfProcessor::process (each module documents what it passes). Returns an error
// Status whose message is nginx's text WITHOUT the " in FILE:LINE" suffix: the processor appends
// it from `node`. Block setters recurse with processor.process(node.children, ...).
using DirectiveSetter = std::function<Status(ConfProcessor& processor, const ConfNode& node,
                                             void* conf)>;

struct Directive {
    std::string name;
    uint32_t contexts = 0;  // ConfContext bits
    uint32_t args = 0;      // ConfArgs bits
    DirectiveSetter set;
};

// All known directives. Filled once at startup by each module's register function; then
// read-only (safe to share between threads).
class DirectiveTable {
  public:
    // Adding a name twice replaces the earlier entry (later modules may override).
    void add(Directive directive);
    const Directive* find(std::string_view name) const;

  private:
    std::unordered_map<std::string, Directive> directives_;
};

// Walks parsed nodes against a DirectiveTable. For each node, in order:
//   not in table                -> unknown directive "x"
//   context bit not allowed     -> "x" directive is not allowed here
//   block where ';' expected    -> directive "x" is not terminated by ";"
//   ';' where block expected    -> directive "x" has no opening "{"
//   arity mismatch              -> invalid number of arguments in "x" directive
//   else the setter runs; its error gets " in FILE:LINE" appended (unless it already came
//   positioned, from error_at() or a nested process(): block setters pass those on as is).
// The first error stops processing. Not thread-safe; used only while loading a config.
class ConfProcessor {
  public:
    explicit ConfProcessor(const DirectiveTable& table) : table_(table) {}

    Status process(const std::vector<ConfNode>& nodes, uint32_t context, void* conf);

    // Formats an error about `node` with nginx's position suffix: "msg in FILE:LINE".
    static Status error_at(const ConfNode& node, std::string_view message);

    // Free slots where modules keep their top-level conf objects while loading (e.g. the http
    // module finds the main conf for `error_log`). Not owned.
    void set_slot(const std::string& key, void* value) { slots_[key] = value; }
    void* slot(const std::string& key) const;

    // The prefix (-p) against which relative paths in directives resolve; and the config file.
    std::string prefix;
    std::string conf_file;

    // Resolves `path` against `prefix` unless absolute.
    std::string full_path(std::string_view path) const;

  private:
    const DirectiveTable& table_;
    std::unordered_map<std::string, void*> slots_;
};

// Value parsers for directive arguments, with nginx's rules. On failure they return nullopt-like
// errors whose text the setter returns as nginx would word it: the caller formats
//   "\"NAME\" directive invalid value"  (size/time)
//   "invalid value \"ARG\" in \"NAME\" directive, it must be \"on\" or \"off\""  (flag)
// Sizes: N, Nk/NK, Nm/NM, Ng/NG (bytes). Times: combinations like "1h 30m", "500ms", "30"
// (seconds when no unit), units ms s m h d w M y, as nginx's ngx_parse_time.
Result<int64_t> parse_size(std::string_view text);
Result<int64_t> parse_time_ms(std::string_view text);   // milliseconds
Result<int64_t> parse_time_sec(std::string_view text);  // seconds ("ms" not allowed)
Result<bool> parse_flag(const ConfNode& node);          // node.args[0] is "on"/"off"

}  // namespace tycho::core
