// The phase engine, after nginx's ngx_http_core_run_phases(): server rewrite, find config,
// rewrite, post rewrite, access, try_files, content; special responses with error_page; the
// log phase. Everything runs on the request's worker thread.

#include "http/phases.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <sys/socket.h>

#include <cstring>

#include "core/ascii.h"
#include "core/log.h"
#include "http/access_log.h"
#include "http/connection.h"
#include "http/http_log.h"
#include "http/location.h"
#include "http/response.h"
#include "http/script.h"
#include "http/static.h"
#include "http/variables.h"

namespace tycho::http {
namespace {

enum Phase : int {
    kPhaseServerRewriteHandler = 0,  // server_rewrite_by_lua*: before the server's script
    kPhaseServerRewrite,
    kPhaseFindConfig,
    kPhaseRewriteHandlerFirst,  // rewrite_by_lua_no_postpone: the handler before the script
    kPhaseRewrite,
    kPhaseRewriteHandler,
    kPhasePostRewrite,
    kPhaseAccessHandlerFirst,  // access_by_lua_no_postpone: the handler before allow/deny
    kPhaseAccess,
    kPhaseTryFiles,
    kPhaseContent,
    kPhaseFinished,
};

// Where the location rewrite phase starts: rewrite_by_lua_no_postpone runs the rewrite handler
// before the rewrite-module script.
Phase rewrite_entry(const LocConf& loc) {
    return loc.rewrite_handler_first == 1 && loc.rewrite_handler != nullptr
               ? kPhaseRewriteHandlerFirst
               : kPhaseRewrite;
}

// The phase after the rewrite handler ended: the script if it ran first, else post-rewrite.
Phase after_rewrite_handler(int phase) {
    return phase == kPhaseRewriteHandlerFirst ? kPhaseRewrite : kPhasePostRewrite;
}

void apply_captures(Request& r, RegexCaptures& caps) {
    if (!caps.matched) {
        return;
    }
    r.captures = std::move(caps.ovector);
    r.captures_subject = std::move(caps.subject);
    for (auto& [name, value] : caps.named) {
        r.variables[name] = std::move(value);
    }
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Statuses after which nginx closes the connection anyway: reading the body is pointless.
bool closes_connection(int status) {
    switch (status) {
        case 400:
        case 408:
        case 413:
        case 414:
        case 431:
        case 494:
        case 500:
        case 501:
            return true;
        default:
            return false;
    }
}

// nginx's access module: the first allow/deny rule that matches the client decides; a deny is
// 403 with "access forbidden by rule". kDeclined when the request may go on. An IPv4-mapped
// IPv6 client is judged by the IPv4 rules, as in nginx.
// A client address as rules see it ("unix:" for a unix socket; an IPv4-mapped IPv6 address as
// IPv4). False if `text` is no address.
bool parse_client(std::string_view text, int& family, unsigned char addr[16]) {
    std::memset(addr, 0, 16);
    if (text.rfind("unix:", 0) == 0) {
        family = AF_UNIX;
        return true;
    }
    family = text.find(':') != std::string_view::npos ? AF_INET6 : AF_INET;
    char buf[INET6_ADDRSTRLEN + 1];
    if (text.size() >= sizeof(buf)) {
        return false;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (inet_pton(family, buf, addr) != 1) {
        return false;
    }
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET6 && std::memcmp(addr, kMapped, sizeof(kMapped)) == 0) {
        family = AF_INET;
        std::memmove(addr, addr + 12, 4);
        std::memset(addr + 4, 0, 12);
    }
    return true;
}

// The first rule that covers the address, or null.
const AccessRule* match_rule(const std::vector<AccessRule>& rules, int family,
                             const unsigned char addr[16]) {
    for (const AccessRule& rule : rules) {
        if (rule.family != family) {
            continue;
        }
        bool match = true;
        for (int i = 0; i < 16 && match; i++) {
            match = (addr[i] & rule.mask[i]) == rule.addr[i];
        }
        if (match) {
            return &rule;
        }
    }
    return nullptr;
}

int check_access_rules(Request& r, const std::vector<AccessRule>& rules) {
    int family = 0;
    unsigned char addr[16];
    if (!parse_client(r.conn_info != nullptr ? r.conn_info->remote_addr : "", family, addr)) {
        return kDeclined;
    }
    const AccessRule* rule = match_rule(rules, family, addr);
    if (rule != nullptr && rule->deny) {
        log_request(core::LogLevel::kError, r, "access forbidden by rule");
        return 403;
    }
    return kDeclined;
}

// ngx_parse_addr_port(): "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80" -> the address in canonical
// text and the port (0 without one). False if it is none of these.
bool parse_addr_port(std::string_view text, std::string& addr, int& port) {
    std::string_view host = text;
    std::string_view port_text;
    if (!text.empty() && text[0] == '[') {
        size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') {
                return false;
            }
            port_text = rest.substr(1);
        }
    } else if (size_t colon = text.find(':');
               colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    port = 0;
    if (!port_text.empty() || (host.size() < text.size() && text.back() == ':')) {
        int64_t p = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9' || p > 65535) {
                return false;
            }
            p = p * 10 + (c - '0');
        }
        if (p < 1 || p > 65535) {
            return false;
        }
        port = static_cast<int>(p);
    }
    int family = 0;
    unsigned char bin[16];
    if (host.rfind("unix:", 0) == 0 || !parse_client(host, family, bin)) {
        return false;
    }
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(family, bin, buf, sizeof(buf)) == nullptr) {
        return false;
    }
    addr = buf;
    return true;
}

// ngx_http_get_forwarded_addr_internal(): walks `list` from its end while the address in hand
// is a trusted proxy (one step only without `recursive`), taking each address it passes.
enum class Forwarded { kDeclined, kDone, kOk };  // nothing taken; stopped after taking; to the end

Forwarded forwarded_addr(std::string_view list, const std::vector<AccessRule>& proxies,
                         bool recursive, std::string& addr, int& port) {
    bool found = false;
    size_t len = list.size();
    size_t start = 0;
    do {
        int family = 0;
        unsigned char bin[16];
        if (!parse_client(addr, family, bin) || match_rule(proxies, family, bin) == nullptr) {
            return found ? Forwarded::kDone : Forwarded::kDeclined;
        }
        while (len > 0 && (list[len - 1] == ' ' || list[len - 1] == ',')) {
            len--;
        }
        start = len;
        while (start > 0 && list[start - 1] != ' ' && list[start - 1] != ',') {
            start--;
        }
        std::string next;
        int next_port = 0;
        if (!parse_addr_port(list.substr(start, len - start), next, next_port)) {
            return found ? Forwarded::kDone : Forwarded::kDeclined;
        }
        addr = std::move(next);
        port = next_port;
        found = true;
        len = start;
    } while (recursive && start > 0);
    return Forwarded::kOk;
}

// ngx_http_realip_module: a request from a trusted address (set_real_ip_from) takes the client
// address from real_ip_header, as nginx does, for everything after: $remote_addr,
// $remote_port (the header's port, or none), access rules, log lines. Tried with the server's
// settings before the server rewrite phase and, when that did not replace it, with the
// location's before the access phase.
void apply_realip(Request& r, const LocConf& lc) {
    if (r.realip_orig != nullptr || lc.real_ip_from.empty() || r.conn_info == nullptr) {
        return;
    }
    std::string addr = r.conn_info->remote_addr;
    int port = r.conn_info->remote_port;
    bool recursive = lc.real_ip_recursive == 1;
    Forwarded rc = Forwarded::kDeclined;
    if (core::iequals(lc.real_ip_header, "X-Forwarded-For")) {
        // ngx_http_get_forwarded_addr(): every X-Forwarded-For line, the last one first.
        bool found = false;
        for (size_t i = r.headers_in.size(); i-- > 0;) {
            const Header& h = r.headers_in[i];
            if (!core::iequals(h.name, "X-Forwarded-For")) {
                continue;
            }
            rc = forwarded_addr(h.value, lc.real_ip_from, recursive, addr, port);
            if (!recursive) {
                break;
            }
            if (rc == Forwarded::kDeclined && found) {
                rc = Forwarded::kDone;
                break;
            }
            if (rc != Forwarded::kOk) {
                break;
            }
            found = true;
        }
    } else {
        for (const Header& h : r.headers_in) {
            if (core::iequals(h.name, lc.real_ip_header)) {
                rc = forwarded_addr(h.value, lc.real_ip_from, recursive, addr, port);
                break;
            }
        }
    }
    if (rc == Forwarded::kDeclined) {
        return;
    }
    if (r.realip_info == nullptr) {
        r.realip_info = std::make_unique<ConnectionInfo>();
    }
    *r.realip_info = *r.conn_info;
    r.realip_info->remote_addr = std::move(addr);
    r.realip_info->remote_port = port;
    r.realip_orig = r.conn_info;
    r.conn_info = r.realip_info.get();
}


}  // namespace

uint32_t limit_except_bit(std::string_view method) {
    // nginx's NGX_HTTP_GET ... NGX_HTTP_PATCH order; only what limit_except accepts.
    static constexpr std::string_view kMethods[] = {
        "GET",  "HEAD",    "POST",     "PUT",       "DELETE", "MKCOL",  "COPY",
        "MOVE", "OPTIONS", "PROPFIND", "PROPPATCH", "LOCK",   "UNLOCK", "PATCH"};
    for (size_t i = 0; i < std::size(kMethods); i++) {
        if (kMethods[i] == method) {
            return 1u << i;
        }
    }
    return 0;
}

namespace {

// Calls a module's phase handler; returns kDeclined to go on.
int call_handler(Request& r, PhaseHandler* handler) {
    if (handler == nullptr) {
        return kDeclined;
    }
    int rc = handler->handle(r);
    if (rc == kOk) {
        return kDeclined;
    }
    return rc;
}

// A module's phase handler as one step of run_phases(): true to go on with phase `next`, false
// when the request ended or waits (kAgain: resume_phases() continues from r.phase).
bool handler_step(Request& r, PhaseHandler* handler, int next) {
    int rc = call_handler(r, handler);
    if (rc == kAgain) {
        return false;
    }
    if (rc != kDeclined) {
        finalize_request(r, rc);
        return false;
    }
    r.phase = next;
    return true;
}

// Runs phases from r.phase until one of them ends the request or waits.
void run_phases(Request& r) {
    static const std::vector<ScriptOp> kNoScript;
    for (;;) {
        switch (r.phase) {
            case kPhaseServerRewriteHandler: {
                r.location = nullptr;
                r.loc = &r.server->conf;
                // lua-nginx-module's handler registers after the rewrite module's and so runs
                // first; like the location rewrite handler, it declines once the URI changed.
                PhaseHandler* h =
                    r.uri_changed ? nullptr : r.server->conf.server_rewrite_handler.get();
                if (!handler_step(r, h, kPhaseServerRewrite)) {
                    return;
                }
                break;
            }
            case kPhaseServerRewrite: {
                r.phase = kPhaseFindConfig;
                int rc = run_script(r, r.server->script);
                if (rc != kDeclined) {
                    finalize_request(r, rc);
                    return;
                }
                break;
            }
            case kPhaseFindConfig: {
                r.uri_changed = false;
                RegexCaptures caps;
                r.location = find_location(*r.server, r.uri, &caps);
                r.loc = r.location != nullptr ? &r.location->conf : &r.server->conf;
                apply_captures(r, caps);
                if (r.location != nullptr && r.location->internal && !r.internal) {
                    finalize_request(r, 404);
                    return;
                }
                const LocConf& loc = *r.loc;
                r.phase = rewrite_entry(loc);
                if (loc.client_max_body_size != 0 && r.content_length_in >= 0 &&
                    r.content_length_in > loc.client_max_body_size) {
                    log_request(core::LogLevel::kError, r,
                                "client intended to send too large body: " +
                                    std::to_string(r.content_length_in) + " bytes");
                    finalize_request(r, 413);
                    return;
                }
                break;
            }
            case kPhaseRewrite: {
                // With no_postpone the handler already ran: after the script, straight on.
                r.phase = r.loc->rewrite_handler_first == 1 ? kPhasePostRewrite
                                                              : kPhaseRewriteHandler;
                // nginx skips the location rewrite phase when no location matched (the
                // server's script already ran in the server rewrite phase).
                const std::vector<ScriptOp>& script =
                    r.location != nullptr ? r.location->script : kNoScript;
                int rc = run_script(r, script);
                if (rc != kDeclined) {
                    finalize_request(r, rc);
                    return;
                }
                break;
            }
            case kPhaseRewriteHandlerFirst:
            case kPhaseRewriteHandler: {
                // A `rewrite` that changed the URI (no `break`) sends the request to another
                // location: lua-nginx-module's rewrite handler then declines, and the new
                // location's runs instead.
                PhaseHandler* h = r.uri_changed ? nullptr : r.loc->rewrite_handler.get();
                if (!handler_step(r, h, after_rewrite_handler(r.phase))) {
                    return;
                }
                break;
            }
            case kPhasePostRewrite: {
                if (r.uri_changed) {
                    if (--r.uri_changes == 0) {
                        log_request(core::LogLevel::kError, r,
                                    "rewrite or internal redirection cycle while processing \"" +
                                        r.uri + "\"");
                        r.phase = kPhaseFinished;
                        finalize_request(r, 500);
                        return;
                    }
                    r.phase = kPhaseFindConfig;
                    break;
                }
                r.phase = r.loc->access_handler_first == 1 ? kPhaseAccessHandlerFirst
                                                             : kPhaseAccess;
                break;
            }
            case kPhaseAccessHandlerFirst: {
                if (!r.loc->real_ip_from.empty()) {
                    apply_realip(r, *r.loc);  // the preaccess phase comes first
                }
                if (!handler_step(r, r.loc->access_handler.get(), kPhaseAccess)) {
                    return;
                }
                break;
            }
            case kPhaseAccess: {
                // realip's second chance (ngx_http_realip_module's preaccess handler).
                if (!r.loc->real_ip_from.empty()) {
                    apply_realip(r, *r.loc);
                }
                const std::vector<AccessRule>* rules = &r.loc->access_rules;
                if (r.loc->limit_except_methods != 0 &&
                    (limit_except_bit(r.method) & r.loc->limit_except_methods) == 0) {
                    // A method limit_except does not list: the block's rules (nginx swaps in the
                    // block's location conf, merged with the location's).
                    if (!r.loc->limit_except_rules->empty()) {
                        rules = r.loc->limit_except_rules.get();
                    }
                }
                int rc = rules->empty() ? kDeclined : check_access_rules(r, *rules);
                if (rc == kDeclined && r.loc->access_handler_first != 1) {
                    rc = call_handler(r, r.loc->access_handler.get());
                }
                if (rc == kAgain) {
                    return;
                }
                if (rc != kDeclined) {
                    finalize_request(r, rc);
                    return;
                }
                r.phase = kPhaseTryFiles;
                break;
            }
            case kPhaseTryFiles: {
                r.phase = kPhaseContent;
                if (!r.loc->try_files.empty()) {
                    int rc = run_try_files(r);
                    if (rc != kDeclined) {
                        finalize_request(r, rc);
                        return;
                    }
                }
                break;
            }
            case kPhaseContent: {
                r.phase = kPhaseFinished;
                int rc;
                if (r.loc->content_handler != nullptr) {
                    rc = r.loc->content_handler->handle(r);
                } else {
                    rc = static_handler(r);
                }
                finalize_request(r, rc);
                return;
            }
            default:
                return;
        }
    }
}

int send_error_page(Request& r, const ErrorPage& page, int status) {
    int overwrite = page.override_status;
    r.err_status = status;
    if (overwrite >= 0) {
        r.err_status = overwrite;
    }
    std::string uri = page.uri->eval(r);
    if (!uri.empty() && uri[0] == '/') {
        std::string args;
        size_t q = uri.find('?');
        if (q != std::string::npos) {
            args = uri.substr(q + 1);
            uri.resize(q);
        }
        if (r.method != "HEAD") {
            r.method = "GET";
        }
        return internal_redirect(r, uri, args);
    }
    if (!uri.empty() && uri[0] == '@') {
        return internal_redirect(r, uri, r.args);
    }
    r.location_header = uri;
    int code = is_redirect(overwrite) ? overwrite : 302;
    r.err_status = code;
    send_special_response(r, code);
    return kDone;
}

void special_response(Request& r, int status) {
    const LocConf* loc = r.loc;
    if (!r.error_page && loc != nullptr && !loc->error_pages.empty() && r.uri_changes != 0) {
        for (const ErrorPage& page : loc->error_pages) {
            for (int code : page.codes) {
                if (code != status) {
                    continue;
                }
                // recursive_error_pages off: one error page per request.
                r.error_page = true;
                int rc = send_error_page(r, page, status);
                if (rc != kDone && rc != kOk && rc != kAgain) {
                    finalize_request(r, rc);
                }
                return;
            }
        }
    }
    if (!closes_connection(status) && !r.body_read && !r.body_discarding) {
        if (discard_request_body(r) != kOk) {
            r.keepalive = false;
        }
    }
    r.err_status = status;
    r.status = status;
    send_special_response(r, status);
}

}  // namespace

void process_request(Request& r) {
    r.phase = kPhaseServerRewriteHandler;
    const ListenGroup* group = r.conn_info != nullptr ? r.conn_info->group : nullptr;
    if (group == nullptr || group->servers.empty()) {
        log_request(core::LogLevel::kError, r, "no server configured for the connection");
        finalize_request(r, 500);
        return;
    }
    RegexCaptures caps;
    r.server = find_server(*group, r.host, &caps);
    apply_captures(r, caps);
    r.loc = &r.server->conf;
    if (!r.server->conf.real_ip_from.empty()) {
        apply_realip(r, r.server->conf);
    }
    set_exten(r);
    run_phases(r);
}

void resume_phases(Request& r, int rc) {
    if (rc != kOk && rc != kDeclined) {
        finalize_request(r, rc);
        return;
    }
    switch (r.phase) {
        case kPhaseServerRewriteHandler:
            r.phase = kPhaseServerRewrite;
            break;
        case kPhaseRewriteHandlerFirst:
        case kPhaseRewriteHandler:
            r.phase = after_rewrite_handler(r.phase);
            break;
        case kPhaseAccessHandlerFirst:
            r.phase = kPhaseAccess;
            break;
        case kPhaseAccess:
            r.phase = kPhaseTryFiles;
            break;
        default:
            break;
    }
    run_phases(r);
}

void finalize_request(Request& r, int rc) {
    if (rc == kAgain || rc == kOk || rc == kDone || rc == kDeclined) {
        return;
    }
    if (rc == kError || rc < 100) {
        r.keepalive = false;
        if (r.connection != nullptr) {
            r.connection->abort_request();
        }
        return;
    }
    // 444 (nginx's NGX_HTTP_CLOSE), 408 and 499 close the connection without a response
    // (`return 444;` drops a client); the access log shows the code. So does any status once
    // the header went out: too late to send it.
    bool terminate = rc == 444 || rc == 408 || rc == 499;
    if (terminate || r.header_sent) {
        // nginx logs the code unless part of a response already reached the client.
        if (terminate && (r.status == 0 || r.bytes_sent == 0)) {
            r.status = rc;
            r.body_bytes_sent = 0;
        }
        r.keepalive = false;
        if (r.connection != nullptr) {
            r.connection->abort_request(rc == 444);
        }
        return;
    }
    special_response(r, rc);
}

int internal_redirect(Request& r, std::string_view uri, std::string_view args) {
    if (!uri.empty() && uri[0] == '@') {
        if (--r.uri_changes == 0) {
            log_request(core::LogLevel::kError, r,
                        "rewrite or internal redirection cycle while redirect to named "
                        "location \"" +
                            std::string(uri) + "\"");
            return 500;
        }
        const Location* named = r.server != nullptr ? find_named_location(*r.server, uri) : nullptr;
        if (named == nullptr) {
            log_request(core::LogLevel::kError, r,
                        "could not find named location \"" + std::string(uri) + "\"");
            return 500;
        }
        r.location = named;
        r.loc = &named->conf;
        // A named location starts with fresh module contexts too (ngx_http_named_location).
        r.content_type_set = false;
        r.lua_headers_set = false;
        r.internal = true;
        r.phase = rewrite_entry(*r.loc);
        run_phases(r);
        return kDone;
    }
    if (--r.uri_changes == 0) {
        log_request(core::LogLevel::kError, r,
                    "rewrite or internal redirection cycle while internally redirecting to \"" +
                        std::string(uri) + "\"");
        return 500;
    }
    r.uri = std::string(uri);
    r.args = std::string(args);
    r.args_null = args.empty();
    // ngx.header.content_type = nil holds for the Lua handler that cleared it (lua-nginx-module
    // keeps that in its per-location context): the new location's output gets a default again.
    r.content_type_set = false;
    r.lua_headers_set = false;
    set_exten(r);
    r.internal = true;
    r.phase = kPhaseServerRewriteHandler;
    run_phases(r);
    return kDone;
}

void run_log_phase(Request& r) {
    const LocConf* loc = r.loc;
    if (loc == nullptr && r.conn_info != nullptr && r.conn_info->group != nullptr &&
        r.conn_info->group->default_server != nullptr) {
        loc = &r.conn_info->group->default_server->conf;
    }
    if (loc == nullptr) {
        return;
    }
    write_access_logs(r, *loc);
    if (loc->log_handler != nullptr) {
        loc->log_handler->handle(r);
    }
    // lua_malloc_trim: give glibc's free memory back to the system every N requests of this
    // worker (lua-nginx-module counts per worker process in its log-phase handler).
    const ServerConf* srv = r.server;
    if (srv != nullptr && srv->http != nullptr && srv->http->malloc_trim_every > 0) {
        thread_local int64_t requests = 0;
        if (++requests >= srv->http->malloc_trim_every) {
            requests = 0;
            int trimmed = malloc_trim(1);
            log_request(core::LogLevel::kDebug, r,
                        "malloc_trim(1) returned " + std::to_string(trimmed));
        }
    }
}

}  // namespace tycho::http
