#include "http/variables.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/log.h"
#include "core/version.h"
#include "http/http_log.h"
#include "http/static.h"

namespace tycho::http {
namespace {

using Getter = bool (*)(Request& r, std::string& out);

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; }

void append_uint(std::string& out, uint64_t v) {
    char buf[24];
    int n = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(v));
    out.append(buf, n);
}

// "%T.%03M" as nginx prints $msec and $request_time.
void append_msec(std::string& out, int64_t ms) {
    if (ms < 0) {
        ms = 0;
    }
    char buf[32];
    int n = std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
                          static_cast<long long>(ms % 1000));
    out.append(buf, n);
}

// nginx's unknown-header match: header bytes lower-cased, '-' read as '_', compared with the
// variable suffix (which is already what the user wrote, e.g. "user_agent").
bool header_name_matches(std::string_view header, std::string_view var) {
    if (header.size() != var.size()) {
        return false;
    }
    for (size_t i = 0; i < header.size(); i++) {
        char ch = lower(header[i]);
        if (ch == '-') {
            ch = '_';
        }
        if (lower(var[i]) != ch) {
            return false;
        }
    }
    return true;
}

// Appends every header named `var` (in variable spelling) joined by `sep`; false if none.
bool joined_headers(const HeaderList& headers, std::string_view var, std::string& out,
                    std::string_view sep) {
    bool found = false;
    for (const Header& h : headers) {
        if (header_name_matches(h.name, var)) {
            if (found) {
                out.append(sep);
            }
            out.append(h.value);
            found = true;
        }
    }
    return found;
}

bool first_header(const HeaderList& headers, std::string_view var, std::string& out) {
    for (const Header& h : headers) {
        if (header_name_matches(h.name, var)) {
            out.append(h.value);
            return true;
        }
    }
    return false;
}

bool http_header(Request& r, std::string_view name, std::string& out) {
    if (header_name_matches("cookie", name)) {
        return joined_headers(r.headers_in, name, out, "; ");
    }
    if (header_name_matches("x-forwarded-for", name)) {
        return joined_headers(r.headers_in, name, out, ", ");
    }
    return first_header(r.headers_in, name, out);
}

// $arg_NAME: nginx's ngx_http_arg(): case-insensitive name, raw (undecoded) value.
bool arg_value(std::string_view args, std::string_view name, std::string& out) {
    size_t pos = 0;
    while (pos <= args.size()) {
        size_t amp = args.find('&', pos);
        if (amp == std::string_view::npos) {
            amp = args.size();
        }
        std::string_view pair = args.substr(pos, amp - pos);
        if (pair.size() > name.size() && pair[name.size()] == '=') {
            bool eq = true;
            for (size_t i = 0; i < name.size(); i++) {
                if (lower(pair[i]) != lower(name[i])) {
                    eq = false;
                    break;
                }
            }
            if (eq) {
                out.append(pair.substr(name.size() + 1));
                return true;
            }
        }
        pos = amp + 1;
    }
    return false;
}

// $cookie_NAME over every Cookie header: "a=1; b=2".
bool cookie_value(const Request& r, std::string_view name, std::string& out) {
    for (const Header& h : r.headers_in) {
        if (!header_name_matches(h.name, "cookie")) {
            continue;
        }
        std::string_view v = h.value;
        size_t pos = 0;
        while (pos < v.size()) {
            while (pos < v.size() &&
                   (v[pos] == ' ' || v[pos] == '\t' || v[pos] == ';' || v[pos] == ',')) {
                pos++;
            }
            size_t end = pos;
            while (end < v.size() && v[end] != ';' && v[end] != ',') {
                end++;
            }
            std::string_view item = v.substr(pos, end - pos);
            if (item.size() > name.size() && item[name.size()] == '=') {
                bool eq = true;
                for (size_t i = 0; i < name.size(); i++) {
                    if (lower(item[i]) != lower(name[i])) {
                        eq = false;
                        break;
                    }
                }
                if (eq) {
                    std::string_view value = item.substr(name.size() + 1);
                    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
                        value.remove_suffix(1);
                    }
                    out.append(value);
                    return true;
                }
            }
            pos = end;
        }
    }
    return false;
}

bool sent_header(Request& r, std::string_view name, std::string& out) {
    if (name == "content_type") {
        if (r.content_type.empty()) {
            return false;
        }
        out.append(r.content_type);
        return true;
    }
    if (name == "content_length") {
        if (r.content_length_out < 0) {
            return first_header(r.headers_out, name, out);
        }
        append_uint(out, static_cast<uint64_t>(r.content_length_out));
        return true;
    }
    if (name == "location") {
        if (r.location_header.empty()) {
            return first_header(r.headers_out, name, out);
        }
        out.append(r.location_header);
        return true;
    }
    if (name == "last_modified" && r.last_modified >= 0) {
        char buf[40];
        size_t n = core::format_http_time(r.last_modified, buf);
        out.append(buf, n);
        return true;
    }
    if (header_name_matches("cache-control", name) || header_name_matches("link", name)) {
        // nginx 1.22 keeps these two as lists (ngx_http_variable_headers): every value, joined.
        return joined_headers(r.headers_out, name, out, ", ");
    }
    return first_header(r.headers_out, name, out);
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

// ---- builtin getters

bool v_uri(Request& r, std::string& out) {
    out.append(r.uri);
    return true;
}
bool v_request_uri(Request& r, std::string& out) {
    out.append(r.unparsed_uri);
    return true;
}
bool v_args(Request& r, std::string& out) {
    // nginx: "not found" (nil in Lua, "-" in access logs) when there are none: no '?', nothing
    // after it, or an internal redirect without arguments.
    if (r.args.empty() && r.args_null) {
        return false;
    }
    out.append(r.args);
    return true;
}
bool v_is_args(Request& r, std::string& out) {
    if (!r.args.empty()) {
        out.push_back('?');
    }
    return true;
}
bool v_host(Request& r, std::string& out) {
    if (!r.host.empty()) {
        out.append(r.host);
    } else if (r.server != nullptr) {
        out.append(r.server->first_name);
    }
    return true;
}
bool v_hostname(Request& r, std::string& out) {
    static const std::string name = [] {
        char buf[HOST_NAME_MAX + 1] = {0};
        if (gethostname(buf, sizeof(buf) - 1) != 0) {
            return std::string("localhost");
        }
        std::string s(buf);
        for (char& c : s) {
            c = lower(c);
        }
        return s;
    }();
    out.append(name);
    return true;
}
bool v_remote_addr(Request& r, std::string& out) {
    if (r.conn_info == nullptr) {
        return false;
    }
    out.append(r.conn_info->remote_addr);
    return true;
}
bool v_remote_port(Request& r, std::string& out) {
    if (r.conn_info == nullptr) {
        return false;
    }
    if (r.conn_info->remote_port > 0) {
        append_uint(out, static_cast<uint64_t>(r.conn_info->remote_port));
    }
    return true;
}
// $realip_remote_addr / $realip_remote_port: the connection's own client address, whether or
// not realip replaced $remote_addr.
bool v_realip_remote_addr(Request& r, std::string& out) {
    const ConnectionInfo* ci = r.realip_orig != nullptr ? r.realip_orig : r.conn_info;
    if (ci == nullptr) {
        return false;
    }
    out.append(ci->remote_addr);
    return true;
}
bool v_realip_remote_port(Request& r, std::string& out) {
    const ConnectionInfo* ci = r.realip_orig != nullptr ? r.realip_orig : r.conn_info;
    if (ci == nullptr) {
        return false;
    }
    if (ci->remote_port > 0) {
        append_uint(out, static_cast<uint64_t>(ci->remote_port));
    }
    return true;
}
bool v_remote_user(Request& r, std::string& out) {
    std::string auth;
    if (!first_header(r.headers_in, "authorization", auth)) {
        return false;
    }
    std::string_view a = auth;
    if (a.size() < 6 || strncasecmp(a.data(), "Basic ", 6) != 0) {
        return false;
    }
    a.remove_prefix(6);
    while (!a.empty() && a.front() == ' ') {
        a.remove_prefix(1);
    }
    std::string decoded;
    int bits = 0;
    uint32_t acc = 0;
    for (char c : a) {
        if (c == '=') {
            break;
        }
        int v = base64_value(c);
        if (v < 0) {
            return false;
        }
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            decoded.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    size_t colon = decoded.find(':');
    if (colon == std::string::npos) {
        return false;
    }
    out.append(decoded, 0, colon);
    return true;
}
bool v_server_addr(Request& r, std::string& out) {
    if (r.conn_info == nullptr) {
        return false;
    }
    if (!r.conn_info->server_addr.empty()) {
        out.append(r.conn_info->server_addr);
        return true;
    }
    if (r.conn_info->group != nullptr) {
        const Listen& l = r.conn_info->group->listen;
        if (l.is_unix) {
            out.append("unix:");
            return true;
        }
        out.append(l.host.empty() || l.host == "*" ? "0.0.0.0" : l.host);
        return true;
    }
    return false;
}
bool v_server_port(Request& r, std::string& out) {
    if (r.conn_info == nullptr) {
        return false;
    }
    int port = r.conn_info->server_port;
    if (port == 0 && r.conn_info->group != nullptr && !r.conn_info->group->listen.is_unix) {
        port = r.conn_info->group->listen.port;
    }
    if (port > 0) {
        append_uint(out, static_cast<uint64_t>(port));
    }
    return true;
}
bool v_server_name(Request& r, std::string& out) {
    if (r.server == nullptr) {
        return false;
    }
    out.append(r.server->first_name);
    return true;
}
bool v_scheme(Request& r, std::string& out) {
    out.append("http");
    return true;
}
bool v_https(Request& r, std::string& out) { return true; }
bool v_request_method(Request& r, std::string& out) {
    if (r.method.empty()) {
        return false;
    }
    out.append(r.method);
    return true;
}
bool v_request(Request& r, std::string& out) {
    if (r.request_line.empty()) {
        return false;
    }
    out.append(r.request_line);
    return true;
}
bool v_status(Request& r, std::string& out) {
    int status = r.err_status != 0 ? r.err_status : r.status;
    char buf[8];
    int n = std::snprintf(buf, sizeof(buf), "%03d", status < 0 ? 0 : status % 1000);
    out.append(buf, n);
    return true;
}
bool v_body_bytes_sent(Request& r, std::string& out) {
    append_uint(out, r.body_bytes_sent);
    return true;
}
bool v_bytes_sent(Request& r, std::string& out) {
    append_uint(out, r.bytes_sent);
    return true;
}
bool v_request_time(Request& r, std::string& out) {
    append_msec(out, core::cached_time().msec - r.start_msec);
    return true;
}
bool v_msec(Request& r, std::string& out) {
    append_msec(out, core::cached_time().msec);
    return true;
}
bool v_time_local(Request& r, std::string& out) {
    out.append(core::cached_time().local_time);
    return true;
}
bool v_time_iso8601(Request& r, std::string& out) {
    out.append(core::cached_time().iso8601);
    return true;
}
bool v_content_length(Request& r, std::string& out) {
    if (first_header(r.headers_in, "content_length", out)) {
        return true;
    }
    if (r.content_length_in >= 0) {
        append_uint(out, static_cast<uint64_t>(r.content_length_in));
        return true;
    }
    return false;
}
bool v_content_type(Request& r, std::string& out) {
    return first_header(r.headers_in, "content_type", out);
}
bool v_document_root(Request& r, std::string& out) {
    if (r.loc == nullptr || r.loc->root == nullptr) {
        return false;
    }
    r.loc->root->eval(r, out);
    return true;
}
bool v_realpath_root(Request& r, std::string& out) {
    std::string root;
    if (!v_document_root(r, root)) {
        return false;
    }
    char buf[PATH_MAX];
    if (realpath(root.c_str(), buf) == nullptr) {
        return false;
    }
    out.append(buf);
    return true;
}
bool v_request_filename(Request& r, std::string& out) {
    std::string path;
    if (r.loc == nullptr || !map_uri_to_path(r, r.uri, path)) {
        return false;
    }
    out.append(path);
    return true;
}
bool v_server_protocol(Request& r, std::string& out) {
    char buf[16];
    int n = std::snprintf(buf, sizeof(buf), "HTTP/%d.%d", r.http_major, r.http_minor);
    out.append(buf, n);
    return true;
}
bool v_connection(Request& r, std::string& out) {
    if (r.conn_info == nullptr) {
        return false;
    }
    append_uint(out, r.conn_info->number);
    return true;
}
bool v_connection_requests(Request& r, std::string& out) {
    if (r.conn_info == nullptr) {
        return false;
    }
    append_uint(out, r.conn_info->requests);
    return true;
}
bool v_nginx_version(Request& r, std::string& out) {
    out.append(TYCHO_NGINX_VERSION);
    return true;
}
bool v_pid(Request& r, std::string& out) {
    // The worker's own id, as nginx's $pid is the worker process's: the worker thread's tid,
    // which is also ngx.worker.pid() and the #TID of its log lines.
    append_uint(out, static_cast<uint64_t>(core::current_tid()));
    return true;
}
bool v_request_body(Request& r, std::string& out) {
    // nginx: only a body read into memory that has bytes (no buffers, no value).
    if (!r.body_read || r.body.empty() || !r.body_file.empty()) {
        return false;
    }
    out.append(r.body);
    return true;
}
bool v_request_length(Request& r, std::string& out) {
    uint64_t n = r.raw_header.size();
    if (r.body_read) {
        n += r.body.size();
    }
    append_uint(out, n);
    return true;
}

struct Builtin {
    const char* name;
    Getter get;
};

constexpr Builtin kBuiltins[] = {
    {"uri", v_uri},
    {"document_uri", v_uri},
    {"request_uri", v_request_uri},
    {"args", v_args},
    {"query_string", v_args},
    {"is_args", v_is_args},
    {"host", v_host},
    {"hostname", v_hostname},
    {"remote_addr", v_remote_addr},
    {"remote_port", v_remote_port},
    {"realip_remote_addr", v_realip_remote_addr},
    {"realip_remote_port", v_realip_remote_port},
    {"remote_user", v_remote_user},
    {"server_addr", v_server_addr},
    {"server_port", v_server_port},
    {"server_name", v_server_name},
    {"scheme", v_scheme},
    {"https", v_https},
    {"request_method", v_request_method},
    {"request", v_request},
    {"status", v_status},
    {"body_bytes_sent", v_body_bytes_sent},
    {"bytes_sent", v_bytes_sent},
    {"request_time", v_request_time},
    {"msec", v_msec},
    {"time_local", v_time_local},
    {"time_iso8601", v_time_iso8601},
    {"content_length", v_content_length},
    {"content_type", v_content_type},
    {"document_root", v_document_root},
    {"realpath_root", v_realpath_root},
    {"request_filename", v_request_filename},
    {"server_protocol", v_server_protocol},
    {"connection", v_connection},
    {"connection_requests", v_connection_requests},
    {"nginx_version", v_nginx_version},
    {"pid", v_pid},
    {"request_body", v_request_body},
    {"request_length", v_request_length},
};

const std::unordered_map<std::string_view, int>& builtin_index() {
    static const std::unordered_map<std::string_view, int> map = [] {
        std::unordered_map<std::string_view, int> m;
        for (size_t i = 0; i < std::size(kBuiltins); i++) {
            m.emplace(kBuiltins[i].name, static_cast<int>(i));
        }
        return m;
    }();
    return map;
}

int find_builtin(std::string_view name) {
    const auto& map = builtin_index();
    auto it = map.find(name);
    return it == map.end() ? -1 : it->second;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool capture_value(Request& r, int n, std::string& out) {
    size_t i = static_cast<size_t>(n) * 2;
    if (i + 1 >= r.captures.size()) {
        return false;
    }
    int start = r.captures[i];
    int end = r.captures[i + 1];
    if (start < 0 || end < start || static_cast<size_t>(end) > r.captures_subject.size()) {
        return false;
    }
    out.append(r.captures_subject, static_cast<size_t>(start), static_cast<size_t>(end - start));
    return true;
}

// True for the families resolved by name ($arg_x, $http_x, $cookie_x, $sent_http_x, $0..$9):
// a missing value there is just "not found", never an uninitialized `set` variable.
bool is_prefix_variable(std::string_view name) {
    if (name.size() == 1 && name[0] >= '0' && name[0] <= '9') {
        return true;
    }
    return starts_with(name, "arg_") || starts_with(name, "http_") ||
           starts_with(name, "cookie_") || starts_with(name, "sent_http_");
}

bool is_name_char(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

}  // namespace

core::Result<std::shared_ptr<ComplexValue>> ComplexValue::compile(std::string_view text) {
    auto cv = std::make_shared<ComplexValue>();
    cv->source_ = std::string(text);
    std::string literal;
    auto flush = [&] {
        if (!literal.empty()) {
            Part p;
            p.text = std::move(literal);
            cv->parts_.push_back(std::move(p));
            literal.clear();
        }
    };
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] != '$') {
            literal.push_back(text[i++]);
            continue;
        }
        // ngx_http_script_compile(): "$1".."$9", "${name}", "$name".
        if (++i == text.size()) {
            return core::Status::error("invalid variable name in \"" + cv->source_ + "\"");
        }
        if (text[i] >= '1' && text[i] <= '9') {
            flush();
            Part p;
            p.is_var = true;
            p.capture = text[i] - '0';
            p.text = std::string(1, text[i]);
            cv->parts_.push_back(std::move(p));
            i++;
            continue;
        }
        bool bracket = false;
        if (text[i] == '{') {
            bracket = true;
            if (++i == text.size()) {
                return core::Status::error("invalid variable name in \"" + cv->source_ + "\"");
            }
        }
        size_t start = i;
        size_t len = 0;
        for (; i < text.size(); i++, len++) {
            char ch = text[i];
            if (ch == '}' && bracket) {
                i++;
                bracket = false;
                break;
            }
            if (!is_name_char(ch)) {
                break;
            }
        }
        if (bracket) {
            return core::Status::error("the closing bracket in \"" +
                                       std::string(text.substr(start, len)) +
                                       "\" variable is missing");
        }
        if (len == 0) {
            return core::Status::error("invalid variable name in \"" + cv->source_ + "\"");
        }
        flush();
        Part p;
        p.is_var = true;
        p.text = std::string(text.substr(start, len));
        for (char& c : p.text) {
            c = lower(c);
        }
        p.var_index = find_builtin(p.text);
        cv->parts_.push_back(std::move(p));
    }
    flush();
    if (cv->is_literal()) {
        // source() is documented as the text when literal: keep it byte-exact.
        cv->source_ = cv->parts_.empty() ? std::string() : cv->parts_[0].text;
    }
    return cv;
}

void ComplexValue::eval(Request& r, std::string& out) const {
    for (const Part& p : parts_) {
        if (!p.is_var) {
            out.append(p.text);
        } else if (p.capture > 0) {
            capture_value(r, p.capture, out);
        } else if (p.var_index >= 0) {
            kBuiltins[p.var_index].get(r, out);
        } else if (!get_variable(r, p.text, out) && !is_prefix_variable(p.text) &&
                   (r.loc == nullptr || r.loc->uninitialized_variable_warn != 0)) {
            // Config checks leave only `set` variables here: one this request never set
            // (ngx_http_rewrite_var).
            log_request(core::LogLevel::kWarn, r,
                        "using uninitialized \"" + p.text + "\" variable");
        }
    }
}

std::vector<std::string> ComplexValue::variable_names() const {
    std::vector<std::string> names;
    for (const Part& p : parts_) {
        if (p.is_var) {
            names.push_back(p.text);
        }
    }
    return names;
}

bool is_known_variable(std::string_view name, const std::vector<std::string>& set_variables) {
    if (find_builtin(name) >= 0) {
        return true;
    }
    if (name.size() == 1 && name[0] >= '0' && name[0] <= '9') {
        return true;
    }
    if (starts_with(name, "arg_") || starts_with(name, "http_") || starts_with(name, "cookie_") ||
        starts_with(name, "sent_http_")) {
        return true;
    }
    for (const std::string& s : set_variables) {
        if (s == name) {
            return true;
        }
    }
    return false;
}

bool get_variable(Request& r, std::string_view name, std::string& out) {
    int idx = find_builtin(name);
    if (idx >= 0) {
        return kBuiltins[idx].get(r, out);
    }
    if (!r.variables.empty()) {
        auto it = r.variables.find(std::string(name));
        if (it != r.variables.end()) {
            out.append(it->second);
            return true;
        }
    }
    if (name.size() == 1 && name[0] >= '0' && name[0] <= '9') {
        return capture_value(r, name[0] - '0', out);
    }
    if (map_variable(r, name, out)) {
        return true;
    }
    if (starts_with(name, "http_")) {
        return http_header(r, name.substr(5), out);
    }
    if (starts_with(name, "arg_")) {
        return arg_value(r.args, name.substr(4), out);
    }
    if (starts_with(name, "cookie_")) {
        return cookie_value(r, name.substr(7), out);
    }
    if (starts_with(name, "sent_http_")) {
        return sent_header(r, name.substr(10), out);
    }
    return false;
}

bool set_variable(Request& r, std::string_view name, std::string_view value) {
    if (name == "args" || name == "query_string") {
        r.args = std::string(value);
        r.args_null = false;
        return true;
    }
    if (find_builtin(name) >= 0) {
        return false;
    }
    r.variables[std::string(name)] = std::string(value);
    return true;
}

bool is_builtin_variable(std::string_view name) { return find_builtin(name) >= 0; }

}  // namespace tycho::http
