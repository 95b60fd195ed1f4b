#pragma once

// The parsed, immutable http{} configuration. Built by the http module's directive setters
// (http_module.cpp) while loading, merged (http -> server -> location, as nginx merges loc
// confs), then shared read-only by every worker thread through a shared_ptr.

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/conf.h"
#include "core/log.h"
#include "core/status.h"

namespace tycho::core {
class Regex;  // core/regex.h
}

namespace tycho::http {

class ComplexValue;  // http/variables.h: a string with $variables, compiled once
class PhaseHandler;  // http/phases.h
class BodyFilter;    // http/phases.h
struct Request;
struct LogFormat;    // http/access_log.h

// `listen` parameters.
struct Listen {
    std::string text;  // normalized "addr:port" or "unix:/path": the key sockets are shared by
    bool is_unix = false;
    std::string unix_path;
    std::string host;  // as written ("" or "*" = any)
    int port = 80;
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    bool default_server = false;
    bool reuseport = false;
    int backlog = 511;
    std::string file;  // where it was written, for errors
    int line = 0;
};

struct ServerName {
    enum class Kind { kExact, kWildcardFront, kWildcardBack, kRegex };
    Kind kind = Kind::kExact;
    std::string name;  // lower-cased; for wildcards without the '*' part
    std::shared_ptr<core::Regex> regex;
};

struct ErrorPage {
    std::vector<int> codes;
    int override_status = -1;  // -1: keep the original status; 0: "=" (status of the target); >0: "=CODE"
    std::shared_ptr<ComplexValue> uri;  // "/path", "@named" or an absolute URL (redirect)
};

// `expires [modified] time | epoch | max | off` (ngx_http_headers_filter_module).
struct Expires {
    enum class Kind { kOff, kEpoch, kMax, kAccess, kModified, kDaily };
    Kind kind = Kind::kOff;
    int64_t seconds = 0;  // kAccess / kModified: offset (may be negative); kDaily: time of day
    bool modified = false;                 // "modified" given (for a variable value)
    std::shared_ptr<ComplexValue> value;   // a value with variables: parsed per response
};

// The limit_except bit of a request method ("GET", ...); 0 for a method limit_except cannot
// name (it is never among the allowed ones).
uint32_t limit_except_bit(std::string_view method);

// Parses an expires value as ngx_http_parse_expires() does ("1h", "-1", "@15h30m", "epoch",
// "max", "off"); `modified` makes a time relative to Last-Modified. Errors: "invalid value",
// "daily time value must be less than 24 hours".
core::Status parse_expires(std::string_view text, bool modified, Expires& out);

struct AddHeader {
    std::string name;
    std::shared_ptr<ComplexValue> value;
    bool always = false;
};

struct AccessLogFile;  // http/access_log.h: an open log file shared by workers (reopen on USR1)

struct AccessLog {
    std::string path;  // resolved against the prefix
    std::shared_ptr<const LogFormat> format;
    std::shared_ptr<AccessLogFile> file;    // opened by finish_http_conf
    std::shared_ptr<ComplexValue> condition;  // if=: skip the line when "" or "0"
};

// One `error_log` of an http/server/location block. Its file is an AccessLogFile: shared by
// path with the access logs and every config generation, reopened in place on USR1.
struct HttpErrorLog {
    std::string path;  // resolved against the prefix; "stderr" for fd 2
    core::LogLevel level = core::LogLevel::kError;
    std::shared_ptr<AccessLogFile> file;  // opened by finish_http_conf; null for "stderr"
};

// The extension → MIME type map of a `types {}` block.
struct MimeTypes {
    std::unordered_map<std::string, std::string> by_extension;  // lower-case ext -> type
};

// One allow/deny rule: clients of `family` (AF_INET, AF_INET6, AF_UNIX) whose address masked
// by `mask` equals `addr` (16 bytes, IPv4 in the first 4). `deny all` is three rules, one per
// family, with an empty mask.
struct AccessRule {
    bool deny = false;
    int family = 0;
    unsigned char addr[16] = {};
    unsigned char mask[16] = {};
};

// One rewrite-module instruction (`return`, `rewrite`, `set`), executed in order in the server
// rewrite phase (server level) or the rewrite phase (location level). Not inherited.
struct LocConf;

struct ScriptOp {
    // kHandler: a module's instruction among them (set_by_lua): `handler` runs in its place.
    // kIf: `if (condition) { ... }`, its block's ops following it; kBreak: `break`.
    enum class Kind { kReturn, kRewrite, kSet, kHandler, kIf, kBreak };
    Kind kind = Kind::kReturn;
    // return
    int code = 0;
    std::shared_ptr<ComplexValue> text;  // body for 2xx/4xx/5xx, URL for 301/302/303/307/308
    // rewrite
    std::shared_ptr<core::Regex> regex;
    std::shared_ptr<ComplexValue> replacement;   // the part before the first literal '?'
    std::shared_ptr<ComplexValue> rewrite_args;  // after that '?' (null: no '?' in it)
    bool keep_args = true;  // false when the replacement ended in '?' (drop the request's args)
    enum class Flag { kNone, kLast, kBreak, kRedirect, kPermanent } flag = Flag::kNone;
    // set
    std::string variable;  // name without '$'
    std::shared_ptr<ComplexValue> value;
    // if: `variable`'s value tested as `cond` says against `value` (=, !=), `regex` (~, ~*, !~,
    // !~*; a match sets $1..$9 and named captures), or as a path (`value`: -f -d -e -x and their
    // negations). When the condition holds, `if_conf` (the block's settings, merged with the
    // enclosing ones) becomes the request's conf; otherwise the `skip` ops of the block are
    // skipped.
    enum class Cond { kVariable, kEqual, kNotEqual, kMatch, kFile, kDir, kExists, kExec };
    Cond cond = Cond::kVariable;
    bool negate = false;  // !~, !~*, !-f, !-d, !-e, !-x
    size_t skip = 0;
    std::shared_ptr<LocConf> if_conf;
    // kHandler: returns kDeclined to go on with the next op, or what ends the script (a status,
    // kError). Synchronous: it must not return kAgain.
    std::shared_ptr<PhaseHandler> handler;
    std::string file;
    int line = 0;
};

// Settings that nginx keeps per location and inherits http -> server -> location. A value of
// kUnset (-1) / empty optional means "not set at this level"; after merging every field holds
// its effective value. The merge rules are nginx's: arrays such as error_page, add_header and
// access_log are inherited only when the level defines none of its own.
struct LocConf {
    static constexpr int64_t kUnset = -1;

    // static content (static.cpp)
    std::shared_ptr<ComplexValue> root;  // `root` or `alias` (alias = true); default "html"
    bool alias = false;
    bool root_set = false;
    // alias: how many leading URI bytes the alias replaces (the location prefix's length, as
    // nginx's clcf->alias); kAliasWhole in regex locations, where the alias is the whole path.
    // Merge it together with `root`/`alias` (a nested location inherits its parent's length).
    static constexpr size_t kAliasWhole = static_cast<size_t>(-1);
    size_t alias_len = 0;
    int log_not_found = -1;  // flag: log 404s of missing files at error level (default on)
    std::vector<std::string> index;  // default {"index.html"}
    bool index_set = false;
    std::vector<std::string> try_files;  // all arguments; the last is the fallback
    std::shared_ptr<const MimeTypes> types;
    std::string default_type;  // default "text/plain"
    bool default_type_set = false;
    int sendfile = -1;       // flag: -1 unset, 0 off, 1 on (default off)
    int etag = -1;           // flag (default on): static files send an ETag
    // How a Location that is a path ("/x") is sent: absolute_redirect (default on) makes it
    // "http://host[:port]/x", the host being the server's name with server_name_in_redirect
    // (default off), else the request's Host; port_in_redirect (default on) adds a port not 80.
    int uninitialized_variable_warn = -1;  // flag (default on)
    int chunked_transfer_encoding = -1;    // flag (default on); off: close to end the body
    int absolute_redirect = -1;
    int server_name_in_redirect = -1;
    int port_in_redirect = -1;
    // if_modified_since: 0 off, 1 exact (default), 2 before; -1 unset.
    int if_modified_since = -1;
    int tcp_nopush = -1;     // default off
    int tcp_nodelay = -1;    // default on
    int server_tokens = -1;  // default on

    // body and connection limits (milliseconds / bytes)
    int64_t client_max_body_size = kUnset;     // default 1m; 0 = unlimited
    int64_t client_body_buffer_size = kUnset;  // default 16k
    // postpone_output: body bytes wait in the connection's buffer until this many are pending
    // (or the body ends, or a flush), so small writes go out together. Default 1460; 0 = none.
    int64_t postpone_output = kUnset;
    int64_t client_body_timeout = kUnset;      // default 60s
    int64_t send_timeout = kUnset;             // default 60s
    int64_t keepalive_timeout = kUnset;        // default 75s; 0 disables keep-alive
    // Second keepalive_timeout argument (ms, whole seconds): `Keep-Alive: timeout=N`; 0 = none.
    int64_t keepalive_header = kUnset;
    int64_t keepalive_requests = kUnset;       // default 1000
    // lingering_close: 0 off, 1 on (default), 2 always; -1 unset. How long a closing connection
    // reads and drops what the client still sends: lingering_time in all (default 30s),
    // lingering_timeout for each wait (default 5s).
    int lingering_close = -1;
    // reset_timedout_connection: 1 = a connection closed after a timeout or by 444 is reset
    // (SO_LINGER 0: the kernel sends RST and drops unsent data); -1 unset, default off.
    int reset_timedout_connection = -1;
    int64_t lingering_time = kUnset;
    int64_t lingering_timeout = kUnset;
    std::string client_body_temp_path;         // default "client_body_temp" under the prefix
    // client_body_in_file_only: 0 off (default), 1 on (the file is kept), 2 clean; -1 unset.
    int client_body_in_file_only = -1;

    std::vector<ErrorPage> error_pages;
    bool error_pages_set = false;
    std::shared_ptr<const Expires> expires;  // null: not set here (off unless inherited)
    std::vector<AddHeader> add_headers;
    bool add_headers_set = false;
    // allow / deny (nginx's access module), in order; the first rule matching the client
    // decides. Inherited whole by levels that have none.
    std::vector<AccessRule> access_rules;
    // limit_except (location only, not inherited): the methods (bits of limit_except_bit) the
    // location serves as configured; any other method gets limit_except_rules (the block's
    // allow/deny). 0: no limit_except.
    uint32_t limit_except_methods = 0;
    std::shared_ptr<const std::vector<AccessRule>> limit_except_rules;
    // realip: trusted addresses (set_real_ip_from), the header the client address is taken
    // from (real_ip_header; "" = X-Real-IP), real_ip_recursive (-1 unset, default off).
    std::vector<AccessRule> real_ip_from;
    std::string real_ip_header;
    int real_ip_recursive = -1;
    // charset / charset_types (nginx's charset filter, without recoding): `charset` is added to
    // a Content-Type of one of charset_types that names none. Null = off (the default).
    std::shared_ptr<ComplexValue> charset;
    bool charset_set = false;
    std::vector<std::string> charset_types;  // lower-case MIME types; "*" matches any
    bool charset_types_set = false;
    std::vector<AccessLog> access_logs;
    bool access_log_off = false;
    bool access_logs_set = false;
    // error_log (nginx's clcf->error_log): requests routed here log to these instead of the
    // main error log; empty (also after merging) = the main error log. Inherited whole.
    std::vector<HttpErrorLog> error_logs;
    // The same logs as sinks for core::log_error_to (fds owned by error_logs' files), built by
    // finish_http_conf.
    std::vector<core::LogSink> error_log_sinks;

    // Handlers of later modules (lua): null = the phase does nothing at this location.
    // server_rewrite_handler (server_rewrite_by_lua*, http and server levels) runs from the
    // server's LocConf in the server rewrite phase, before the server's rewrite directives.
    std::shared_ptr<PhaseHandler> server_rewrite_handler;
    std::shared_ptr<PhaseHandler> rewrite_handler;
    std::shared_ptr<PhaseHandler> access_handler;
    std::shared_ptr<PhaseHandler> content_handler;
    // The settings of the `if` blocks of this level (ScriptOp::if_conf), merged with this one.
    std::vector<std::shared_ptr<LocConf>> if_confs;
    std::shared_ptr<PhaseHandler> log_handler;
    // Output filters of later modules (lua's header_filter_by_lua*, body_filter_by_lua*),
    // inherited like the handlers above. Null = none: send_header / send_body skip them.
    std::shared_ptr<PhaseHandler> header_filter;
    std::shared_ptr<BodyFilter> body_filter;
    // lua_need_request_body (flag, default off): Lua rewrite/access/content handlers read the
    // request body before their code runs. Set by lua/lua_module.cpp; -1 = not set here.
    int lua_need_request_body = -1;
    // lua_check_client_abort (flag, default off): while Lua handlers run, a client that closes
    // the connection is noticed (ngx.on_abort). Set by lua/lua_module.cpp; -1 = not set here.
    int lua_check_client_abort = -1;
    // lua_http10_buffering (flag, default on): Lua output to an HTTP/1.0 client is held until
    // the handler ends, and goes out with a Content-Length. -1 = not set here.
    int lua_http10_buffering = -1;
    // lua_use_default_type (flag, default on): Lua output without a Content-Type gets
    // default_type's (or the types table's). -1 = not set here.
    int lua_use_default_type = -1;
    // rewrite_by_lua_no_postpone (http level, inherited): the rewrite handler runs before the
    // location's rewrite-module directives instead of after them. -1 = not set here.
    int rewrite_handler_first = -1;
    // access_by_lua_no_postpone (http level, inherited): the access handler runs before the
    // allow/deny rules instead of after them. -1 = not set here.
    int access_handler_first = -1;
};

struct Location {
    enum class Match { kExact, kPrefix, kPrefixNoRegex, kRegex, kRegexCaseless, kNamed };
    Match match = Match::kPrefix;
    std::string pattern;  // the URI, regex source or "@name"
    std::shared_ptr<core::Regex> regex;
    LocConf conf;
    std::vector<ScriptOp> script;
    std::vector<std::unique_ptr<Location>> locations;  // nested, in config order
    bool internal = false;  // `internal`: a request that is not internal gets 404
    std::string file;
    int line = 0;
};

struct ServerConf {
    std::vector<Listen> listens;
    std::vector<ServerName> names;
    std::string first_name;  // $server_name: the first name given, "" if none
    LocConf conf;
    std::vector<ScriptOp> script;  // server rewrite phase
    std::vector<std::unique_ptr<Location>> locations;
    std::unordered_map<std::string, const Location*> named_locations;  // "@name" -> location

    // server-level only
    int64_t client_header_timeout = 60000;    // ms
    int64_t client_header_buffer_size = 1024;
    int64_t large_client_header_buffers_num = 4;
    int64_t large_client_header_buffers_size = 8192;
    int64_t underscores_in_headers = 0;  // flag: names with '_' are valid
    int64_t ignore_invalid_headers = 1;  // flag: lines with an invalid name are dropped
    int64_t merge_slashes = 1;           // flag: "//" in a request path is one '/'
    std::string file;
    int line = 0;
    const struct HttpConf* http = nullptr;  // the http{} it belongs to (map variables)
};

// `map $source $name { ... }` (map_module.cpp): $name's value, looked up from $source's.
struct MapDef {
    std::string name;                      // the variable made, without '$'
    std::shared_ptr<ComplexValue> source;
    bool hostnames = false;                // `hostnames`: masks, a trailing dot ignored
    bool is_volatile = false;              // `volatile`: looked up again at every use
    // Plain keys, lower-cased (the lookup ignores case, as nginx's hash does).
    std::unordered_map<std::string, std::shared_ptr<ComplexValue>> exact;
    struct Mask {
        std::string text;  // ".example.com" for "*.example.com" and ".example.com"; "www.x."
        bool bare;         // ".example.com" also matches "example.com"
        std::shared_ptr<ComplexValue> value;
    };
    std::vector<Mask> head_masks;  // "*.example.com", ".example.com" (hostnames only)
    std::vector<Mask> tail_masks;  // "www.example.*" (hostnames only)
    struct RegexKey {
        std::shared_ptr<core::Regex> regex;  // "~" case-sensitive, "~*" not
        std::shared_ptr<ComplexValue> value;
    };
    std::vector<RegexKey> regexes;  // tried in order after the plain keys and masks
    std::shared_ptr<ComplexValue> default_value;  // null: ""
};

// The servers reachable through one listening socket (same normalized Listen::text).
struct ListenGroup {
    Listen listen;  // the options of the first/default `listen` for this address
    std::vector<const ServerConf*> servers;
    const ServerConf* default_server = nullptr;
};

struct HttpConf {
    LocConf conf;
    std::vector<std::unique_ptr<ServerConf>> servers;
    std::vector<ListenGroup> listen_groups;  // computed after parsing
    std::unordered_map<std::string, std::shared_ptr<const LogFormat>> log_formats;
    // Names of variables created by `set` (so undefined $vars are config errors, as in nginx).
    std::vector<std::string> set_variables;
    // The Lua module's http-level settings (a lua::LuaMainConf, see lua/lua_conf.h), created by
    // the first Lua directive; null when there is none. Opaque here: http never includes lua/.
    std::shared_ptr<void> lua_conf;
    // lua_malloc_trim as it applies (0: off), kept here for the log phase of every request.
    int64_t malloc_trim_every = 0;
    // `map` variables by name (without '$').
    std::unordered_map<std::string, std::shared_ptr<const MapDef>> maps;
};

// Registers every http-level directive (http, server, location, listen, root, ...) in `table`.
// The `http` block setter builds an HttpConf and stores it in processor slot "http" (as a
// HttpConf*, owned by the object given as slot "http_owner", a std::unique_ptr<HttpConf>*).
void register_http_directives(core::DirectiveTable& table);
// `map` (map_module.cpp); register_http_directives calls it.
void register_map_directive(core::DirectiveTable& table);

// Post-parse work: merge LocConfs, compute listen_groups, compile location lookup structures.
// Returns nginx-worded errors (e.g. duplicate listen options, duplicate location).
core::Status finish_http_conf(HttpConf& conf, const std::string& prefix);

}  // namespace tycho::http
