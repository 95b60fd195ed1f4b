// Response serialization (nginx's header filter, chunked filter and special responses) on top
// of the connection's output buffer.

#include "http/response.h"

#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/clock.h"
#include "core/version.h"
#include "http/connection.h"
#include "http/phases.h"
#include "http/static.h"
#include "http/variables.h"

namespace tycho::http {
namespace {

// nginx's write filter holds back less than postpone_output (default 1460) bytes unless
// flushed; a body's last piece smaller than that is copied into the buffer and sent with it.
constexpr size_t kPostponeOutput = 1460;

// postpone_output as a byte count (the default outside a location).
size_t postpone_limit(const LocConf& lc) {
    return lc.postpone_output < 0 ? kPostponeOutput : static_cast<size_t>(lc.postpone_output);
}

const LocConf& loc_of(const Request& r) {
    static const LocConf kDefault;
    if (r.loc != nullptr) {
        return *r.loc;
    }
    if (r.server != nullptr) {
        return r.server->conf;
    }
    return kDefault;
}

}  // namespace

core::Status parse_expires(std::string_view text, bool modified, Expires& out) {
    using Kind = Expires::Kind;
    out.modified = modified;
    if (text == "epoch") {
        out.kind = Kind::kEpoch;
        return core::Status::ok();
    }
    if (text == "max") {
        out.kind = Kind::kMax;
        return core::Status::ok();
    }
    if (text == "off") {
        out.kind = Kind::kOff;
        return core::Status::ok();
    }
    std::string_view t = text;
    bool daily = !t.empty() && t[0] == '@';
    bool minus = false;
    if (daily) {
        t.remove_prefix(1);
    } else if (!t.empty() && (t[0] == '+' || t[0] == '-')) {
        minus = t[0] == '-';
        t.remove_prefix(1);
    }
    core::Result<int64_t> sec = core::parse_time_sec(t);
    if (!sec) {
        return core::Status::error("invalid value");
    }
    if (daily) {
        if (*sec >= 24 * 60 * 60) {
            return core::Status::error("daily time value must be less than 24 hours");
        }
        out.kind = Kind::kDaily;
        out.seconds = *sec;
        return core::Status::ok();
    }
    out.kind = modified ? Kind::kModified : Kind::kAccess;
    out.seconds = minus ? -*sec : *sec;
    return core::Status::ok();
}

namespace {

// ngx_next_time(): the next moment (after now) the local clock shows `daily` seconds past
// midnight.
int64_t next_daily(int64_t now, int64_t daily) {
    time_t t = static_cast<time_t>(now);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = static_cast<int>(daily / 3600);
    tm.tm_min = static_cast<int>(daily / 60 % 60);
    tm.tm_sec = static_cast<int>(daily % 60);
    tm.tm_isdst = -1;
    time_t next = mktime(&tm);
    if (next == static_cast<time_t>(-1)) {
        return -1;
    }
    if (next <= t) {
        tm.tm_mday++;
        tm.tm_isdst = -1;
        next = mktime(&tm);
    }
    return static_cast<int64_t>(next);
}

// Sets `name` in the response's headers: the first one of that name gets `value`, any others go
// (ngx_http_set_expires with Cache-Control); appended when there is none.
void set_single_header(Request& r, std::string_view name, std::string value) {
    Header* first = nullptr;
    for (Header& h : r.headers_out) {
        if (h.name.size() == name.size() && strncasecmp(h.name.data(), name.data(), name.size()) == 0) {
            if (first == nullptr) {
                first = &h;
            } else {
                h.value.clear();  // an empty value is not sent
            }
        }
    }
    if (first == nullptr) {
        first = &r.headers_out.emplace_back();
        first->name.assign(name);
    }
    first->value = std::move(value);
}

// ngx_http_set_expires(): Expires and Cache-Control for the `expires` in force.
void apply_expires(Request& r, const Expires& conf) {
    Expires runtime;
    const Expires* e = &conf;
    if (conf.value != nullptr) {
        std::string text = conf.value->eval(r);
        if (!parse_expires(text, conf.modified, runtime)) {
            return;  // as nginx: a value that is not a time sets nothing, silently
        }
        e = &runtime;
    }
    using Kind = Expires::Kind;
    if (e->kind == Kind::kOff) {
        return;
    }
    if (e->kind == Kind::kEpoch) {
        set_single_header(r, "Expires", "Thu, 01 Jan 1970 00:00:01 GMT");
        set_single_header(r, "Cache-Control", "no-cache");
        return;
    }
    if (e->kind == Kind::kMax) {
        set_single_header(r, "Expires", "Thu, 31 Dec 2037 23:55:55 GMT");
        set_single_header(r, "Cache-Control", "max-age=315360000");
        return;
    }
    if (e->seconds == 0 && e->kind != Kind::kDaily) {
        set_single_header(r, "Expires", std::string(core::cached_time().http_time));
        set_single_header(r, "Cache-Control", "max-age=0");
        return;
    }
    int64_t now = core::cached_time().sec;
    int64_t when;
    int64_t max_age;
    if (e->kind == Kind::kDaily) {
        when = next_daily(now, e->seconds);
        max_age = when - now;
    } else if (e->kind == Kind::kAccess || r.last_modified < 0) {
        when = now + e->seconds;
        max_age = e->seconds;
    } else {
        when = r.last_modified + e->seconds;
        max_age = when - now;
    }
    char buf[40];
    size_t n = core::format_http_time(when, buf);
    set_single_header(r, "Expires", std::string(buf, n));
    if (e->seconds < 0 || max_age < 0) {
        set_single_header(r, "Cache-Control", "no-cache");
        return;
    }
    set_single_header(r, "Cache-Control", "max-age=" + std::to_string(max_age));
}

bool add_header_status(int status) {
    switch (status) {
        case 200:
        case 201:
        case 204:
        case 206:
        case 301:
        case 302:
        case 303:
        case 304:
        case 307:
        case 308:
            return true;
        default:
            return false;
    }
}

// std::to_chars, not snprintf: this runs for every response (status, Content-Length, chunk
// sizes) and snprintf's format parsing was ~10% of a keep-alive request's user time.
void append_int(std::string& out, int64_t v, int base = 10) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof(buf), v, base);
    out.append(buf, static_cast<size_t>(res.ptr - buf));
}

// Builds a response header in a stack buffer and appends it to the output once: each piece is
// a memcpy instead of a std::string append with its own capacity check (a header is ~20 pieces).
// Pieces that do not fit go straight to the output after what is buffered.
class HeaderWriter {
public:
    explicit HeaderWriter(std::string& out) : out_(out) {}
    HeaderWriter(const HeaderWriter&) = delete;
    HeaderWriter& operator=(const HeaderWriter&) = delete;

    void put(std::string_view s) {
        if (s.empty()) {
            return;  // its data() may be null, which memcpy may not take even for 0 bytes
        }
        if (s.size() > sizeof(buf_) - len_) {
            flush();
            if (s.size() > sizeof(buf_)) {
                out_.append(s);
                return;
            }
        }
        std::memcpy(buf_ + len_, s.data(), s.size());
        len_ += s.size();
    }
    void put_int(int64_t v) {
        char tmp[24];
        auto res = std::to_chars(tmp, tmp + sizeof(tmp), v);
        put(std::string_view(tmp, static_cast<size_t>(res.ptr - tmp)));
    }
    void header(std::string_view name, std::string_view value) {
        put(name);
        put(": ");
        put(value);
        put("\r\n");
    }
    void flush() {
        out_.append(buf_, len_);
        len_ = 0;
    }

private:
    std::string& out_;
    size_t len_ = 0;
    char buf_[1024];
};

// The built-in pages of ngx_http_special_response.c (without the MSIE padding).
std::string_view error_page_text(int status) {
#define TYCHO_PAGE(code, text)                                     \
    case code:                                                     \
        return "<html>\r\n<head><title>" #code " " text            \
               "</title></head>\r\n<body>\r\n<center><h1>" #code " " text \
               "</h1></center>\r\n"
    switch (status) {
        TYCHO_PAGE(301, "Moved Permanently");
        TYCHO_PAGE(302, "Found");
        TYCHO_PAGE(303, "See Other");
        TYCHO_PAGE(307, "Temporary Redirect");
        TYCHO_PAGE(308, "Permanent Redirect");
        TYCHO_PAGE(400, "Bad Request");
        TYCHO_PAGE(401, "Authorization Required");
        TYCHO_PAGE(402, "Payment Required");
        TYCHO_PAGE(403, "Forbidden");
        TYCHO_PAGE(404, "Not Found");
        TYCHO_PAGE(405, "Not Allowed");
        TYCHO_PAGE(406, "Not Acceptable");
        TYCHO_PAGE(408, "Request Time-out");
        TYCHO_PAGE(409, "Conflict");
        TYCHO_PAGE(410, "Gone");
        TYCHO_PAGE(411, "Length Required");
        TYCHO_PAGE(412, "Precondition Failed");
        TYCHO_PAGE(413, "Request Entity Too Large");
        TYCHO_PAGE(414, "Request-URI Too Large");
        TYCHO_PAGE(415, "Unsupported Media Type");
        TYCHO_PAGE(416, "Requested Range Not Satisfiable");
        TYCHO_PAGE(421, "Misdirected Request");
        TYCHO_PAGE(429, "Too Many Requests");
        TYCHO_PAGE(500, "Internal Server Error");
        TYCHO_PAGE(501, "Not Implemented");
        TYCHO_PAGE(502, "Bad Gateway");
        TYCHO_PAGE(503, "Service Temporarily Unavailable");
        TYCHO_PAGE(504, "Gateway Time-out");
        TYCHO_PAGE(505, "HTTP Version Not Supported");
        TYCHO_PAGE(507, "Insufficient Storage");
        case 431:
        case 494:
            return "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>"
                   "\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n"
                   "<center>Request Header Or Cookie Too Large</center>\r\n";
        case 498:
            return error_page_text(404);
        default:
            return {};
    }
#undef TYCHO_PAGE
}

constexpr std::string_view kFullTail = "<hr><center>" TYCHO_VER "</center>\r\n</body>\r\n</html>\r\n";
constexpr std::string_view kTail = "<hr><center>tycho</center>\r\n</body>\r\n</html>\r\n";

void remove_header(HeaderList& headers, std::string_view name) {
    for (size_t i = 0; i < headers.size();) {
        const std::string& n = headers[i].name;
        if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) {
            headers.erase(headers.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
            i++;
        }
    }
}

void finish_response(Request& r, Connection* c) {
    if (!r.response_done) {
        r.response_done = true;
        c->response_finished();
    }
}

}  // namespace

std::string_view status_reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 302: return "Moved Temporarily";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 402: return "Payment Required";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Not Allowed";
        case 406: return "Not Acceptable";
        case 408: return "Request Time-out";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 413: return "Request Entity Too Large";
        case 414: return "Request-URI Too Large";
        case 415: return "Unsupported Media Type";
        case 416: return "Requested Range Not Satisfiable";
        case 421: return "Misdirected Request";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Temporarily Unavailable";
        case 504: return "Gateway Time-out";
        case 505: return "HTTP Version Not Supported";
        case 507: return "Insufficient Storage";
        default: return {};
    }
}

namespace {

// The charset filter without recoding: `charset` joins a Content-Type of charset_types that
// names none. (nginx skips bodies its gzip filter encoded; a Content-Encoding set from Lua is
// only a header there, and Tycho has no gzip.)
void add_charset(Request& r, const LocConf& lc) {
    std::string_view type = r.content_type;
    size_t semi = type.find(';');
    std::string_view params =
        semi == std::string_view::npos ? std::string_view() : type.substr(semi);
    type = type.substr(0, std::min(semi, type.find(' ')));
    bool listed = false;
    for (const std::string& t : lc.charset_types) {
        listed = listed || t == "*" ||
                 (t.size() == type.size() && strncasecmp(t.data(), type.data(), t.size()) == 0);
    }
    if (!listed) {
        return;
    }
    for (size_t i = 0; i + 8 <= params.size(); i++) {
        if (strncasecmp(params.data() + i, "charset=", 8) == 0) {
            return;
        }
    }
    std::string charset;
    lc.charset->eval(r, charset);
    if (!charset.empty()) {
        r.content_type.append("; charset=").append(charset);
    }
}

}  // namespace

int send_header(Request& r) {
    Connection* c = r.connection;
    if (c == nullptr) {
        return kError;
    }
    if (r.header_sent) {
        return kOk;
    }
    const LocConf& lc = loc_of(r);
    if (lc.header_filter != nullptr && !c->broken() && !r.filter_finalized) {
        // The filter sees (and may change) the final status and headers before they go out.
        if (r.status == 0) {
            r.status = 200;
        }
        if (r.err_status > 0) {
            r.status = r.err_status;
        }
        int rc = lc.header_filter->handle(r);
        if (rc >= 200) {
            // ngx.exit(status) in the filter: as nginx's ngx_http_filter_finalize_request, the
            // response becomes the special response for `status` (its page, or no body) with
            // the headers set so far; the handler's later output is dropped.
            r.filter_finalized = true;
            r.content_type.clear();
            send_special_response(r, rc);
            return kOk;
        }
        if (rc != kOk && rc != kDeclined) {
            r.header_sent = true;
            r.keepalive = false;
            c->abort_request();
            return kError;
        }
    }
    // nginx's not_modified filter, for any 200 response (a Lua handler's too): the request's
    // If-* conditions against the ETag and Last-Modified going out. Most requests have none:
    // one pass over the names' first bytes says so.
    bool conditional = false;
    if ((r.status == 0 || r.status == 200) && r.err_status == 0 && !r.filter_finalized) {
        for (const Header& h : r.headers_in) {
            const std::string& n = h.name;
            if (n.size() >= 8 && n[2] == '-' && (n[0] | 0x20) == 'i' && (n[1] | 0x20) == 'f') {
                conditional = true;
                break;
            }
        }
    }
    if (conditional) {
        auto named = [](const std::string& n, std::string_view want) {
            return n.size() == want.size() && strncasecmp(n.data(), want.data(), n.size()) == 0;
        };
        std::string_view etag;
        int64_t mtime = r.last_modified;
        for (const Header& h : r.headers_out) {
            if (h.value.empty()) {
                continue;
            }
            if (named(h.name, "ETag")) {
                etag = h.value;
            } else if (mtime < 0 && named(h.name, "Last-Modified")) {
                mtime = core::parse_http_time(h.value);
            }
        }
        int cond = check_conditions(r, etag, mtime);
        if (cond == 412) {
            // ngx_http_filter_finalize_request: the 412 page, then the connection closes (the
            // handler's output fails with NGX_ERROR there).
            r.filter_finalized = true;
            r.keepalive = false;
            r.content_type.clear();
            send_special_response(r, 412);
            return kOk;
        }
        if (cond == 304) {
            r.status = 304;
            r.content_type.clear();
            r.content_length_out = -1;
            remove_header(r.headers_out, "Content-Length");
            remove_header(r.headers_out, "Accept-Ranges");
            remove_header(r.headers_out, "Content-Encoding");
        }
    }
    r.header_sent = true;
    if (c->broken()) {
        return kError;
    }
    if (r.status == 0) {
        r.status = 200;
    }
    // An error page keeps the error's status (or error_page's "=CODE"), whatever served it.
    if (r.err_status > 0) {
        r.status = r.err_status;
    }
    int status = r.status;
    // An unread body stays readable after the header (ngx.say before ngx.req.read_body works,
    // as in OpenResty); handlers that ignore it discard it, and the connection drains what is
    // left once the request ends.
    int64_t content_length = r.content_length_out;
    bool no_body_status = status == 204 || status == 304 || status < 200;
    if (no_body_status) {
        r.header_only = true;
        content_length = -1;
    }
    if (status == 204) {
        r.content_type.clear();
        r.last_modified = -1;
    }
    // nginx leaves a redirect's type alone (old browsers took its charset for the next page's).
    if (lc.charset != nullptr && !r.content_type.empty() && status != 301 && status != 302) {
        add_charset(r, lc);
    }
    if (r.keepalive) {
        int64_t timeout = lc.keepalive_timeout < 0 ? 75000 : lc.keepalive_timeout;
        int64_t max_requests = lc.keepalive_requests < 0 ? 1000 : lc.keepalive_requests;
        const ConnectionInfo* ci = r.conn_info;
        if (timeout == 0 || (ci != nullptr && static_cast<int64_t>(ci->requests) >= max_requests) ||
            c->shutting_down()) {
            r.keepalive = false;
        }
    }
    bool chunked = false;
    if (content_length < 0 && !r.header_only && !no_body_status) {
        if ((r.http_major > 1 || (r.http_major == 1 && r.http_minor >= 1)) &&
            lc.chunked_transfer_encoding != 0) {
            chunked = true;
        } else {
            r.keepalive = false;  // HTTP/1.0: the end of the body is the end of the connection
        }
    }
    r.chunked_out = chunked;

    HeaderWriter o(c->out());
    if (status == 200) {
        o.put("HTTP/1.1 200 OK\r\n");
    } else {
        o.put("HTTP/1.1 ");
        if (status >= 0 && status < 100) {
            o.put(status < 10 ? "00" : "0");  // nginx prints "%03ui"
        }
        o.put_int(status);
        o.put(" ");
        o.put(status_reason(status));
        o.put("\r\n");
    }
    // A "Server" / "Date" in headers_out (ngx.header.Server = ...) replaces nginx's own; one
    // with an empty value removes it (ngx.header.Date = nil).
    bool own_server = false;
    bool own_date = false;
    for (const Header& h : r.headers_out) {
        if (h.name.size() == 6 && strncasecmp(h.name.data(), "Server", 6) == 0) {
            own_server = true;
        } else if (h.name.size() == 4 && strncasecmp(h.name.data(), "Date", 4) == 0) {
            own_date = true;
        }
    }
    if (!own_server) {
        o.put(lc.server_tokens == 0 ? std::string_view("Server: tycho\r\n")
                                    : std::string_view("Server: " TYCHO_VER "\r\n"));
    }
    if (!own_date) {
        o.put("Date: ");
        o.put(core::cached_time().http_time);
        o.put("\r\n");
    }
    if (!r.content_type.empty()) {
        o.header("Content-Type", r.content_type);
    }
    if (content_length >= 0) {
        o.put("Content-Length: ");
        o.put_int(content_length);
        o.put("\r\n");
    }
    if (r.last_modified >= 0) {
        char buf[40];
        size_t n = core::format_http_time(r.last_modified, buf);
        o.header("Last-Modified", std::string_view(buf, n));
    }
    if (!r.location_header.empty()) {
        o.put("Location: ");
        if (r.location_header[0] == '/' && lc.absolute_redirect != 0) {
            o.put("http://");
            if (lc.server_name_in_redirect == 1 && r.server != nullptr) {
                o.put(r.server->first_name);
            } else if (!r.host.empty()) {
                o.put(r.host);
            } else if (r.server != nullptr && !r.server->first_name.empty()) {
                o.put(r.server->first_name);
            } else if (r.conn_info != nullptr && !r.conn_info->server_addr.empty()) {
                o.put(r.conn_info->server_addr);
            } else {
                o.put("localhost");
            }
            int port = r.conn_info != nullptr ? r.conn_info->server_port : 80;
            if (lc.port_in_redirect != 0 && port != 80 && port != 0) {
                o.put(":");
                o.put_int(port);
            }
        }
        o.put(r.location_header);
        o.put("\r\n");
    }
    if (chunked) {
        o.put("Transfer-Encoding: chunked\r\n");
    }
    if (r.keepalive) {
        o.put("Connection: keep-alive\r\n");
        if (lc.keepalive_header > 0) {
            o.put("Keep-Alive: timeout=");
            o.put_int(lc.keepalive_header / 1000);
            o.put("\r\n");
        }
    } else {
        o.put("Connection: close\r\n");
    }
    if (lc.expires != nullptr &&
        (lc.expires->kind != Expires::Kind::kOff || lc.expires->value != nullptr) &&
        add_header_status(status)) {
        apply_expires(r, *lc.expires);
    }
    if (!lc.add_headers.empty()) {
        // nginx's headers filter adds them to the response's headers, where $sent_http_*,
        // ngx.header and ngx.resp.get_headers() see them afterwards.
        bool listed = add_header_status(status);
        std::string value;
        for (const AddHeader& ah : lc.add_headers) {
            if (!listed && !ah.always) {
                continue;
            }
            value.clear();
            if (ah.value != nullptr) {
                ah.value->eval(r, value);
            }
            if (!value.empty()) {
                Header& h = r.headers_out.emplace_back();
                h.name.append(ah.name);
                h.value.append(value);
            }
        }
    }
    for (const Header& h : r.headers_out) {
        if (!h.name.empty() && !h.value.empty()) {
            o.header(h.name, h.value);
        }
    }
    o.put("\r\n");
    o.flush();
    // The header waits for the body unless it alone reaches postpone_output (as nginx's write
    // filter, which the header passes through first).
    if (r.header_only || c->out().size() >= postpone_limit(lc)) {
        c->write_out();
    }
    return c->broken() ? kError : kOk;
}

namespace {

int send_body_unfiltered(Request& r, std::string_view data, bool last);

// Passes a body piece through the location's body filter, then sends what it made of it.
int send_filtered_body(Request& r, std::string_view data, bool last, BodyFilter& filter) {
    std::string piece(data);  // a copy only when a filter is configured
    bool eof = last;
    if (filter.filter(r, piece, eof) != kOk) {
        r.keepalive = false;
        if (r.connection != nullptr) {
            r.connection->abort_request();
        }
        return kError;
    }
    if (piece.empty() && !eof) {
        return kOk;
    }
    return send_body_unfiltered(r, piece, eof);
}

}  // namespace

int send_body(Request& r, std::string_view data, bool last) {
    Connection* c = r.connection;
    if (c == nullptr) {
        return kError;
    }
    if (!r.header_sent) {
        int rc = send_header(r);
        if (rc != kOk && !last) {
            return rc;
        }
    }
    if (r.response_done) {
        return kOk;
    }
    if (r.loc != nullptr && r.loc->body_filter != nullptr && !r.header_only && !c->broken()) {
        return send_filtered_body(r, data, last, *r.loc->body_filter);
    }
    return send_body_unfiltered(r, data, last);
}

namespace {

int send_body_unfiltered(Request& r, std::string_view data, bool last) {
    Connection* c = r.connection;
    if (r.response_done) {
        return kOk;
    }
    if (c->broken()) {
        if (last) {
            finish_response(r, c);
        }
        return kError;
    }
    if (r.header_only) {
        if (last) {
            finish_response(r, c);
        }
        return kOk;
    }
    r.body_bytes_sent += data.size();
    iovec iov[2];
    int n = 0;
    std::string& o = c->out();
    if (r.chunked_out) {
        if (!data.empty()) {
            append_int(o, static_cast<int64_t>(data.size()), 16);
            o.append("\r\n");
            iov[n++] = {const_cast<char*>(data.data()), data.size()};
            static const char kCrlf[] = "\r\n";
            static const char kCrlfLast[] = "\r\n0\r\n\r\n";
            if (last) {
                iov[n++] = {const_cast<char*>(kCrlfLast), sizeof(kCrlfLast) - 1};
            } else {
                iov[n++] = {const_cast<char*>(kCrlf), sizeof(kCrlf) - 1};
            }
        } else if (last) {
            static const char kLast[] = "0\r\n\r\n";
            iov[n++] = {const_cast<char*>(kLast), sizeof(kLast) - 1};
        }
    } else if (!data.empty()) {
        iov[n++] = {const_cast<char*>(data.data()), data.size()};
    }
    if (last) {
        size_t extra = 0;
        for (int i = 0; i < n; i++) {
            extra += iov[i].iov_len;
        }
        if (extra < kPostponeOutput) {
            // A small tail joins the buffer: one contiguous send(2) costs the kernel less than
            // sendmsg(2) with an iovec array, and the copy is a few bytes.
            for (int i = 0; i < n; i++) {
                o.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
            }
            n = 0;
        }
        c->write_out(iov, n);
        finish_response(r, c);
    } else {
        size_t pending = o.size();
        for (int i = 0; i < n; i++) {
            pending += iov[i].iov_len;
        }
        if (pending >= postpone_limit(r.loc != nullptr ? *r.loc : loc_of(r))) {
            c->write_out(iov, n);
        } else {
            for (int i = 0; i < n; i++) {
                o.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
            }
        }
    }
    return c->broken() ? kError : kOk;
}

}  // namespace

int send_flush(Request& r) {
    Connection* c = r.connection;
    if (c == nullptr) {
        return kError;
    }
    if (!r.header_sent && send_header(r) != kOk) {
        return kError;
    }
    c->write_out();
    return c->broken() ? kError : kOk;
}

namespace {

// A body filter needs the bytes: read the file range in pieces and send them as body data.
int send_file_filtered(Request& r, int fd, int64_t offset, int64_t length, bool last) {
    std::string buf;
    int rc = kOk;
    while (length > 0 && rc == kOk && !r.response_done) {
        size_t want = static_cast<size_t>(std::min<int64_t>(length, 65536));
        buf.resize(want);
        ssize_t got = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
        if (got <= 0) {
            rc = kError;
            break;
        }
        buf.resize(static_cast<size_t>(got));
        offset += got;
        length -= got;
        rc = send_body(r, buf, last && length == 0);
    }
    ::close(fd);
    if (rc != kOk) {
        r.keepalive = false;
        if (r.connection != nullptr && !r.response_done) {
            r.connection->abort_request();
        }
        return kError;
    }
    return kOk;
}

}  // namespace

int send_file(Request& r, int fd, int64_t offset, int64_t length, bool last) {
    Connection* c = r.connection;
    if (c == nullptr) {
        ::close(fd);
        return kError;
    }
    if (!r.header_sent) {
        send_header(r);
    }
    if (r.loc != nullptr && r.loc->body_filter != nullptr && !r.header_only &&
        !r.response_done && !c->broken() && length > 0) {
        return send_file_filtered(r, fd, offset, length, last);
    }
    if (r.response_done || c->broken() || r.header_only || length <= 0) {
        ::close(fd);
        if (last) {
            if (r.chunked_out && !c->broken() && !r.header_only && !r.response_done) {
                c->out().append("0\r\n\r\n");
            }
            finish_response(r, c);
        }
        return c->broken() ? kError : kOk;
    }
    const LocConf& lc = loc_of(r);
    r.body_bytes_sent += static_cast<uint64_t>(length);
    if (r.chunked_out) {
        char hdr[24];
        int k = std::snprintf(hdr, sizeof(hdr), "%llx\r\n", static_cast<unsigned long long>(length));
        c->out().append(hdr, static_cast<size_t>(k));
    }
    c->queue_file(fd, offset, length, lc.sendfile == 1);
    if (r.chunked_out) {
        c->out().append(last ? "\r\n0\r\n\r\n" : "\r\n");
    }
    if (last) {
        finish_response(r, c);
    } else {
        c->write_out();
    }
    return c->broken() ? kError : kOk;
}

void send_special_response(Request& r, int status) {
    Connection* c = r.connection;
    if (c == nullptr) {
        return;
    }
    if (r.header_sent) {
        r.keepalive = false;
        c->abort_request();
        return;
    }
    switch (status) {
        case 400:
        case 413:
        case 414:
        case 431:
        case 494:
        case 495:
        case 496:
        case 497:
        case 500:
        case 501:
            r.keepalive = false;
            break;
        default:
            break;
    }
    std::string_view page = error_page_text(status);
    r.status = (status == 494 || status == 431 || (status >= 495 && status <= 497)) ? 400 : status;
    if (status == 498) {
        r.status = 404;
    }
    remove_header(r.headers_out, "ETag");
    remove_header(r.headers_out, "Accept-Ranges");
    remove_header(r.headers_out, "Content-Length");
    remove_header(r.headers_out, "Last-Modified");  // one ngx.header set: nginx clears both
    r.last_modified = -1;
    const LocConf& lc = loc_of(r);
    std::string_view tail = lc.server_tokens == 0 ? kTail : kFullTail;
    if (!page.empty()) {
        r.content_type = "text/html";
        r.content_length_out = static_cast<int64_t>(page.size() + tail.size());
    } else {
        // A code nginx has no page for (ngx.exit(600)): an empty body and no Content-Type,
        // whatever the handler set.
        r.content_type.clear();
        r.content_length_out = 0;
    }
    send_header(r);
    if (r.header_only || page.empty()) {
        send_body(r, {}, true);
        return;
    }
    if (r.chunked_out || (r.loc != nullptr && r.loc->body_filter != nullptr)) {
        send_body(r, std::string(page) + std::string(tail), true);
        return;
    }
    std::string& o = c->out();
    o.append(page);
    o.append(tail);
    r.body_bytes_sent += page.size() + tail.size();
    send_body(r, {}, true);
}

}  // namespace tycho::http
