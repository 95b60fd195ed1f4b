// Directive parsing for the http{} configuration: http, server, location, listen, server_name,
// connection limits and timeouts, the rewrite module (return, rewrite, set), error_page,
// add_header, log_format, access_log; and the post-parse work (merging, listen groups, variable
// checks, opening access logs). Master thread, while loading a config.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cctype>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/conf.h"
#include "core/log.h"
#include "core/regex.h"
#include "http/access_log.h"
#include "http/http_conf.h"
#include "http/http_conf_scope.h"
#include "http/phases.h"
#include "http/static.h"
#include "http/variables.h"

namespace tycho::http {
namespace {

using core::ConfNode;
using core::ConfProcessor;
using core::Directive;
using core::DirectiveTable;
using core::Result;
using core::Status;

constexpr uint32_t kHttpSrvLoc = core::kConfHttp | core::kConfServer | core::kConfLocation;
constexpr uint32_t kHttpSrvLocIf = kHttpSrvLoc | core::kConfIf;
// The rewrite module's directives (and set_by_lua*): also in a server-level if.
constexpr uint32_t kSrvLocIf =
    core::kConfServer | core::kConfLocation | core::kConfIf | core::kConfServerIf;
constexpr uint32_t kHttpSrv = core::kConfHttp | core::kConfServer;

// Server-level directives given at http level apply to every server that does not set them
// (nginx merges srv confs at the end of http{}); this remembers both sides while loading.
struct ServerLevelSet {
    bool header_timeout = false;
    bool header_buffer = false;
    bool large_buffers = false;
    bool underscores = false;
    bool ignore_invalid = false;
    bool merge_slashes = false;
};

struct LoadState {
    ServerConf http_level;  // values written at http level
    ServerLevelSet http_set;
    std::unordered_map<const ServerConf*, ServerLevelSet> server_set;
    std::unordered_set<std::string> listen_options;  // addresses whose options were given
    // (scope, directive) pairs of the hash-sizing directives seen, for "is duplicate".
    std::set<std::pair<const void*, std::string>> sizing_seen;
};

LoadState* load_state(ConfProcessor& p) { return static_cast<LoadState*>(p.slot("http_state")); }

// nginx's "\"NAME\" directive MSG" for a setter that returns a short reason.
Status directive_error(const ConfNode& node, std::string_view msg) {
    return Status::error("\"" + node.name + "\" directive " + std::string(msg));
}

Status invalid_value(const ConfNode& node) { return directive_error(node, "invalid value"); }

Status duplicate_directive(const ConfNode& node) { return directive_error(node, "is duplicate"); }

bool parse_int(std::string_view s, int64_t& out) {
    if (s.empty() || s.size() > 18) {
        return false;
    }
    int64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

// Directives that size nginx's internal hash tables (MIME types, server names, variables, maps) and
// change nothing else: Tycho's tables grow on their own, so a valid value is accepted, checked
// as nginx checks it (ngx_conf_set_num_slot) and has no effect. Real configurations carry them
// (Debian's nginx.conf sets types_hash_max_size).
Directive sizing_directive(const char* name, uint32_t contexts) {
    return Directive{name, contexts, core::kArgs1,
                     [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
                         if (!load_state(p)->sizing_seen.emplace(conf, node.name).second) {
                             return duplicate_directive(node);
                         }
                         int64_t n = 0;
                         if (!parse_int(node.args[0], n)) {
                             return directive_error(node, "invalid number");
                         }
                         return Status::ok();
                     }};
}

Result<std::shared_ptr<ComplexValue>> compile_value(const std::string& text) {
    return ComplexValue::compile(text);
}

// ---------------------------------------------------------------------------------------------
// Generic LocConf setters (the ngx_conf_set_*_slot family).

using LocField = int64_t LocConf::*;

Directive msec_directive(const char* name, uint32_t contexts, LocField field) {
    return Directive{name, contexts, core::kArgs1,
                     [field](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
                         LocConf* loc = conf_scope(conf)->loc;
                         if (loc->*field != LocConf::kUnset) {
                             return duplicate_directive(node);
                         }
                         auto v = core::parse_time_ms(node.args[0]);
                         if (!v) {
                             return invalid_value(node);
                         }
                         loc->*field = *v;
                         return Status::ok();
                     }};
}

Directive size_directive(const char* name, uint32_t contexts, LocField field) {
    return Directive{name, contexts, core::kArgs1,
                     [field](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
                         LocConf* loc = conf_scope(conf)->loc;
                         if (loc->*field != LocConf::kUnset) {
                             return duplicate_directive(node);
                         }
                         auto v = core::parse_size(node.args[0]);
                         if (!v) {
                             return invalid_value(node);
                         }
                         loc->*field = *v;
                         return Status::ok();
                     }};
}

using ServerField = int64_t ServerConf::*;
using SetFlag = bool ServerLevelSet::*;

// A server-level value (client_header_timeout, ...) written in http{} or server{}.
Status set_server_value(ConfProcessor& p, const ConfNode& node, void* conf, ServerField field,
                        SetFlag flag, int64_t value) {
    ConfScope* scope = conf_scope(conf);
    LoadState* state = load_state(p);
    ServerLevelSet* set = nullptr;
    ServerConf* target = nullptr;
    if (scope->server != nullptr) {
        set = &state->server_set[scope->server];
        target = scope->server;
    } else {
        set = &state->http_set;
        target = &state->http_level;
    }
    if (set->*flag) {
        return duplicate_directive(node);
    }
    set->*flag = true;
    target->*field = value;
    return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// http / server / location

Status set_http(ConfProcessor& p, const ConfNode& node, void* conf) {
    auto* owner = static_cast<std::unique_ptr<HttpConf>*>(p.slot("http_owner"));
    if (p.slot("http") != nullptr || (owner != nullptr && *owner)) {
        return duplicate_directive(node);
    }
    if (owner == nullptr) {
        return Status::error("no \"http_owner\" slot to store the http configuration");
    }
    *owner = std::make_unique<HttpConf>();
    HttpConf* http = owner->get();
    p.set_slot("http", http);
    http->log_formats["combined"] = combined_log_format();

    LoadState state;
    p.set_slot("http_state", &state);
    ConfScope scope;
    scope.http = http;
    scope.loc = &http->conf;
    Status st = p.process(node.children, core::kConfHttp, &scope);
    p.set_slot("http_state", nullptr);
    if (!st) {
        return st;
    }
    for (auto& server : http->servers) {
        const ServerLevelSet& set = state.server_set[server.get()];
        if (!set.header_timeout && state.http_set.header_timeout) {
            server->client_header_timeout = state.http_level.client_header_timeout;
        }
        if (!set.header_buffer && state.http_set.header_buffer) {
            server->client_header_buffer_size = state.http_level.client_header_buffer_size;
        }
        if (!set.underscores && state.http_set.underscores) {
            server->underscores_in_headers = state.http_level.underscores_in_headers;
        }
        if (!set.ignore_invalid && state.http_set.ignore_invalid) {
            server->ignore_invalid_headers = state.http_level.ignore_invalid_headers;
        }
        if (!set.merge_slashes && state.http_set.merge_slashes) {
            server->merge_slashes = state.http_level.merge_slashes;
        }
        if (!set.large_buffers && state.http_set.large_buffers) {
            server->large_client_header_buffers_num =
                state.http_level.large_client_header_buffers_num;
            server->large_client_header_buffers_size =
                state.http_level.large_client_header_buffers_size;
        }
    }
    return Status::ok();
}

Status add_listen(ConfProcessor& p, const ConfNode& node, ServerConf* server, const Listen& l,
                  bool options_set);
Result<Listen> parse_listen_address(const std::string& text);

Status set_server(ConfProcessor& p, const ConfNode& node, void* conf) {
    ConfScope* scope = conf_scope(conf);
    HttpConf* http = scope->http;
    http->servers.push_back(std::make_unique<ServerConf>());
    ServerConf* server = http->servers.back().get();
    server->http = http;
    server->file = node.file;
    server->line = node.line;

    ConfScope child;
    child.http = http;
    child.server = server;
    child.loc = &server->conf;
    child.script = &server->script;
    Status st = p.process(node.children, core::kConfServer, &child);
    if (!st) {
        return st;
    }
    if (server->listens.empty()) {
        // nginx listens on *:80 (as root) when a server has no listen directive.
        auto l = parse_listen_address("0.0.0.0:80");
        Listen listen = std::move(l.value());
        listen.file = node.file;
        listen.line = node.line;
        Status added = add_listen(p, node, server, listen, false);
        if (!added) {
            return added;
        }
    }
    if (server->names.empty()) {
        server->names.push_back(ServerName{});
        server->first_name.clear();
    }
    return Status::ok();
}

Status set_location(ConfProcessor& p, const ConfNode& node, void* conf) {
    ConfScope* scope = conf_scope(conf);
    auto loc = std::make_unique<Location>();
    loc->file = node.file;
    loc->line = node.line;
    std::string name;
    bool caseless = false;
    bool regex = false;
    if (node.args.size() == 2) {
        const std::string& mod = node.args[0];
        name = node.args[1];
        if (mod == "=") {
            loc->match = Location::Match::kExact;
        } else if (mod == "^~") {
            loc->match = Location::Match::kPrefixNoRegex;
        } else if (mod == "~") {
            regex = true;
        } else if (mod == "~*") {
            regex = true;
            caseless = true;
        } else {
            return Status::error("invalid location modifier \"" + mod + "\"");
        }
    } else {
        name = node.args[0];
        if (!name.empty() && name[0] == '=') {
            loc->match = Location::Match::kExact;
            name.erase(0, 1);
        } else if (name.size() >= 2 && name[0] == '^' && name[1] == '~') {
            loc->match = Location::Match::kPrefixNoRegex;
            name.erase(0, 2);
        } else if (!name.empty() && name[0] == '~') {
            regex = true;
            if (name.size() >= 2 && name[1] == '*') {
                caseless = true;
                name.erase(0, 2);
            } else {
                name.erase(0, 1);
            }
        } else if (!name.empty() && name[0] == '@') {
            loc->match = Location::Match::kNamed;
        }
    }
    if (regex) {
        loc->match = caseless ? Location::Match::kRegexCaseless : Location::Match::kRegex;
        auto re = core::Regex::compile(name, caseless);
        if (!re) {
            return re.status();
        }
        loc->regex = std::move(re.value());
    }
    loc->pattern = name;

    Location* parent = scope->location;
    if (parent != nullptr) {
        if (parent->match == Location::Match::kExact) {
            return Status::error("location \"" + name +
                                 "\" cannot be inside the exact location \"" + parent->pattern +
                                 "\"");
        }
        if (parent->match == Location::Match::kNamed) {
            return Status::error("location \"" + name +
                                 "\" cannot be inside the named location \"" + parent->pattern +
                                 "\"");
        }
        if (loc->match == Location::Match::kNamed) {
            return Status::error("named location \"" + name + "\" can be on server level only");
        }
        if (!regex && name.compare(0, parent->pattern.size(), parent->pattern) != 0) {
            return Status::error("location \"" + name + "\" is outside location \"" +
                                 parent->pattern + "\"");
        }
    }

    auto& siblings = parent != nullptr ? parent->locations : scope->server->locations;
    // Exact and prefix locations with the same URI are "duplicate" (nginx joins `=` with a
    // prefix one, but two of the same kind, or `^~` with a plain prefix, conflict).
    auto kind_of = [](Location::Match m) {
        switch (m) {
            case Location::Match::kExact:
                return 1;
            case Location::Match::kPrefix:
            case Location::Match::kPrefixNoRegex:
                return 2;
            default:
                return 0;
        }
    };
    int kind = kind_of(loc->match);
    if (kind != 0) {
        for (const auto& s : siblings) {
            if (kind_of(s->match) == kind && s->pattern == name) {
                return Status::error("duplicate location \"" + name + "\"");
            }
        }
    }

    Location* raw = loc.get();
    siblings.push_back(std::move(loc));
    if (raw->match == Location::Match::kNamed) {
        // nginx keeps duplicate named locations and uses the first.
        scope->server->named_locations.emplace(raw->pattern, raw);
    }

    ConfScope child = *scope;
    child.location = raw;
    child.loc = &raw->conf;
    child.script = &raw->script;
    return p.process(node.children, core::kConfLocation, &child);
}

// ---------------------------------------------------------------------------------------------
// listen

bool all_digits(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

Result<Listen> parse_listen_address(const std::string& text) {
    Listen l;
    auto bad_port = [&] {
        return Status::error("invalid port in \"" + text + "\" of the \"listen\" directive");
    };
    auto not_found = [&] {
        return Status::error("host not found in \"" + text + "\" of the \"listen\" directive");
    };
    if (text.compare(0, 5, "unix:") == 0) {
        l.is_unix = true;
        l.unix_path = text.substr(5);
        if (l.unix_path.empty()) {
            return Status::error("no path in the unix domain socket \"" + text +
                                 "\" of the \"listen\" directive");
        }
        sockaddr_un un{};
        if (l.unix_path.size() >= sizeof(un.sun_path)) {
            return Status::error("too long path in the unix domain socket \"" + text +
                                 "\" of the \"listen\" directive");
        }
        un.sun_family = AF_UNIX;
        std::memcpy(un.sun_path, l.unix_path.data(), l.unix_path.size());
        std::memcpy(&l.addr, &un, sizeof(un));
        l.addr_len = sizeof(un);
        l.port = 0;
        l.text = text;
        return l;
    }

    std::string host;
    std::string port;
    bool ipv6 = false;
    if (!text.empty() && text[0] == '[') {
        size_t close = text.find(']');
        if (close == std::string::npos) {
            return Status::error("invalid IPv6 address in \"" + text +
                                 "\" of the \"listen\" directive");
        }
        host = text.substr(1, close - 1);
        ipv6 = true;
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') {
                return bad_port();
            }
            port = text.substr(close + 2);
            if (port.empty()) {
                return bad_port();
            }
        }
    } else {
        size_t colon = text.rfind(':');
        if (colon != std::string::npos) {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
            if (port.empty()) {
                return bad_port();
            }
        } else if (all_digits(text)) {
            port = text;
        } else {
            host = text;
        }
    }
    if (!port.empty()) {
        int64_t n = 0;
        if (!parse_int(port, n) || n < 1 || n > 65535) {
            return bad_port();
        }
        l.port = static_cast<int>(n);
    } else {
        l.port = 80;
    }
    l.host = host;

    if (ipv6) {
        sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(static_cast<uint16_t>(l.port));
        if (inet_pton(AF_INET6, host.c_str(), &sin6.sin6_addr) != 1) {
            return Status::error("invalid IPv6 address in \"" + text +
                                 "\" of the \"listen\" directive");
        }
        std::memcpy(&l.addr, &sin6, sizeof(sin6));
        l.addr_len = sizeof(sin6);
        char buf[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &sin6.sin6_addr, buf, sizeof(buf));
        l.text = "[" + std::string(buf) + "]:" + std::to_string(l.port);
        return l;
    }

    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<uint16_t>(l.port));
    if (host.empty() || host == "*") {
        sin.sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (inet_pton(AF_INET, host.c_str(), &sin.sin_addr) != 1) {
        addrinfo hints{};
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
            return not_found();
        }
        sin.sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
        freeaddrinfo(res);
    }
    std::memcpy(&l.addr, &sin, sizeof(sin));
    l.addr_len = sizeof(sin);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof(buf));
    l.text = std::string(buf) + ":" + std::to_string(l.port);
    return l;
}

Status add_listen(ConfProcessor& p, const ConfNode& node, ServerConf* server, const Listen& l,
                  bool options_set) {
    HttpConf* http = static_cast<HttpConf*>(p.slot("http"));
    LoadState* state = load_state(p);
    for (const Listen& mine : server->listens) {
        if (mine.text == l.text) {
            return Status::error("a duplicate listen " + l.text);
        }
    }
    for (const auto& other : http->servers) {
        for (const Listen& o : other->listens) {
            if (o.text != l.text) {
                continue;
            }
            if (l.default_server && o.default_server) {
                return Status::error("a duplicate default server for " + l.text);
            }
        }
    }
    if (options_set) {
        if (state != nullptr && !state->listen_options.insert(l.text).second) {
            return Status::error("duplicate listen options for " + l.text);
        }
    }
    server->listens.push_back(l);
    return Status::ok();
}

Status set_listen(ConfProcessor& p, const ConfNode& node, void* conf) {
    ConfScope* scope = conf_scope(conf);
    auto parsed = parse_listen_address(node.args[0]);
    if (!parsed) {
        return parsed.status();
    }
    Listen l = std::move(parsed.value());
    l.file = node.file;
    l.line = node.line;
    bool options = false;
    for (size_t i = 1; i < node.args.size(); i++) {
        const std::string& a = node.args[i];
        if (a == "default_server" || a == "default") {
            l.default_server = true;
        } else if (a == "reuseport") {
            l.reuseport = true;
            options = true;
        } else if (a.compare(0, 8, "backlog=") == 0) {
            int64_t n = 0;
            if (!parse_int(std::string_view(a).substr(8), n) || n == 0) {
                return Status::error("invalid backlog \"" + a.substr(8) + "\"");
            }
            l.backlog = static_cast<int>(n);
            options = true;
        } else if (a == "bind" || a == "deferred") {
            options = true;
        } else if (a.compare(0, 9, "ipv6only=") == 0) {
            std::string v = a.substr(9);
            if (v != "on" && v != "off") {
                return Status::error("invalid ipv6only flags \"" + v + "\"");
            }
            options = true;
        } else {
            return Status::error("invalid parameter \"" + a + "\"");
        }
    }
    if (l.is_unix && l.reuseport) {
        // nginx ignores reuseport for unix sockets (with a warning); keep one socket.
        l.reuseport = false;
    }
    return add_listen(p, node, scope->server, l, options);
}

// ---------------------------------------------------------------------------------------------
// server_name

Status set_server_name(ConfProcessor& p, const ConfNode& node, void* conf) {
    ServerConf* server = conf_scope(conf)->server;
    for (const std::string& arg : node.args) {
        char ch = arg.empty() ? '\0' : arg[0];
        if ((ch == '*' && (arg.size() < 3 || arg[1] != '.')) || (ch == '.' && arg.size() < 2)) {
            return Status::error("server name \"" + arg + "\" is invalid");
        }
        bool first = server->names.empty();
        if (ch == '~') {
            if (arg.size() == 1) {
                return Status::error("empty regex in server name \"" + arg + "\"");
            }
            auto re = core::Regex::compile(std::string_view(arg).substr(1), true);
            if (!re) {
                return re.status();
            }
            ServerName n;
            n.kind = ServerName::Kind::kRegex;
            n.name = arg.substr(1);
            n.regex = std::move(re.value());
            server->names.push_back(std::move(n));
            if (first) {
                server->first_name = arg;
            }
            continue;
        }
        std::string name = arg;
        for (char& c : name) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c | 0x20);
            }
        }
        if (first) {
            server->first_name = (ch == '.') ? name.substr(1) : name;
        }
        ServerName n;
        size_t star = name.find('*');
        if (ch == '.') {
            // ".example.com" = "example.com" and "*.example.com".
            ServerName exact;
            exact.name = name.substr(1);
            server->names.push_back(std::move(exact));
            n.kind = ServerName::Kind::kWildcardFront;
            n.name = name;
        } else if (star == 0 && name.find('*', 1) == std::string::npos) {
            n.kind = ServerName::Kind::kWildcardFront;
            n.name = name.substr(1);
        } else if (star != std::string::npos && star == name.size() - 1 && star > 0 &&
                   name[star - 1] == '.' && name.find('*') == star) {
            n.kind = ServerName::Kind::kWildcardBack;
            n.name = name.substr(0, name.size() - 1);
        } else {
            // Exact, or an invalid wildcard kept as written: finish_http_conf() rejects it
            // with nginx's "invalid server name or wildcard" (which names the listen address).
            n.kind = ServerName::Kind::kExact;
            n.name = name;
        }
        server->names.push_back(std::move(n));
    }
    return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// rewrite module

bool is_url(std::string_view s) {
    return s.compare(0, 7, "http://") == 0 || s.compare(0, 8, "https://") == 0 ||
           s.compare(0, 7, "$scheme") == 0;
}

Status set_return(ConfProcessor&, const ConfNode& node, void* conf) {
    ConfScope* scope = conf_scope(conf);
    ScriptOp op;
    op.kind = ScriptOp::Kind::kReturn;
    op.file = node.file;
    op.line = node.line;
    int64_t code = 0;
    const std::string* text = nullptr;
    if (!parse_int(node.args[0], code)) {
        if (node.args.size() == 1 && is_url(node.args[0])) {
            code = 302;
            text = &node.args[0];
        } else {
            return Status::error("invalid return code \"" + node.args[0] + "\"");
        }
    } else {
        if (code > 999) {
            return Status::error("invalid return code \"" + node.args[0] + "\"");
        }
        if (node.args.size() == 2) {
            text = &node.args[1];
        }
    }
    op.code = static_cast<int>(code);
    if (text != nullptr) {
        auto cv = compile_value(*text);
        if (!cv) {
            return cv.status();
        }
        op.text = std::move(cv.value());
    }
    scope->script->push_back(std::move(op));
    return Status::ok();
}

Status set_rewrite(ConfProcessor&, const ConfNode& node, void* conf) {
    ConfScope* scope = conf_scope(conf);
    ScriptOp op;
    op.kind = ScriptOp::Kind::kRewrite;
    op.file = node.file;
    op.line = node.line;
    auto re = core::Regex::compile(node.args[0], false);
    if (!re) {
        return re.status();
    }
    op.regex = std::move(re.value());

    std::string replacement = node.args[1];
    bool url = is_url(replacement);
    if (node.args.size() == 3) {
        const std::string& flag = node.args[2];
        if (flag == "last") {
            op.flag = ScriptOp::Flag::kLast;
        } else if (flag == "break") {
            op.flag = ScriptOp::Flag::kBreak;
        } else if (flag == "redirect") {
            op.flag = ScriptOp::Flag::kRedirect;
        } else if (flag == "permanent") {
            op.flag = ScriptOp::Flag::kPermanent;
        } else {
            return Status::error("invalid parameter \"" + flag + "\"");
        }
    }
    if (url && op.flag != ScriptOp::Flag::kPermanent) {
        op.flag = ScriptOp::Flag::kRedirect;
    }
    // A last '?' drops the request's arguments; a '?' inside starts new ones (to which the
    // request's arguments are appended).
    if (!replacement.empty() && replacement.back() == '?') {
        replacement.pop_back();
        op.keep_args = false;
    }
    size_t q = replacement.find('?');
    std::string uri_part = replacement;
    if (q != std::string::npos) {
        uri_part = replacement.substr(0, q);
        auto args = compile_value(replacement.substr(q + 1));
        if (!args) {
            return args.status();
        }
        op.rewrite_args = std::move(args.value());
    }
    auto cv = compile_value(uri_part);
    if (!cv) {
        return cv.status();
    }
    op.replacement = std::move(cv.value());
    scope->script->push_back(std::move(op));
    return Status::ok();
}

// ngx_http_rewrite_if_condition(): `(` opens the first argument, `)` closes the last (either may
// stand alone); then `$var`, `$var = value`, `$var != value`, `$var ~ regex` (~*, !~, !~*), or a
// file test `-f path` (-d, -e, -x, each with a `!` form). nginx's texts on errors.
Status parse_if_condition(const ConfNode& node, ScriptOp& op) {
    std::vector<std::string> v = node.args;
    size_t cur = 0;
    size_t last = v.size() - 1;
    if (v[0].empty() || v[0][0] != '(') {
        return Status::error("invalid condition \"" + v[0] + "\"");
    }
    if (v[0].size() == 1) {
        cur = 1;
    } else {
        v[0].erase(0, 1);
    }
    if (v[last].empty() || v[last].back() != ')') {
        return Status::error("invalid condition \"" + v[last] + "\"");
    }
    if (v[last].size() == 1) {
        if (last == 0) {
            return Status::error("invalid condition \"" + node.args[0] + "\"");
        }
        last--;
    } else {
        v[last].pop_back();
    }
    if (cur > last) {
        return Status::error("invalid condition \"" + node.args[0] + "\"");
    }
    const std::string& first = v[cur];
    if (first.size() > 1 && first[0] == '$') {
        if (cur != last && cur + 2 != last) {
            return Status::error("invalid condition \"" + first + "\"");
        }
        std::string name = first.substr(1);
        for (char& c : name) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c | 0x20);
            }
        }
        op.variable = std::move(name);
        if (cur == last) {
            op.cond = ScriptOp::Cond::kVariable;
            return Status::ok();
        }
        const std::string& how = v[cur + 1];
        if (how == "=" || how == "!=") {
            op.cond = how == "=" ? ScriptOp::Cond::kEqual : ScriptOp::Cond::kNotEqual;
            auto cv = compile_value(v[last]);
            if (!cv) {
                return cv.status();
            }
            op.value = std::move(cv.value());
            return Status::ok();
        }
        if (how == "~" || how == "~*" || how == "!~" || how == "!~*") {
            op.cond = ScriptOp::Cond::kMatch;
            op.negate = how[0] == '!';
            auto re = core::Regex::compile(v[last], how.back() == '*');
            if (!re) {
                return re.status();
            }
            op.regex = std::move(re.value());
            return Status::ok();
        }
        return Status::error("unexpected \"" + how + "\" in condition");
    }
    bool negate = first.size() == 3 && first[0] == '!' && first[1] == '-';
    if ((first.size() == 2 && first[0] == '-') || negate) {
        if (cur + 1 != last) {
            return Status::error("invalid condition \"" + first + "\"");
        }
        switch (first.back()) {
            case 'f':
                op.cond = ScriptOp::Cond::kFile;
                break;
            case 'd':
                op.cond = ScriptOp::Cond::kDir;
                break;
            case 'e':
                op.cond = ScriptOp::Cond::kExists;
                break;
            case 'x':
                op.cond = ScriptOp::Cond::kExec;
                break;
            default:
                return Status::error("invalid condition \"" + first + "\"");
        }
        op.negate = negate;
        auto cv = compile_value(v[last]);
        if (!cv) {
            return cv.status();
        }
        op.value = std::move(cv.value());
        return Status::ok();
    }
    return Status::error("invalid condition \"" + first + "\"");
}

// if (condition) { ... }: the condition, then the block's own ops in the same script (skipped
// when it does not hold), and the block's settings in a LocConf of their own.
Status set_if(ConfProcessor& p, const ConfNode& node, void* conf) {
    ConfScope* scope = conf_scope(conf);
    ScriptOp op;
    op.kind = ScriptOp::Kind::kIf;
    op.file = node.file;
    op.line = node.line;
    Status st = parse_if_condition(node, op);
    if (!st) {
        return st;
    }
    auto block = std::make_shared<LocConf>();
    op.if_conf = block;
    std::vector<ScriptOp>& ops = *scope->script;
    size_t at = ops.size();
    ops.push_back(std::move(op));
    ConfScope child = *scope;
    child.loc = block.get();
    // A server's if takes only the rewrite module's directives; a location's, more (nginx's
    // SIF and LIF contexts).
    st = p.process(node.children, scope->location != nullptr ? core::kConfIf : core::kConfServerIf,
                   &child);
    if (!st) {
        return st;
    }
    ops[at].skip = ops.size() - at - 1;
    scope->loc->if_confs.push_back(std::move(block));
    return Status::ok();
}

// break: ends the rewrite module's instructions of this phase.
Status set_break(ConfProcessor&, const ConfNode& node, void* conf) {
    ScriptOp op;
    op.kind = ScriptOp::Kind::kBreak;
    op.file = node.file;
    op.line = node.line;
    conf_scope(conf)->script->push_back(std::move(op));
    return Status::ok();
}

Status set_set(ConfProcessor& p, const ConfNode& node, void* conf) {
    ConfScope* scope = conf_scope(conf);
    const std::string& var = node.args[0];
    if (var.empty() || var[0] != '$') {
        return Status::error("invalid variable name \"" + var + "\"");
    }
    std::string name = var.substr(1);
    for (char& c : name) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c | 0x20);
        }
    }
    if (name.empty()) {
        return Status::error("invalid variable name \"" + var + "\"");
    }
    if (is_builtin_variable(name) && name != "args" && name != "query_string") {
        return Status::error("the duplicate \"" + name + "\" variable");
    }
    auto cv = compile_value(node.args[1]);
    if (!cv) {
        return cv.status();
    }
    HttpConf* http = scope->http;
    bool known = false;
    for (const std::string& s : http->set_variables) {
        if (s == name) {
            known = true;
            break;
        }
    }
    if (!known) {
        http->set_variables.push_back(name);
    }
    ScriptOp op;
    op.kind = ScriptOp::Kind::kSet;
    op.variable = name;
    op.value = std::move(cv.value());
    op.file = node.file;
    op.line = node.line;
    scope->script->push_back(std::move(op));
    return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// error_page, add_header

Status set_error_page(ConfProcessor&, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    const auto& a = node.args;
    size_t n = a.size();
    size_t i = n - 2;
    ErrorPage page;
    size_t skip = 1;
    if (!a[i].empty() && a[i][0] == '=') {
        if (i == 0) {
            return Status::error("invalid value \"" + a[i] + "\"");
        }
        if (a[i].size() > 1) {
            int64_t code = 0;
            if (!parse_int(std::string_view(a[i]).substr(1), code)) {
                return Status::error("invalid value \"" + a[i] + "\"");
            }
            page.override_status = static_cast<int>(code);
        } else {
            page.override_status = 0;
        }
        skip = 2;
    }
    auto cv = compile_value(a[n - 1]);
    if (!cv) {
        return cv.status();
    }
    page.uri = std::move(cv.value());
    for (size_t k = 0; k < n - skip; k++) {
        int64_t code = 0;
        if (!parse_int(a[k], code) || code == 499) {
            return Status::error("invalid value \"" + a[k] + "\"");
        }
        if (code < 300 || code > 599) {
            return Status::error("value \"" + a[k] + "\" must be between 300 and 599");
        }
        page.codes.push_back(static_cast<int>(code));
    }
    // nginx answers errors of these codes with 400 unless "=" says otherwise.
    if (page.override_status == -1) {
        for (int code : page.codes) {
            if (code == 494 || code == 495 || code == 496 || code == 497) {
                ErrorPage special = page;
                special.codes = {code};
                special.override_status = 400;
                loc->error_pages.push_back(std::move(special));
            }
        }
        std::erase_if(page.codes, [](int code) {
            return code == 494 || code == 495 || code == 496 || code == 497;
        });
    }
    if (!page.codes.empty()) {
        loc->error_pages.push_back(std::move(page));
    }
    loc->error_pages_set = true;
    return Status::ok();
}

// expires [modified] time | epoch | max | off; a value with variables is parsed per response.
Status set_expires(ConfProcessor&, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    if (loc->expires != nullptr) {
        return duplicate_directive(node);
    }
    auto e = std::make_shared<Expires>();
    if (node.args.size() == 2) {
        if (node.args[0] != "modified") {
            return invalid_value(node);
        }
        e->modified = true;
    }
    const std::string& text = node.args.back();
    if (text.find('$') != std::string::npos) {
        auto cv = compile_value(text);
        if (!cv) {
            return cv.status();
        }
        e->value = std::move(cv.value());
    } else {
        Status st = parse_expires(text, e->modified, *e);
        if (!st) {
            // nginx words a bad time `"expires" directive invalid value`.
            return st.message() == "invalid value" ? invalid_value(node) : st;
        }
    }
    loc->expires = std::move(e);
    return Status::ok();
}

Status set_add_header(ConfProcessor&, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    AddHeader h;
    h.name = node.args[0];
    auto cv = compile_value(node.args[1]);
    if (!cv) {
        return cv.status();
    }
    h.value = std::move(cv.value());
    if (node.args.size() == 3) {
        if (node.args[2] != "always") {
            return Status::error("invalid parameter \"" + node.args[2] + "\"");
        }
        h.always = true;
    }
    loc->add_headers.push_back(std::move(h));
    loc->add_headers_set = true;
    return Status::ok();
}

// allow / deny: an address, a CIDR block (IPv4 or IPv6), "unix:" or "all", as nginx's
// ngx_http_access_rule; set bits below the prefix are dropped with nginx's warning.
// An address rule: "all", "unix:", an address or a CIDR block (allow, deny, set_real_ip_from).
Status add_address_rule(const ConfNode& node, std::vector<AccessRule>& rules, bool deny) {
    const std::string& value = node.args[0];
    auto add = [&](int family, const unsigned char* addr, const unsigned char* mask) {
        AccessRule& rule = rules.emplace_back();
        rule.deny = deny;
        rule.family = family;
        if (addr != nullptr) {
            std::memcpy(rule.addr, addr, sizeof(rule.addr));
            std::memcpy(rule.mask, mask, sizeof(rule.mask));
        }
    };
    if (value == "all") {
        add(AF_INET, nullptr, nullptr);
        add(AF_INET6, nullptr, nullptr);
        add(AF_UNIX, nullptr, nullptr);
        return Status::ok();
    }
    if (value == "unix:") {
        add(AF_UNIX, nullptr, nullptr);
        return Status::ok();
    }
    size_t slash = value.find('/');
    std::string host = value.substr(0, slash);
    unsigned char addr[16] = {};
    unsigned char mask[16] = {};
    int family = host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    int bits = family == AF_INET ? 32 : 128;
    if (inet_pton(family, host.c_str(), addr) != 1) {
        return Status::error("invalid parameter \"" + value + "\"");
    }
    if (slash != std::string::npos) {
        int64_t prefix = -1;
        if (!parse_int(value.substr(slash + 1), prefix) || prefix < 0 || prefix > bits) {
            return Status::error("invalid parameter \"" + value + "\"");
        }
        bits = static_cast<int>(prefix);
    }
    for (int i = 0; i < bits; i++) {
        mask[i / 8] |= static_cast<unsigned char>(0x80 >> (i % 8));
    }
    bool low_bits = false;
    for (int i = 0; i < 16; i++) {
        low_bits = low_bits || (addr[i] & ~mask[i]) != 0;
        addr[i] &= mask[i];
    }
    if (low_bits) {
        warn_at(node, "low address bits of " + value + " are meaningless");
    }
    add(family, addr, mask);
    return Status::ok();
}

Status set_access_rule(ConfProcessor&, const ConfNode& node, void* conf) {
    return add_address_rule(node, conf_scope(conf)->loc->access_rules, node.name == "deny");
}

// set_real_ip_from address | CIDR | unix:. nginx also takes a host name, resolved at load;
// Tycho does not resolve, so anything else fails with nginx's text for an unknown host.
Status set_real_ip_from(ConfProcessor&, const ConfNode& node, void* conf) {
    std::vector<AccessRule>& rules = conf_scope(conf)->loc->real_ip_from;
    if (node.args[0] == "all" || !add_address_rule(node, rules, false)) {
        return Status::error("host not found in set_real_ip_from \"" + node.args[0] + "\"");
    }
    return Status::ok();
}

// limit_except METHOD ... { allow/deny ... }: the block's access rules for the other methods.
Status set_limit_except(ConfProcessor& p, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    if (loc->limit_except_methods != 0) {
        return duplicate_directive(node);
    }
    uint32_t methods = 0;
    for (const std::string& m : node.args) {
        uint32_t bit = limit_except_bit(m);
        if (bit == 0) {
            return Status::error("invalid method \"" + m + "\"");
        }
        methods |= bit;
        if (m == "GET") {
            methods |= limit_except_bit("HEAD");
        }
    }
    LocConf block;
    std::vector<ScriptOp> no_script;
    ConfScope child = *conf_scope(conf);
    child.loc = &block;
    child.script = &no_script;
    Status st = p.process(node.children, core::kConfLimitExcept, &child);
    if (!st) {
        return st;
    }
    loc->limit_except_methods = methods;
    loc->limit_except_rules =
        std::make_shared<const std::vector<AccessRule>>(std::move(block.access_rules));
    return Status::ok();
}

Status set_charset(ConfProcessor&, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    if (loc->charset_set) {
        return duplicate_directive(node);
    }
    loc->charset_set = true;
    if (node.args[0] == "off") {
        return Status::ok();
    }
    auto cv = compile_value(node.args[0]);
    if (!cv) {
        return cv.status();
    }
    loc->charset = std::move(cv.value());
    return Status::ok();
}

Status set_charset_types(ConfProcessor&, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    if (loc->charset_types_set) {
        return duplicate_directive(node);
    }
    loc->charset_types_set = true;
    for (const std::string& t : node.args) {
        std::string type = t;
        for (char& ch : type) {
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }
        loc->charset_types.push_back(std::move(type));
    }
    return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// log_format, access_log

Status set_log_format(ConfProcessor&, const ConfNode& node, void* conf) {
    HttpConf* http = conf_scope(conf)->http;
    const std::string& name = node.args[0];
    if (http->log_formats.count(name) != 0) {
        return Status::error("duplicate \"log_format\" name \"" + name + "\"");
    }
    size_t first = 1;
    LogFormat::Escape escape = LogFormat::Escape::kDefault;
    if (node.args.size() > 2 && node.args[1].compare(0, 7, "escape=") == 0) {
        std::string v = node.args[1].substr(7);
        if (v == "default") {
            escape = LogFormat::Escape::kDefault;
        } else if (v == "json") {
            escape = LogFormat::Escape::kJson;
        } else if (v == "none") {
            escape = LogFormat::Escape::kNone;
        } else {
            return Status::error("unknown log format escaping \"" + v + "\"");
        }
        first = 2;
    }
    std::vector<std::string> pieces(node.args.begin() + static_cast<std::ptrdiff_t>(first),
                                    node.args.end());
    auto fmt = compile_log_format(name, escape, pieces);
    if (!fmt) {
        return fmt.status();
    }
    http->log_formats[name] = std::move(fmt.value());
    return Status::ok();
}

Status set_access_log(ConfProcessor& p, const ConfNode& node, void* conf) {
    ConfScope* scope = conf_scope(conf);
    LocConf* loc = scope->loc;
    const auto& a = node.args;
    if (a[0] == "off") {
        loc->access_log_off = true;
        if (a.size() == 1) {
            return Status::ok();
        }
        return Status::error("invalid parameter \"" + a[1] + "\"");
    }
    if (a[0].compare(0, 7, "syslog:") == 0) {
        return Status::error("syslog logging is not supported in \"access_log\"");
    }
    if (a[0].find('$') != std::string::npos) {
        return Status::error("variables in the \"access_log\" path are not supported");
    }
    AccessLog log;
    log.path = p.full_path(a[0]);
    std::string format = a.size() >= 2 ? a[1] : "combined";
    auto it = scope->http->log_formats.find(format);
    if (it == scope->http->log_formats.end()) {
        return Status::error("unknown log format \"" + format + "\"");
    }
    log.format = it->second;
    for (size_t i = 2; i < a.size(); i++) {
        const std::string& param = a[i];
        if (param.compare(0, 7, "buffer=") == 0 || param.compare(0, 6, "flush=") == 0 ||
            param == "gzip" || param.compare(0, 5, "gzip=") == 0) {
            // Accepted: lines are always written unbuffered, one write(2) each.
            continue;
        }
        if (param.compare(0, 3, "if=") == 0) {
            auto cv = compile_value(param.substr(3));
            if (!cv) {
                return cv.status();
            }
            log.condition = std::move(cv.value());
            continue;
        }
        return Status::error("invalid parameter \"" + param + "\"");
    }
    loc->access_logs.push_back(std::move(log));
    loc->access_logs_set = true;
    return Status::ok();
}

// ---------------------------------------------------------------------------------------------
// Post-parse: merging

std::shared_ptr<ComplexValue> literal_value(const std::string& text) {
    auto cv = ComplexValue::compile(text);
    return cv ? std::move(cv.value()) : nullptr;
}

template <typename T>
void merge_value(T& value, const T& prev, T unset, T def) {
    if (value == unset) {
        value = (prev == unset) ? def : prev;
    }
}

// ngx_http_core_merge_loc_conf() and the other modules' merges, for one level. `prev` is the
// merged parent (for http{}: a LocConf holding nothing, so the defaults apply).
void merge_loc_conf(LocConf& c, const LocConf& prev, const std::string& prefix) {
    if (!c.root_set && c.root == nullptr) {
        if (prev.root != nullptr) {
            c.root = prev.root;
            c.alias = prev.alias;
            c.alias_len = prev.alias_len;
        } else {
            c.root = literal_value(prefix + "html");
            c.alias = false;
            c.alias_len = 0;
        }
    }
    if (!c.index_set && c.index.empty()) {
        c.index = prev.index_set || !prev.index.empty() ? prev.index
                                                        : std::vector<std::string>{"index.html"};
        c.index_set = true;
    }
    if (c.types == nullptr) {
        c.types = prev.types;
    }
    if (!c.default_type_set) {
        c.default_type = prev.default_type_set ? prev.default_type : "text/plain";
        c.default_type_set = true;
    }
    merge_value(c.sendfile, prev.sendfile, -1, 0);
    merge_value(c.etag, prev.etag, -1, 1);
    merge_value(c.uninitialized_variable_warn, prev.uninitialized_variable_warn, -1, 1);
    merge_value(c.client_body_in_file_only, prev.client_body_in_file_only, -1, 0);
    merge_value(c.lingering_close, prev.lingering_close, -1, 1);
    merge_value(c.reset_timedout_connection, prev.reset_timedout_connection, -1, 0);
    merge_value(c.chunked_transfer_encoding, prev.chunked_transfer_encoding, -1, 1);
    merge_value(c.absolute_redirect, prev.absolute_redirect, -1, 1);
    merge_value(c.server_name_in_redirect, prev.server_name_in_redirect, -1, 0);
    merge_value(c.port_in_redirect, prev.port_in_redirect, -1, 1);
    merge_value(c.if_modified_since, prev.if_modified_since, -1, 1);
    merge_value(c.tcp_nopush, prev.tcp_nopush, -1, 0);
    merge_value(c.tcp_nodelay, prev.tcp_nodelay, -1, 1);
    merge_value(c.server_tokens, prev.server_tokens, -1, 1);
    merge_value(c.log_not_found, prev.log_not_found, -1, 1);

    constexpr int64_t u = LocConf::kUnset;
    merge_value<int64_t>(c.client_max_body_size, prev.client_max_body_size, u, 1024 * 1024);
    merge_value<int64_t>(c.client_body_buffer_size, prev.client_body_buffer_size, u, 16 * 1024);
    merge_value<int64_t>(c.postpone_output, prev.postpone_output, u, 1460);
    merge_value<int64_t>(c.client_body_timeout, prev.client_body_timeout, u, 60000);
    merge_value<int64_t>(c.send_timeout, prev.send_timeout, u, 60000);
    merge_value<int64_t>(c.lingering_time, prev.lingering_time, u, 30000);
    merge_value<int64_t>(c.lingering_timeout, prev.lingering_timeout, u, 5000);
    // keepalive_timeout and its header value are set together, as nginx merges them.
    if (c.keepalive_timeout == u) {
        c.keepalive_timeout = prev.keepalive_timeout == u ? 75000 : prev.keepalive_timeout;
        if (c.keepalive_header == u) {
            c.keepalive_header = prev.keepalive_header == u ? 0 : prev.keepalive_header;
        }
    }
    merge_value<int64_t>(c.keepalive_header, prev.keepalive_header, u, 0);
    merge_value<int64_t>(c.keepalive_requests, prev.keepalive_requests, u, 1000);
    if (c.client_body_temp_path.empty()) {
        c.client_body_temp_path = prev.client_body_temp_path.empty() ? prefix + "client_body_temp"
                                                                     : prev.client_body_temp_path;
    }

    if (!c.error_pages_set && c.error_pages.empty()) {
        c.error_pages = prev.error_pages;
    }
    if (c.real_ip_from.empty()) {
        c.real_ip_from = prev.real_ip_from;
    }
    if (c.real_ip_header.empty()) {
        c.real_ip_header = prev.real_ip_header.empty() ? "X-Real-IP" : prev.real_ip_header;
    }
    merge_value(c.real_ip_recursive, prev.real_ip_recursive, -1, 0);
    if (c.access_rules.empty()) {
        c.access_rules = prev.access_rules;
    }
    if (!c.charset_set) {
        c.charset = prev.charset;
        c.charset_set = true;
    }
    if (!c.charset_types_set) {
        c.charset_types = prev.charset_types_set
                              ? prev.charset_types
                              : std::vector<std::string>{"text/html", "text/xml", "text/plain",
                                                         "text/vnd.wap.wml",
                                                         "application/javascript",
                                                         "application/rss+xml"};
        c.charset_types_set = true;
    }
    if (c.expires == nullptr) {
        c.expires = prev.expires;
    }
    if (!c.add_headers_set && c.add_headers.empty()) {
        c.add_headers = prev.add_headers;
    }
    if (!c.access_logs_set && !c.access_log_off) {
        c.access_logs = prev.access_logs;
        c.access_log_off = prev.access_log_off;
    }
    if (c.error_logs.empty()) {
        c.error_logs = prev.error_logs;
    }

    if (c.server_rewrite_handler == nullptr) {
        c.server_rewrite_handler = prev.server_rewrite_handler;
    }
    if (c.rewrite_handler == nullptr) {
        c.rewrite_handler = prev.rewrite_handler;
    }
    if (c.access_handler == nullptr) {
        c.access_handler = prev.access_handler;
    }
    if (c.log_handler == nullptr) {
        c.log_handler = prev.log_handler;
    }
    if (c.header_filter == nullptr) {
        c.header_filter = prev.header_filter;
    }
    if (c.body_filter == nullptr) {
        c.body_filter = prev.body_filter;
    }
    merge_value(c.lua_need_request_body, prev.lua_need_request_body, -1, 0);
    merge_value(c.lua_check_client_abort, prev.lua_check_client_abort, -1, 0);
    merge_value(c.lua_http10_buffering, prev.lua_http10_buffering, -1, 1);
    merge_value(c.lua_use_default_type, prev.lua_use_default_type, -1, 1);
    merge_value(c.rewrite_handler_first, prev.rewrite_handler_first, -1, 0);
    merge_value(c.access_handler_first, prev.access_handler_first, -1, 0);
}

// The settings of `c`'s if blocks inherit all of c's, its content handler included: nginx keeps
// the location's content handler when an if block without one of its own takes over.
void merge_if_confs(LocConf& c, const std::string& prefix) {
    for (const auto& block : c.if_confs) {
        merge_loc_conf(*block, c, prefix);
        if (block->content_handler == nullptr) {
            block->content_handler = c.content_handler;
        }
    }
}

void merge_locations(std::vector<std::unique_ptr<Location>>& locations, const LocConf& parent,
                     const std::string& prefix) {
    for (auto& loc : locations) {
        merge_loc_conf(loc->conf, parent, prefix);
        merge_if_confs(loc->conf, prefix);
        merge_locations(loc->locations, loc->conf, prefix);
    }
}

// ---------------------------------------------------------------------------------------------
// Post-parse: variable checks

struct VarChecker {
    std::vector<std::string> known;  // set variables and named regex captures

    void add_regex(const std::shared_ptr<core::Regex>& re) {
        if (re == nullptr) {
            return;
        }
        for (const auto& [name, group] : re->names()) {
            known.push_back(name);
        }
    }

    Status check_name(const std::string& name) const {
        if (!is_known_variable(name, known)) {
            return Status::error("unknown \"" + name + "\" variable");
        }
        return Status::ok();
    }

    Status check(const std::shared_ptr<ComplexValue>& cv) const { return check(cv.get()); }

    Status check(const ComplexValue* cv) const {
        if (cv == nullptr) {
            return Status::ok();
        }
        for (const std::string& name : cv->variable_names()) {
            Status st = check_name(name);
            if (!st) {
                return st;
            }
        }
        return Status::ok();
    }

    Status check_loc(const LocConf& c) const {
        Status st = check(c.root);
        for (const ErrorPage& e : c.error_pages) {
            if (st) {
                st = check(e.uri);
            }
        }
        if (st) {
            st = check(c.charset);
        }
        if (st && c.expires != nullptr) {
            st = check(c.expires->value);
        }
        for (const AddHeader& h : c.add_headers) {
            if (st) {
                st = check(h.value);
            }
        }
        for (const AccessLog& l : c.access_logs) {
            if (st) {
                st = check(l.condition);
            }
        }
        std::vector<const ComplexValue*> values;
        for (const auto* h : {&c.server_rewrite_handler, &c.rewrite_handler, &c.access_handler,
                              &c.content_handler, &c.log_handler, &c.header_filter}) {
            if (*h != nullptr) {
                (*h)->collect_values(values);
            }
        }
        if (c.body_filter != nullptr) {
            c.body_filter->collect_values(values);
        }
        for (const ComplexValue* cv : values) {
            if (st) {
                st = check(cv);
            }
        }
        for (const auto& block : c.if_confs) {
            if (st) {
                st = check_loc(*block);
            }
        }
        return st;
    }

    Status check_script(const std::vector<ScriptOp>& ops) const {
        std::vector<const ComplexValue*> values;
        for (const ScriptOp& op : ops) {
            if (op.kind == ScriptOp::Kind::kIf && !op.variable.empty()) {
                Status st = check_name(op.variable);
                if (!st) {
                    return st;
                }
            }
            values.clear();
            for (const auto* cv : {&op.text, &op.replacement, &op.rewrite_args, &op.value}) {
                values.push_back(cv->get());
            }
            if (op.handler != nullptr) {
                op.handler->collect_values(values);
            }
            for (const ComplexValue* cv : values) {
                Status st = check(cv);
                if (!st) {
                    return st;
                }
            }
        }
        return Status::ok();
    }

    Status check_locations(const std::vector<std::unique_ptr<Location>>& locations) const {
        for (const auto& loc : locations) {
            Status st = check_loc(loc->conf);
            if (st) {
                st = check_script(loc->script);
            }
            if (st) {
                st = check_locations(loc->locations);
            }
            if (!st) {
                return st;
            }
        }
        return Status::ok();
    }
};

void collect_regexes(const std::vector<std::unique_ptr<Location>>& locations, VarChecker& v) {
    for (const auto& loc : locations) {
        v.add_regex(loc->regex);
        for (const ScriptOp& op : loc->script) {
            v.add_regex(op.regex);
        }
        collect_regexes(loc->locations, v);
    }
}

Status open_logs(LocConf& c,
                 std::unordered_map<std::string, std::shared_ptr<AccessLogFile>>& open) {
    for (AccessLog& log : c.access_logs) {
        if (log.file != nullptr) {
            continue;
        }
        auto it = open.find(log.path);
        if (it != open.end()) {
            log.file = it->second;
            continue;
        }
        auto f = open_access_log_file(log.path);
        if (!f) {
            return f.status();
        }
        log.file = f.value();
        open[log.path] = std::move(f.value());
    }
    c.error_log_sinks.clear();
    for (HttpErrorLog& log : c.error_logs) {
        if (log.path != "stderr" && log.file == nullptr) {
            auto it = open.find(log.path);
            if (it != open.end()) {
                log.file = it->second;
            } else {
                auto f = open_access_log_file(log.path);
                if (!f) {
                    return f.status();
                }
                log.file = f.value();
                open[log.path] = std::move(f.value());
            }
        }
        c.error_log_sinks.push_back(
            core::LogSink{log.path, log.file != nullptr ? log.file->fd : 2, log.level});
    }
    for (const auto& block : c.if_confs) {
        Status st = open_logs(*block, open);
        if (!st) {
            return st;
        }
    }
    return Status::ok();
}

Status open_location_logs(std::vector<std::unique_ptr<Location>>& locations,
                          std::unordered_map<std::string, std::shared_ptr<AccessLogFile>>& open) {
    for (auto& loc : locations) {
        Status st = open_logs(loc->conf, open);
        if (st) {
            st = open_location_logs(loc->locations, open);
        }
        if (!st) {
            return st;
        }
    }
    return Status::ok();
}

// error_log in http/server/location (the main level is the server module's): the block's own
// error log, as ngx_log_set_log() reads it.
Status set_error_log(ConfProcessor& p, const ConfNode& node, void* conf) {
    HttpErrorLog log;
    const std::string& file = node.args[0];
    log.path = file == "stderr" ? file : p.full_path(file);
    bool level_set = false;
    for (size_t i = 1; i < node.args.size(); i++) {
        std::optional<core::LogLevel> level = core::parse_log_level(node.args[i]);
        if (!level || *level == core::LogLevel::kStderr) {
            return Status::error("invalid log level \"" + node.args[i] + "\"");
        }
        if (level_set) {
            return Status::error("duplicate log level \"" + node.args[i] + "\"");
        }
        log.level = *level;
        level_set = true;
    }
    conf_scope(conf)->loc->error_logs.push_back(std::move(log));
    return Status::ok();
}

}  // namespace

core::DirectiveSetter flag_setter(int LocConf::*field) {
    return [field](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
        LocConf* loc = conf_scope(conf)->loc;
        if (loc->*field != -1) {
            return duplicate_directive(node);
        }
        auto value = parse_flag(node);
        if (!value) {
            return value.status();
        }
        loc->*field = *value ? 1 : 0;
        return Status::ok();
    };
}

Directive enum_directive(const char* name, uint32_t contexts, int LocConf::*field,
                         std::vector<std::pair<std::string, int>> values) {
    return Directive{name, contexts, core::kArgs1,
                     [field, values = std::move(values)](ConfProcessor&, const ConfNode& node,
                                                         void* conf) -> Status {
                         LocConf* loc = conf_scope(conf)->loc;
                         if (loc->*field != -1) {
                             return duplicate_directive(node);
                         }
                         for (const auto& [text, number] : values) {
                             if (node.args[0] == text) {
                                 loc->*field = number;
                                 return Status::ok();
                             }
                         }
                         // ngx_conf_set_enum_slot()'s text, without the directive's name.
                         return Status::error("invalid value \"" + node.args[0] + "\"");
                     }};
}

void register_http_directives(DirectiveTable& table) {
    using namespace core;  // NOLINT: the ConfContext / ConfArgs flag names
    table.add({"http", kConfMain, kArgsNone | kArgsBlock, set_http});
    table.add({"server", kConfHttp, kArgsNone | kArgsBlock, set_server});
    table.add({"location", kConfServer | kConfLocation, kArgs12 | kArgsBlock, set_location});
    table.add({"listen", kConfServer, kArgs1More, set_listen});
    table.add({"server_name", kConfServer, kArgs1More, set_server_name});

    table.add({"keepalive_timeout", kHttpSrvLoc, kArgs12,
               [](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
                   LocConf* loc = conf_scope(conf)->loc;
                   if (loc->keepalive_timeout != LocConf::kUnset) {
                       return duplicate_directive(node);
                   }
                   auto t = parse_time_ms(node.args[0]);
                   if (!t) {
                       return invalid_value(node);
                   }
                   loc->keepalive_timeout = *t;
                   if (node.args.size() == 2) {
                       auto h = parse_time_sec(node.args[1]);
                       if (!h) {
                           return invalid_value(node);
                       }
                       loc->keepalive_header = *h * 1000;
                   }
                   return Status::ok();
               }});
    table.add({"keepalive_requests", kHttpSrvLoc, kArgs1,
               [](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
                   LocConf* loc = conf_scope(conf)->loc;
                   if (loc->keepalive_requests != LocConf::kUnset) {
                       return duplicate_directive(node);
                   }
                   int64_t n = 0;
                   if (!parse_int(node.args[0], n)) {
                       return directive_error(node, "invalid number");
                   }
                   loc->keepalive_requests = n;
                   return Status::ok();
               }});
    table.add(size_directive("client_max_body_size", kHttpSrvLoc, &LocConf::client_max_body_size));
    table.add(
        size_directive("client_body_buffer_size", kHttpSrvLoc, &LocConf::client_body_buffer_size));
    table.add(msec_directive("client_body_timeout", kHttpSrvLoc, &LocConf::client_body_timeout));
    table.add(msec_directive("send_timeout", kHttpSrvLoc, &LocConf::send_timeout));
    table.add(size_directive("postpone_output", kHttpSrvLoc, &LocConf::postpone_output));

    table.add(enum_directive("client_body_in_file_only", kHttpSrvLoc,
                             &LocConf::client_body_in_file_only,
                             {{"off", 0}, {"on", 1}, {"clean", 2}}));
    table.add(enum_directive("lingering_close", kHttpSrvLoc, &LocConf::lingering_close,
                             {{"off", 0}, {"on", 1}, {"always", 2}}));
    table.add(msec_directive("lingering_time", kHttpSrvLoc, &LocConf::lingering_time));
    table.add(msec_directive("lingering_timeout", kHttpSrvLoc, &LocConf::lingering_timeout));
    // A body read into memory is one buffer in Tycho always: "on" is what it does anyway.
    table.add({"client_body_in_single_buffer", kHttpSrvLoc, core::kArgsFlag,
               [](ConfProcessor&, const ConfNode& node, void*) -> Status {
                   return parse_flag(node).status();
               }});
    table.add({"client_header_buffer_size", kHttpSrv, kArgs1,
               [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
                   auto v = parse_size(node.args[0]);
                   if (!v) {
                       return invalid_value(node);
                   }
                   return set_server_value(p, node, conf, &ServerConf::client_header_buffer_size,
                                           &ServerLevelSet::header_buffer, *v);
               }});
    // Flags of the server a connection's requests start in (the listen socket's default server),
    // read while the header is parsed, as nginx does.
    table.add({"underscores_in_headers", kHttpSrv, kArgsFlag,
               [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
                   auto f = parse_flag(node);
                   if (!f) {
                       return f.status();
                   }
                   return set_server_value(p, node, conf, &ServerConf::underscores_in_headers,
                                           &ServerLevelSet::underscores, *f ? 1 : 0);
               }});
    table.add({"merge_slashes", kHttpSrv, kArgsFlag,
               [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
                   auto f = parse_flag(node);
                   if (!f) {
                       return f.status();
                   }
                   return set_server_value(p, node, conf, &ServerConf::merge_slashes,
                                           &ServerLevelSet::merge_slashes, *f ? 1 : 0);
               }});
    table.add({"ignore_invalid_headers", kHttpSrv, kArgsFlag,
               [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
                   auto f = parse_flag(node);
                   if (!f) {
                       return f.status();
                   }
                   return set_server_value(p, node, conf, &ServerConf::ignore_invalid_headers,
                                           &ServerLevelSet::ignore_invalid, *f ? 1 : 0);
               }});
    table.add({"client_header_timeout", kHttpSrv, kArgs1,
               [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
                   auto v = parse_time_ms(node.args[0]);
                   if (!v) {
                       return invalid_value(node);
                   }
                   return set_server_value(p, node, conf, &ServerConf::client_header_timeout,
                                           &ServerLevelSet::header_timeout, *v);
               }});
    table.add({"large_client_header_buffers", kHttpSrv, kArgs2,
               [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
                   int64_t num = 0;
                   if (!parse_int(node.args[0], num) || num == 0) {
                       return invalid_value(node);
                   }
                   auto size = parse_size(node.args[1]);
                   if (!size || *size == 0) {
                       return invalid_value(node);
                   }
                   Status st =
                       set_server_value(p, node, conf, &ServerConf::large_client_header_buffers_num,
                                        &ServerLevelSet::large_buffers, num);
                   if (!st) {
                       return st;
                   }
                   ConfScope* scope = conf_scope(conf);
                   ServerConf* target =
                       scope->server != nullptr ? scope->server : &load_state(p)->http_level;
                   target->large_client_header_buffers_size = *size;
                   return Status::ok();
               }});

    table.add({"client_body_temp_path", kHttpSrvLoc, kArgs1234,
               [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
                   LocConf* loc = conf_scope(conf)->loc;
                   if (!loc->client_body_temp_path.empty()) {
                       return duplicate_directive(node);
                   }
                   for (size_t i = 1; i < node.args.size(); i++) {
                       int64_t level = 0;
                       if (!parse_int(node.args[i], level) || level < 1 || level > 2) {
                           return Status::error("invalid value \"" + node.args[i] + "\"");
                       }
                   }
                   loc->client_body_temp_path = p.full_path(node.args[0]);
                   return Status::ok();
               }});
    table.add({"proxy_temp_path", kHttpSrvLoc, kArgs1234,
               [](ConfProcessor&, const ConfNode& node, void*) -> Status {
                   for (size_t i = 1; i < node.args.size(); i++) {
                       int64_t level = 0;
                       if (!parse_int(node.args[i], level) || level < 1 || level > 2) {
                           return Status::error("invalid value \"" + node.args[i] + "\"");
                       }
                   }
                   return Status::ok();
               }});
    table.add({"tcp_nodelay", kHttpSrvLoc, kArgsFlag, flag_setter(&LocConf::tcp_nodelay)});
    table.add({"reset_timedout_connection", kHttpSrvLoc, kArgsFlag,
               flag_setter(&LocConf::reset_timedout_connection)});
    table.add(sizing_directive("types_hash_max_size", kHttpSrvLoc));
    table.add(sizing_directive("types_hash_bucket_size", kHttpSrvLoc));
    table.add(sizing_directive("server_names_hash_max_size", kConfHttp));
    table.add(sizing_directive("server_names_hash_bucket_size", kConfHttp));
    table.add(sizing_directive("variables_hash_max_size", kConfHttp));
    table.add(sizing_directive("variables_hash_bucket_size", kConfHttp));
    table.add(sizing_directive("map_hash_max_size", kConfHttp));
    table.add(sizing_directive("map_hash_bucket_size", kConfHttp));
    table.add({"server_tokens", kHttpSrvLoc, kArgs1,
               [](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
                   LocConf* loc = conf_scope(conf)->loc;
                   if (loc->server_tokens != -1) {
                       return duplicate_directive(node);
                   }
                   const std::string& v = node.args[0];
                   if (v == "on" || v == "build") {
                       loc->server_tokens = 1;
                   } else if (v == "off") {
                       loc->server_tokens = 0;
                   } else {
                       return Status::error("invalid value \"" + v + "\"");
                   }
                   return Status::ok();
               }});

    table.add({"return", kSrvLocIf, kArgs12, set_return});
    table.add({"rewrite", kSrvLocIf, kArgs23, set_rewrite});
    table.add({"set", kSrvLocIf, kArgs2, set_set});
    table.add({"if", core::kConfServer | core::kConfLocation, core::kArgsBlock | core::kArgs1More,
               set_if});
    table.add({"break", kSrvLocIf, core::kArgsNone, set_break});
    table.add({"error_page", kHttpSrvLocIf, kArgs2More, set_error_page});
    table.add({"add_header", kHttpSrvLocIf, kArgs23, set_add_header});
    table.add({"expires", kHttpSrvLocIf, kArgs12, set_expires});
    table.add({"charset", kHttpSrvLocIf, kArgs1, set_charset});
    table.add({"allow", kHttpSrvLoc | core::kConfLimitExcept, kArgs1, set_access_rule});
    table.add({"deny", kHttpSrvLoc | core::kConfLimitExcept, kArgs1, set_access_rule});
    table.add({"limit_except", core::kConfLocation, kArgs1More | core::kArgsBlock,
               set_limit_except});
    table.add({"internal", core::kConfLocation, core::kArgsNone,
               [](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
                   Location* location = conf_scope(conf)->location;
                   if (location->internal) {
                       return duplicate_directive(node);
                   }
                   location->internal = true;
                   return Status::ok();
               }});
    table.add({"set_real_ip_from", kHttpSrvLoc, kArgs1, set_real_ip_from});
    table.add({"real_ip_header", kHttpSrvLoc, kArgs1,
               [](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
                   LocConf* loc = conf_scope(conf)->loc;
                   if (!loc->real_ip_header.empty()) {
                       return duplicate_directive(node);
                   }
                   if (node.args[0] == "proxy_protocol") {
                       return Status::error(
                           "real_ip_header proxy_protocol: Tycho has no PROXY protocol listener");
                   }
                   loc->real_ip_header = node.args[0];
                   return Status::ok();
               }});
    table.add({"real_ip_recursive", kHttpSrvLoc, kArgsFlag,
               [](ConfProcessor&, const ConfNode& node, void* conf) -> Status {
                   LocConf* loc = conf_scope(conf)->loc;
                   if (loc->real_ip_recursive != -1) {
                       return duplicate_directive(node);
                   }
                   auto f = parse_flag(node);
                   if (!f) {
                       return f.status();
                   }
                   loc->real_ip_recursive = *f ? 1 : 0;
                   return Status::ok();
               }});
    table.add({"charset_types", kHttpSrvLoc, kArgs1More, set_charset_types});
    table.add({"log_format", kConfHttp, kArgs2More, set_log_format});
    table.add({"access_log", kHttpSrvLocIf, kArgs1More, set_access_log});
    table.add({"error_log", kHttpSrvLoc, kArgs1More, set_error_log});

    register_static_directives(table);
    register_map_directive(table);
}

Status finish_http_conf(HttpConf& conf, const std::string& prefix) {
    // Merge http -> server -> location.
    LocConf none;
    merge_loc_conf(conf.conf, none, prefix);
    if (!conf.conf.access_logs_set && !conf.conf.access_log_off && conf.conf.access_logs.empty()) {
        AccessLog def;
        def.path = prefix + "logs/access.log";
        def.format = combined_log_format();
        conf.conf.access_logs.push_back(std::move(def));
    }
    for (auto& server : conf.servers) {
        merge_loc_conf(server->conf, conf.conf, prefix);
        merge_if_confs(server->conf, prefix);
        merge_locations(server->locations, server->conf, prefix);
    }

    // Listen groups: one per distinct address, servers in config order.
    conf.listen_groups.clear();
    for (auto& server : conf.servers) {
        for (const Listen& l : server->listens) {
            ListenGroup* group = nullptr;
            for (ListenGroup& g : conf.listen_groups) {
                if (g.listen.text == l.text) {
                    group = &g;
                    break;
                }
            }
            if (group == nullptr) {
                conf.listen_groups.push_back(ListenGroup{});
                group = &conf.listen_groups.back();
                group->listen = l;
                group->listen.default_server = false;
            }
            group->servers.push_back(server.get());
            if (l.default_server) {
                group->default_server = server.get();
                group->listen.default_server = true;
            }
            if (l.reuseport) {
                group->listen.reuseport = true;
            }
            if (l.backlog != 511) {
                group->listen.backlog = l.backlog;
            }
        }
    }
    for (ListenGroup& g : conf.listen_groups) {
        if (g.default_server == nullptr && !g.servers.empty()) {
            g.default_server = g.servers.front();
        }
    }

    // Server names: wildcard forms nginx's hash cannot hold, and conflicts.
    for (const ListenGroup& g : conf.listen_groups) {
        std::set<std::string> seen;
        for (const ServerConf* s : g.servers) {
            for (const ServerName& n : s->names) {
                if (n.kind == ServerName::Kind::kExact && n.name.find('*') != std::string::npos) {
                    return Status::error("invalid server name or wildcard \"" + n.name + "\" on " +
                                         g.listen.text);
                }
                if (n.kind == ServerName::Kind::kRegex) {
                    continue;
                }
                std::string key = std::to_string(static_cast<int>(n.kind)) + n.name;
                if (!seen.insert(key).second && !n.name.empty()) {
                    std::string shown =
                        n.kind == ServerName::Kind::kWildcardFront
                            ? "*" + n.name
                            : (n.kind == ServerName::Kind::kWildcardBack ? n.name + "*" : n.name);
                    core::log_errorf(core::LogLevel::kWarn,
                                     "conflicting server name \"%s\" on %s, ignored", shown.c_str(),
                                     g.listen.text.c_str());
                }
            }
        }
    }

    // Every $variable used must exist.
    VarChecker vars;
    vars.known = conf.set_variables;
    for (const auto& server : conf.servers) {
        for (const ServerName& n : server->names) {
            vars.add_regex(n.regex);
        }
        for (const ScriptOp& op : server->script) {
            vars.add_regex(op.regex);
        }
        collect_regexes(server->locations, vars);
    }
    for (const auto& [name, fmt] : conf.log_formats) {
        for (const LogFormat::Part& part : fmt->parts) {
            if (part.is_var) {
                Status st = vars.check_name(part.text);
                if (!st) {
                    return st;
                }
            }
        }
    }
    Status st = vars.check_loc(conf.conf);
    for (const auto& server : conf.servers) {
        if (st) {
            st = vars.check_loc(server->conf);
        }
        if (st) {
            st = vars.check_script(server->script);
        }
        if (st) {
            st = vars.check_locations(server->locations);
        }
    }
    for (const auto& [name, map] : conf.maps) {
        if (st) {
            st = vars.check(map->source);
        }
        for (const auto& [key, value] : map->exact) {
            if (st) {
                st = vars.check(value);
            }
        }
        for (const auto* masks : {&map->head_masks, &map->tail_masks}) {
            for (const MapDef::Mask& m : *masks) {
                if (st) {
                    st = vars.check(m.value);
                }
            }
        }
        for (const MapDef::RegexKey& k : map->regexes) {
            if (st) {
                st = vars.check(k.value);
            }
        }
        if (st) {
            st = vars.check(map->default_value);
        }
    }
    if (!st) {
        return st;
    }

    // Open the access logs (shared with any previous generation that has them open).
    std::unordered_map<std::string, std::shared_ptr<AccessLogFile>> open;
    st = open_logs(conf.conf, open);
    for (auto& server : conf.servers) {
        if (st) {
            st = open_logs(server->conf, open);
        }
        if (st) {
            st = open_location_logs(server->locations, open);
        }
    }
    return st;
}

}  // namespace tycho::http
