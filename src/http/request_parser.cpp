#include "http/request_parser.h"

#include <strings.h>

#include <array>
#include <cstdio>
#include <cstring>

#include "core/ascii.h"
#include "core/clock.h"
#include "core/strings.h"
#include "http/http_log.h"

#if defined(TYCHO_LLHTTP_SSE42)
#include <nmmintrin.h>

// llhttp_execute() is this call; the second is the same state machine built for SSE4.2
// (CMakeLists.txt). Both share llhttp_init()'s state layout.
extern "C" int llhttp__internal_execute(llhttp_t* state, const char* p, const char* endp);
extern "C" int llhttp__internal_execute_sse42(llhttp_t* state, const char* p, const char* endp);
#endif

namespace tycho::http {
namespace {

#if defined(TYCHO_LLHTTP_SSE42)
using LlhttpExecute = int (*)(llhttp_t*, const char*, const char*);
LlhttpExecute pick_llhttp_execute() {
    __builtin_cpu_init();  // this runs as a static initializer, maybe before libgcc's
    return __builtin_cpu_supports("sse4.2") ? llhttp__internal_execute_sse42
                                            : llhttp__internal_execute;
}
const LlhttpExecute kLlhttpExecute = pick_llhttp_execute();
const bool kSse42 = __builtin_cpu_supports("sse4.2");

// True if p[0..n) (n <= 16; 16 bytes readable at p) are all [A-Za-z0-9-]: one PCMPESTRI
// where a byte loop takes four instructions a byte.
__attribute__((target("sse4.2"))) bool name_chunk_ok_sse42(const char* p, size_t n) {
    const __m128i ranges = _mm_setr_epi8('A', 'Z', 'a', 'z', '0', '9', '-', '-', 0, 0, 0, 0, 0, 0,
                                         0, 0);
    __m128i data = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    int first_bad = _mm_cmpestri(ranges, 8, data, static_cast<int>(n),
                                 _SIDD_UBYTE_OPS | _SIDD_CMP_RANGES |
                                     _SIDD_MASKED_NEGATIVE_POLARITY | _SIDD_LEAST_SIGNIFICANT);
    return first_bad == 16;
}
#endif

llhttp_errno_t run_llhttp(llhttp_t* parser, const char* data, size_t len) {
#if defined(TYCHO_LLHTTP_SSE42)
    return static_cast<llhttp_errno_t>(kLlhttpExecute(parser, data, data + len));
#else
    return llhttp_execute(parser, data, len);
#endif
}

constexpr const char* kLineAction = " while reading client request line";
constexpr const char* kHeadersAction = " while reading client request headers";
// nginx cuts long lines in log messages at NGX_MAX_ERROR_STR - 300.
constexpr size_t kMaxLoggedLine = 2048 - 300;

RequestParser* self(llhttp_t* p) { return static_cast<RequestParser*>(p->data); }

int on_message_begin(llhttp_t* p) { return self(p)->cb_message_begin(); }
int on_url(llhttp_t* p, const char* at, size_t len) { return self(p)->cb_url(at, len); }
int on_method(llhttp_t* p, const char* at, size_t len) { return self(p)->cb_method(at, len); }
int on_version_complete(llhttp_t* p) { return self(p)->cb_version_complete(); }
int on_header_field(llhttp_t* p, const char* at, size_t len) {
    return self(p)->cb_header_field(at, len);
}
int on_header_value(llhttp_t* p, const char* at, size_t len) {
    return self(p)->cb_header_value(at, len);
}
int on_header_value_complete(llhttp_t* p) { return self(p)->cb_header_value_complete(); }
int on_headers_complete(llhttp_t* p) { return self(p)->cb_headers_complete(); }
int on_body(llhttp_t* p, const char* at, size_t len) { return self(p)->cb_body(at, len); }
int on_message_complete(llhttp_t* p) { return self(p)->cb_message_complete(); }

const llhttp_settings_t* settings() {
    static const llhttp_settings_t s = [] {
        llhttp_settings_t st;
        llhttp_settings_init(&st);
        st.on_message_begin = on_message_begin;
        st.on_url = on_url;
        st.on_method = on_method;
        st.on_version_complete = on_version_complete;
        st.on_header_field = on_header_field;
        st.on_header_value = on_header_value;
        st.on_header_value_complete = on_header_value_complete;
        st.on_headers_complete = on_headers_complete;
        st.on_body = on_body;
        st.on_message_complete = on_message_complete;
        return st;
    }();
    return &s;
}

// Not strncasecmp (locale-aware, ~45 instructions a call): every header name meets a few of
// these comparisons.
using core::iequals;

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    char l = static_cast<char>(c | 0x20);
    if (l >= 'a' && l <= 'f') {
        return l - 'a' + 10;
    }
    return -1;
}

// Header name bytes: ok ([A-Za-z0-9-]), refused (space, controls, DEL: a 400), or ignored
// (anything else: nginx's ignore_invalid_headers drops the line).
constexpr uint8_t kNameOk = 0;
constexpr uint8_t kNameIgnored = 1;
constexpr uint8_t kNameRefused = 2;
constexpr auto kNameClass = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; c++) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-';
        t[c] = ok ? kNameOk : (c <= 0x20 || c == 0x7f) ? kNameRefused : kNameIgnored;
    }
    return t;
}();

// True if every byte of the name is [A-Za-z0-9-] (the usual header name), else false (maybe
// wrongly: the caller then looks at each byte).
bool plain_name(const std::string& name) {
#if defined(TYCHO_LLHTTP_SSE42)
    // A std::string's buffer holds capacity() + 1 >= 16 bytes: 16 may be read from its start.
    size_t n = name.size();
    if (kSse42 && name.capacity() >= 15) {
        const char* p = name.data();
        if (n <= 16) {
            return name_chunk_ok_sse42(p, n);
        }
        for (size_t off = 0; off + 16 < n; off += 16) {
            if (!name_chunk_ok_sse42(p + off, 16)) {
                return false;
            }
        }
        return name_chunk_ok_sse42(p + n - 16, 16);
    }
#endif
    (void)name;
    return false;
}

// True if the comma-separated `value` contains `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
    size_t i = 0;
    while (i <= value.size()) {
        size_t j = value.find(',', i);
        if (j == std::string_view::npos) {
            j = value.size();
        }
        std::string_view t = value.substr(i, j - i);
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) {
            t.remove_prefix(1);
        }
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) {
            t.remove_suffix(1);
        }
        if (iequals(t, token)) {
            return true;
        }
        i = j + 1;
    }
    return false;
}

// True if the method of `line` is made of nginx's method characters ([A-Z_-]) up to a space
// or the end of what arrived.
bool nginx_method_ok(std::string_view line) {
    if (line.empty()) {
        return false;
    }
    for (char c : line) {
        if (c == ' ') {
            return true;
        }
        if ((c < 'A' || c > 'Z') && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

// How many bytes of a method word substitute_method() waits for before it lets llhttp judge them.
constexpr size_t kMaxPendingMethod = 1024;

// The methods llhttp parses in HTTP requests (its RTSP-only ones fail there).
constexpr std::string_view kLlhttpMethods[] = {
#define TYCHO_METHOD_NAME(num, name, string) #string,
    HTTP_METHOD_MAP(TYCHO_METHOD_NAME)
#undef TYCHO_METHOD_NAME
};

// The headers nginx takes once (ngx_http_process_unique_header_line): a second one is 400.
// Host, Content-Length and Transfer-Encoding have checks of their own.
constexpr std::string_view kUniqueHeaders[] = {
    "Expect",        "If-Match",          "If-Range",           "If-None-Match",
    "Content-Range", "Authorization",     "If-Modified-Since",  "If-Unmodified-Since"};

// Index of `name` in kUniqueHeaders, or -1. Runs for every header: its length and a letter
// leave at most one candidate to compare.
int unique_header(std::string_view name) {
    int i = -1;
    switch (name.size()) {
        case 6:
            i = 0;
            break;
        case 8:
            i = (name[3] | 0x20) == 'm' ? 1 : 2;
            break;
        case 13: {
            char c = static_cast<char>(name[0] | 0x20);
            i = c == 'i' ? 3 : c == 'c' ? 4 : c == 'a' ? 5 : -1;
            break;
        }
        case 17:
            i = 6;
            break;
        case 19:
            i = 7;
            break;
        default:
            return -1;
    }
    if (i < 0 || (kUniqueHeaders[i][0] | 0x20) != (name[0] | 0x20) ||
        !iequals(kUniqueHeaders[i], name)) {
        return -1;
    }
    return i;
}

bool llhttp_knows(std::string_view method) {
    for (std::string_view m : kLlhttpMethods) {
        if (m == method) {
            return true;
        }
    }
    return false;
}

std::string_view first_line(std::string_view s) {
    // Two memchr calls: find_first_of("\r\n") calls memchr on the set for every character.
    if (s.empty()) {
        return s;
    }
    size_t e = s.size();
    if (const void* nl = std::memchr(s.data(), '\n', e)) {
        e = static_cast<size_t>(static_cast<const char*>(nl) - s.data());
    }
    if (const void* cr = std::memchr(s.data(), '\r', e)) {
        e = static_cast<size_t>(static_cast<const char*>(cr) - s.data());
    }
    return s.substr(0, e);
}

}  // namespace

RequestParser::RequestParser() {
    llhttp_init(&parser_, HTTP_REQUEST, settings());
    parser_.data = this;
}

void RequestParser::begin(Request* r, const ParserLimits& limits, BodySink* sink) {
    r_ = r;
    sink_ = sink;
    limits_ = limits;
    pause_ = Pause::kNone;
    in_header_ = true;
    started_ = false;
    line_done_ = false;
    method_substituted_ = false;
    method_pending_ = false;
    prev_last_ = '\0';
    prev_blanks_.clear();
    unique_seen_ = 0;
    in_field_ = false;
    body_expected_ = false;
    body_done_ = false;
    body_begun_ = false;
    host_index_ = te_index_ = cl_index_ = connection_index_ = -1;
    url_.clear();
    buf_end_ = 0;
    large_used_ = 0;
    body_error_ = 0;
}

void RequestParser::set_error(int status, std::string message) {
    if (error_.status != 0 || !error_.message.empty()) {
        return;  // the first error wins
    }
    error_.status = status;
    error_.message = std::move(message);
    if (r_ != nullptr && r_->request_line.empty()) {
        r_->request_line = std::string(request_line_so_far());
    }
}

std::string_view RequestParser::request_line_so_far() const {
    return first_line(r_->raw_header);
}

RequestParser::Result RequestParser::execute(const char* data, size_t len, size_t* consumed) {
    *consumed = 0;
    if (error_.status != 0 || !error_.message.empty()) {
        return Result::kError;
    }
    body_begun_ = !in_header_;
    size_t off = 0;
    if (in_header_ && !started_ && r_ != nullptr && r_->raw_header.empty()) {
        off = substitute_method(data, len);
        if (method_pending_) {
            return Result::kNeedMore;  // nothing consumed: the caller feeds these bytes again
        }
    }
    for (;;) {
        pause_ = Pause::kNone;
        const char* start = data + off;
        exec_begin_ = start;
        llhttp_errno_t e = run_llhttp(&parser_, start, len - off);
        size_t used = len - off;
        if (e != HPE_OK) {
            used = static_cast<size_t>(llhttp_get_error_pos(&parser_) - start);
        }
        if (used > 0) {
            char last = start[used - 1];
            if (last != ' ' && last != '\t' && prev_blanks_.empty()) {
                prev_last_ = last;  // the usual run: it ends with a line break or a value byte
            } else {
                note_tail(start, used);
            }
        }
        if (in_header_ && r_ != nullptr) {
            std::string_view part(start, used);
            if (r_->raw_header.empty()) {
                // Empty lines before the request line are skipped, as nginx does.
                size_t k = part.find_first_not_of("\r\n");
                part.remove_prefix(k == std::string_view::npos ? part.size() : k);
            }
            r_->raw_header.append(part);
        }
        off += used;
        *consumed = off;
        if (e == HPE_OK) {
            if (in_header_ && !check_header_limits()) {
                return Result::kError;
            }
            return Result::kNeedMore;
        }
        if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE) {
            if (e == HPE_PAUSED_UPGRADE) {
                llhttp_resume_after_upgrade(&parser_);
            } else {
                llhttp_resume(&parser_);
            }
            if (pause_ == Pause::kHeaders) {
                in_header_ = false;
                if (!check_header_limits() || !finish_header()) {
                    return Result::kError;
                }
                return Result::kHeaderDone;
            }
            if (pause_ == Pause::kMessage) {
                return Result::kBodyDone;
            }
            if (off == len) {
                return Result::kNeedMore;
            }
            continue;
        }
        map_llhttp_error(e, start + used, data, len);
        return Result::kError;
    }
}

// nginx takes any word of [A-Z_-] as a method (NGX_HTTP_UNKNOWN: a location decides what to do
// with it); llhttp knows a fixed list. An unknown word that arrived whole is shown to llhttp as
// "GET", which frames the request the same way (by Content-Length or Transfer-Encoding only),
// while the request keeps its own. Returns how many bytes of `data` that took (0: none).
// Bytes that are only the start of a word (a method split across reads) set method_pending_
// and are left for the next call, which sees the word whole: up to kMaxPendingMethod of them,
// past which llhttp judges the word (400, as nginx's large header buffers would end it too).
size_t RequestParser::substitute_method(const char* data, size_t len) {
    method_pending_ = false;
    if (len >= 4 && std::memcmp(data, "GET ", 4) == 0) {
        return 0;  // most requests
    }
    size_t k = 0;
    while (k < len && (data[k] == '\r' || data[k] == '\n')) {
        k++;
    }
    size_t e = k;
    while (e < len && ((data[e] >= 'A' && data[e] <= 'Z') || data[e] == '_' || data[e] == '-')) {
        e++;
    }
    if (e == len && e > k && e - k < kMaxPendingMethod) {
        method_pending_ = true;
        return 0;
    }
    if (e == k || e == len || data[e] != ' ') {
        return 0;
    }
    std::string_view word(data + k, e - k);
    if (llhttp_knows(word)) {
        return 0;
    }
    if (run_llhttp(&parser_, data, k) != HPE_OK || run_llhttp(&parser_, "GET", 3) != HPE_OK) {
        return 0;  // not reached: blank lines and "GET" pause nothing
    }
    method_substituted_ = true;
    r_->method.assign(word);
    r_->raw_header.append(word);
    return e;
}

void RequestParser::map_llhttp_error(llhttp_errno_t e, const char* pos, const char* data,
                                     size_t len) {
    if (r_ != nullptr && in_header_ && r_->request_line.empty()) {
        // nginx logs the request line up to its end even when the error is inside it.
        std::string line = r_->raw_header;
        line.append(pos, data + len - pos);
        r_->request_line = std::string(first_line(line));
    }
    if (error_.status != 0 || !error_.message.empty()) {
        return;  // a callback already said why
    }
    if (!in_header_) {
        if (body_error_ != 0) {
            error_.status = body_error_;  // the sink logged why
            return;
        }
        error_.level = core::LogLevel::kError;
        set_error(400, "client sent invalid chunked body");
        return;
    }
    const char* action = line_done_ ? kHeadersAction : kLineAction;
    switch (e) {
        case HPE_INVALID_METHOD:
            // A word of method characters gets here only when it is too long to wait for
            // (substitute_method() needs it whole).
            if (nginx_method_ok(r_ != nullptr ? std::string_view(r_->request_line) : "")) {
                set_error(400, std::string("client sent invalid request") + kLineAction);
            } else {
                set_error(400, std::string("client sent invalid method") + kLineAction);
            }
            break;
        case HPE_INVALID_VERSION: {
            // "HTTP/d.d" with an unsupported number is 505 in nginx, anything else 400.
            std::string_view line = r_ != nullptr ? std::string_view(r_->request_line) : "";
            size_t sp = line.rfind(' ');
            std::string_view v = sp == std::string_view::npos ? "" : line.substr(sp + 1);
            bool numeric = v.size() >= 8 && v.substr(0, 5) == "HTTP/";
            for (size_t i = 5; numeric && i < v.size(); i++) {
                numeric = (v[i] >= '0' && v[i] <= '9') || v[i] == '.';
            }
            if (numeric) {
                set_error(505, std::string("client sent invalid version") + kLineAction);
            } else {
                set_error(400, std::string("client sent invalid request") + kLineAction);
            }
            break;
        }
        case HPE_UNEXPECTED_CONTENT_LENGTH: {
            const char* reason = llhttp_get_error_reason(&parser_);
            if (reason != nullptr && std::strstr(reason, "Duplicate") != nullptr &&
                cl_index_ >= 0) {
                std::string_view rest(pos, data + len - pos);
                std::string msg = "client sent duplicate header line: \"Content-Length: ";
                msg.append(first_line(rest));
                msg += "\", previous value: \"Content-Length: ";
                msg += r_->headers_in[cl_index_].value;
                msg += "\"";
                set_error(400, msg + kHeadersAction);
            } else if (te_index_ >= 0 && parser_.http_minor >= 1 &&
                       !iequals(r_->headers_in[te_index_].value, "chunked")) {
                // nginx judges the Transfer-Encoding before it looks for a Content-Length.
                set_error(501, "client sent unknown \"Transfer-Encoding\": \"" +
                                   r_->headers_in[te_index_].value + "\"" + kHeadersAction);
            } else {
                set_error(400, std::string("client sent \"Content-Length\" and "
                                           "\"Transfer-Encoding\" headers at the same time") +
                                   kHeadersAction);
            }
            break;
        }
        case HPE_INVALID_CONTENT_LENGTH:
            set_error(400, std::string("client sent invalid \"Content-Length\" header") +
                               kHeadersAction);
            break;
        case HPE_INVALID_TRANSFER_ENCODING:
            if (te_index_ >= 0) {
                // llhttp refuses anything after "chunked"; nginx refuses a second header.
                // llhttp stops inside the value: its line starts after the last line break.
                const char* b = pos;
                while (b > data && b[-1] != '\n') {
                    b--;
                }
                std::string_view line = first_line(std::string_view(b, data + len - b));
                std::string_view value = line.substr(std::min(line.find(':') + 1, line.size()));
                while (!value.empty() && value.front() == ' ') {
                    value.remove_prefix(1);
                }
                set_error(400, "client sent duplicate header line: \"Transfer-Encoding: " +
                                   std::string(value) + "\", previous value: \"" +
                                   r_->headers_in[te_index_].name + ": " +
                                   r_->headers_in[te_index_].value + "\"" + kHeadersAction);
                break;
            }
            set_error(501, std::string("client sent unknown \"Transfer-Encoding\"") +
                               kHeadersAction);
            break;
        case HPE_CLOSED_CONNECTION:
            set_error(0, "client sent data after the connection was to be closed");
            break;
        default:
            if (line_done_) {
                set_error(400, std::string("client sent invalid header line") + action);
            } else {
                set_error(400, std::string("client sent invalid request") + action);
            }
            break;
    }
}

bool RequestParser::check_header_limits() {
    if (r_ == nullptr) {
        return true;
    }
    // Replays nginx's header buffers: the header starts in one client_header_buffer_size
    // buffer; each time a buffer fills before the header ends, the line being read moves to a
    // fresh large buffer (at most large_client_header_buffers of them). A line that does not
    // fit one large buffer, or one more buffer than allowed, ends the request.
    const std::string& raw = r_->raw_header;
    if (buf_end_ == 0) {
        buf_end_ = limits_.header_buffer_size;
    }
    while (raw.size() > buf_end_) {
        size_t nl = raw.rfind('\n', buf_end_ - 1);
        size_t old = nl == std::string::npos ? 0 : nl + 1;
        bool request_line = nl == std::string::npos;
        bool at_line_start = old == buf_end_;
        bool no_line = false;
        if (at_line_start) {
            // Between lines nginx carries over the previous header line (its stale
            // header_name_start), or nothing right after the request line.
            size_t prev = nl == 0 ? std::string::npos : raw.rfind('\n', nl - 1);
            if (prev == std::string::npos) {
                no_line = true;
            } else {
                old = prev + 1;
            }
        }
        bool too_long = !at_line_start && buf_end_ - old >= limits_.large_buffer_size;
        if (too_long || large_used_ >= limits_.large_buffers) {
            if (request_line) {
                set_error(414, std::string("client sent too long URI") + kLineAction);
            } else if (no_line) {
                set_error(494, std::string("client sent too large request") + kHeadersAction);
            } else {
                size_t n = buf_end_ - old;
                if (n > kMaxLoggedLine) {
                    n = kMaxLoggedLine;
                }
                std::string msg = "client sent too long header line: \"";
                msg.append(raw, old, n);
                msg += "...\"";
                set_error(494, msg + kHeadersAction);
            }
            return false;
        }
        large_used_++;
        buf_end_ = (no_line ? buf_end_ : old) + limits_.large_buffer_size;
    }
    return true;
}

int RequestParser::cb_message_begin() {
    if (r_ != nullptr) {
        started_ = true;
        r_->start_msec = core::cached_time().msec;
    }
    return 0;
}

int RequestParser::cb_url(const char* at, size_t len) {
    url_.append(at, len);
    return 0;
}

int RequestParser::cb_method(const char* at, size_t len) {
    if (r_ != nullptr && !method_substituted_) {
        r_->method.append(at, len);
    }
    return 0;
}

int RequestParser::cb_version_complete() {
    line_done_ = true;
    return 0;
}

int RequestParser::cb_header_field(const char* at, size_t len) {
    if (r_ == nullptr) {
        return 0;
    }
    line_done_ = true;
    if (!in_field_) {
        r_->headers_in.emplace_back();
        in_field_ = true;
    }
    r_->headers_in.back().name.append(at, len);
    return 0;
}

int RequestParser::cb_header_value(const char* at, size_t len) {
    if (r_ == nullptr) {
        return 0;
    }
    in_field_ = false;
    if (at - exec_begin_ >= 2 && at[-1] == ' ' && at[-2] == ':') {
        r_->headers_in.back().value.append(at, len);  // "Name: value": nothing to look into
        return 0;
    }
    return header_value_other(at, len);
}

// Remembers how the `used` bytes llhttp just took end: their trailing blanks (added to those
// before when they are all blanks) and the byte before those.
void RequestParser::note_tail(const char* data, size_t used) {
    size_t b = used;
    while (b > 0 && (data[b - 1] == ' ' || data[b - 1] == '\t')) {
        b--;
    }
    if (b == used) {
        prev_blanks_.clear();
        prev_last_ = data[used - 1];
    } else if (b > 0) {
        prev_blanks_.assign(data + b, used - b);
        prev_last_ = data[b - 1];
    } else {
        prev_blanks_.append(data, used);
    }
}

// A value piece not right after ": ": a continuation, a value after other blanks, or one that
// went on in a new read.
int RequestParser::header_value_other(const char* at, size_t len) {
    std::string& value = r_->headers_in.back().value;
    // The blanks llhttp skipped before this piece: [p, at), and before them, when they reach
    // back to the start of this run, the blanks that ended the runs before.
    const char* p = at;
    while (p > exec_begin_ && (p[-1] == ' ' || p[-1] == '\t')) {
        p--;
    }
    std::string_view earlier;
    if (p == exec_begin_) {
        earlier = prev_blanks_;
    }
    // A value piece right after a line break is an obs-fold continuation (llhttp joins it):
    // nginx has none, it sees a header line that starts with a space.
    // (An empty value's continuation arrives with its leading blanks skipped.)
    if ((p > exec_begin_ ? p[-1] : prev_last_) == '\n' && len > 0) {
        char hex[8];
        auto first = static_cast<unsigned char>(earlier.empty() ? p[0] : earlier[0]);
        std::snprintf(hex, sizeof(hex), "\\x%02x", first);
        set_error(400, std::string("client sent invalid header line: \"") + hex + "...\"" +
                           kHeadersAction);
        return -1;
    }
    if (value.empty() && (p < at || !earlier.empty())) {
        // llhttp skipped blanks before the value; nginx skips spaces only, a tab starts it.
        size_t skip = 0;
        while (skip < earlier.size() && earlier[skip] == ' ') {
            skip++;
        }
        if (skip < earlier.size()) {
            value.append(earlier.substr(skip));
        } else {
            while (p < at && *p == ' ') {
                p++;
            }
        }
        value.append(p, static_cast<size_t>(at - p));
    }
    value.append(at, len);
    return 0;
}

int RequestParser::cb_header_value_complete() {
    if (r_ == nullptr) {
        return 0;
    }
    in_field_ = false;
    auto& headers = r_->headers_in;
    if (headers.empty()) {
        return 0;
    }
    Header& h = headers.back();
    while (!h.value.empty() && h.value.back() == ' ') {  // nginx keeps a trailing tab
        h.value.pop_back();
    }
    // A space or control character is refused (nginx's 400), any other byte but
    // [A-Za-z0-9-] makes nginx ignore the line (ignore_invalid_headers). The usual name is
    // cleared at once (SSE4.2, or the OR of every byte's class, without a branch per byte);
    // only a name with some other byte is walked again to find it.
    uint8_t any = kNameOk;
    if (!plain_name(h.name)) {
        for (char ch : h.name) {
            any |= kNameClass[static_cast<unsigned char>(ch)];
        }
    }
    if (h.name.empty()) {
        // nginx stops at a ':' where a name should start.
        set_error(400, std::string("client sent invalid header line: \"\\x3a...\"") +
                           kHeadersAction);
        return -1;
    }
    bool ignored = false;
    for (size_t i = 0; any != kNameOk && i < h.name.size(); i++) {
        auto c = static_cast<unsigned char>(h.name[i]);
        uint8_t k = kNameClass[c];
        if (k == kNameOk || (c == '_' && limits_.underscores_in_headers)) {
            continue;
        }
        if (k == kNameRefused) {
            char hex[8];
            std::snprintf(hex, sizeof(hex), "\\x%02x", c);
            set_error(400, "client sent invalid header line: \"" + h.name.substr(0, i) + hex +
                               "...\"" + kHeadersAction);
            return -1;
        }
        ignored = true;
    }
    if (ignored && limits_.ignore_invalid_headers) {
        log_request(core::LogLevel::kInfo, *r_,
                    "client sent invalid header line: \"" + h.name + ": " + h.value + "\"" +
                        kHeadersAction);
        headers.pop_back();
        return 0;
    }
    int idx = static_cast<int>(headers.size()) - 1;
    const std::string& n = h.name;
    if (int u = unique_header(n); u >= 0) {
        if ((unique_seen_ & (1u << u)) != 0) {
            const Header* prev = nullptr;
            for (int i = 0; i < idx && prev == nullptr; i++) {
                prev = iequals(headers[i].name, n) ? &headers[i] : nullptr;
            }
            set_error(400, "client sent duplicate header line: \"" + h.name + ": " + h.value +
                               "\", previous value: \"" + (prev ? prev->name : n) + ": " +
                               (prev ? prev->value : "") + "\"" + kHeadersAction);
            return -1;
        }
        unique_seen_ |= 1u << u;
    }
    // Most names are none of these: their lengths (4, 14, 17, 10, 6) rule them out at once.
    size_t nl = n.size();
    if (nl != 4 && nl != 14 && nl != 17 && nl != 10 && nl != 6) {
        return 0;
    }
    if (iequals(n, "Host")) {
        if (host_index_ >= 0) {
            set_error(400, "client sent duplicate host header: \"Host: " + h.value +
                               "\", previous value: \"Host: " + headers[host_index_].value +
                               "\"" + kHeadersAction);
            return -1;
        }
        host_index_ = idx;
    } else if (iequals(n, "Content-Length")) {
        cl_index_ = idx;
    } else if (iequals(n, "Transfer-Encoding")) {
        if (te_index_ >= 0) {
            set_error(400, "client sent duplicate header line: \"" + h.name + ": " + h.value +
                               "\", previous value: \"" + headers[te_index_].name + ": " +
                               headers[te_index_].value + "\"" + kHeadersAction);
            return -1;
        }
        te_index_ = idx;
    } else if (iequals(n, "Connection")) {
        connection_index_ = idx;
    } else if (iequals(n, "Expect")) {
        if (iequals(h.value, "100-continue")) {
            r_->expect_continue = true;
        }
    }
    return 0;
}

int RequestParser::cb_headers_complete() {
    pause_ = Pause::kHeaders;
    return HPE_PAUSED;
}

int RequestParser::cb_body(const char* at, size_t len) {
    if (sink_ == nullptr) {
        return 0;
    }
    int rc = sink_->on_body_data(at, len);
    if (rc != 0) {
        body_error_ = rc;
        return -1;
    }
    return 0;
}

int RequestParser::cb_message_complete() {
    if (in_header_) {
        // The completion of the previous, bodiless request, reported once parsing resumes:
        // the next request is already under way.
        return 0;
    }
    body_done_ = true;
    if (!body_expected_) {
        return 0;
    }
    pause_ = Pause::kMessage;
    return HPE_PAUSED;
}

bool RequestParser::finish_header() {
    Request& r = *r_;
    r.http_major = parser_.http_major;
    r.http_minor = parser_.http_minor;
    core::set_string(r.request_line, request_line_so_far());
    if (r.http_major != 1) {
        set_error(505, std::string("client sent invalid version") + kLineAction);
        return false;
    }

    // Request target: origin-form or absolute-form (whose host wins over the Host header).
    std::string_view target = url_;
    std::string_view uri_host;
    if (!target.empty() && target[0] != '/' && target.size() > 7 &&
        (iequals(target.substr(0, 7), "http://") ||
         (target.size() > 8 && iequals(target.substr(0, 8), "https://")))) {
        size_t hs = target[4] == ':' ? 7 : 8;
        size_t he = target.find_first_of("/?", hs);
        if (he == std::string_view::npos) {
            he = target.size();
        }
        uri_host = target.substr(hs, he - hs);
        target.remove_prefix(he);
    } else if (target.empty() || target[0] != '/') {
        set_error(400, std::string("client sent invalid request") + kLineAction);
        return false;
    }
    if (url_.find('\t') != std::string::npos) {
        set_error(400, std::string("client sent invalid request") + kLineAction);
        return false;  // llhttp lets a tab into the target, nginx does not
    }
    // $request_uri keeps a fragment (nginx's does); the path and the arguments end before it.
    core::set_string(r.unparsed_uri, target);
    size_t hash = target.find('#');
    if (hash != std::string_view::npos) {
        target = target.substr(0, hash);
    }
    std::string_view path = target;
    size_t q = target.find('?');
    if (q != std::string_view::npos) {
        path = target.substr(0, q);
        core::set_string(r.args, target.substr(q + 1));
    }
    r.args_null = r.args.empty();
    if (path.empty()) {
        path = "/";
        if (r.unparsed_uri.empty() || r.unparsed_uri[0] != '/') {
            r.unparsed_uri.insert(0, "/");
        }
    }
    if (!normalize_uri(path, r.uri, limits_.merge_slashes)) {
        set_error(400, std::string("client sent invalid request") + kLineAction);
        return false;
    }

    if (!uri_host.empty()) {
        if (!validate_host(uri_host, r.host)) {
            set_error(400, std::string("client sent invalid host in request line") +
                               kLineAction);
            return false;
        }
    }
    if (host_index_ >= 0) {
        // Straight into r.host (its buffer survives keep-alive) unless the request line's wins.
        std::string other;
        std::string& h = uri_host.empty() ? r.host : other;
        if (!validate_host(r.headers_in[host_index_].value, h)) {
            set_error(400, std::string("client sent invalid host header") + kHeadersAction);
            return false;
        }
    } else if (r.http_minor >= 1) {
        set_error(400, std::string("client sent HTTP/1.1 request without \"Host\" header") +
                           kHeadersAction);
        return false;
    }

    if (te_index_ >= 0) {
        const std::string& te = r.headers_in[te_index_].value;
        if (r.http_minor == 0) {
            set_error(400, std::string("client sent HTTP/1.0 request with "
                                       "\"Transfer-Encoding\" header") + kHeadersAction);
            return false;
        }
        if (!iequals(te, "chunked")) {
            set_error(501, "client sent unknown \"Transfer-Encoding\": \"" + te + "\"" +
                               kHeadersAction);
            return false;
        }
        r.chunked_in = true;
    }
    if (cl_index_ >= 0) {
        r.content_length_in = static_cast<int64_t>(parser_.content_length);
    }
    // string_view's == compares sizes first; std::string == const char* runs a memcmp each.
    std::string_view method = r.method;
    if (method == "TRACE") {
        set_error(405, std::string("client sent TRACE method") + kHeadersAction);
        return false;
    }
    if (method == "CONNECT") {
        set_error(405, std::string("client sent CONNECT method") + kHeadersAction);
        return false;
    }

    bool close = false;
    bool keep = false;
    if (connection_index_ >= 0) {
        const std::string& v = r.headers_in[connection_index_].value;
        close = has_token(v, "close");
        keep = has_token(v, "keep-alive");
    }
    r.keepalive = r.http_minor >= 1 ? !close : (keep && !close);
    if (parser_.upgrade) {
        // llhttp would hand the rest of the stream to the upgraded protocol: we have none.
        r.keepalive = false;
    }
    r.header_only = method == "HEAD";
    body_expected_ = r.chunked_in || r.content_length_in > 0;
    body_done_ = !body_expected_;
    return true;
}

void RequestParser::set_content_length(int64_t n) {
    if (r_ == nullptr || in_header_ || body_begun_ || r_->chunked_in || r_->body_read ||
        r_->body_discarding) {
        return;
    }
    // The parser is paused before llhttp__after_headers_complete, which frames the body from
    // these two fields when parsing resumes.
    r_->content_length_in = n;
    if (n >= 0) {
        parser_.flags |= F_CONTENT_LENGTH;
        parser_.content_length = static_cast<uint64_t>(n);
    } else {
        parser_.flags &= static_cast<uint16_t>(~F_CONTENT_LENGTH);
        parser_.content_length = 0;
    }
    body_expected_ = n > 0;
    body_done_ = !body_expected_;
}

namespace {

// True if `path` (starting with '/') has nothing to decode or merge: no '%', no NUL, no "//",
// no "/." (so no "." or ".." segment). Most request paths are like this.
bool plain_path(std::string_view path) {
    for (size_t i = 0; i < path.size(); i++) {
        char c = path[i];
        if (c == '%' || c == '\0') {
            return false;
        }
        if (c == '/' && i + 1 < path.size() && (path[i + 1] == '/' || path[i + 1] == '.')) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool normalize_uri(std::string_view path, std::string& out, bool merge_slashes) {
    out.clear();
    if (path.empty() || path[0] != '/') {
        return false;
    }
    if (plain_path(path)) {
        out.append(path.data(), path.size());  // cleared above
        return true;
    }
    thread_local std::string decoded;
    decoded.clear();
    decoded.reserve(path.size());
    for (size_t i = 0; i < path.size(); i++) {
        char c = path[i];
        if (c == '%') {
            if (i + 2 >= path.size()) {
                return false;
            }
            int hi = hex_value(path[i + 1]);
            int lo = hex_value(path[i + 2]);
            if (hi < 0 || lo < 0) {
                return false;
            }
            c = static_cast<char>(hi * 16 + lo);
            if (c == '\0') {
                return false;
            }
            i += 2;
        } else if (c == '\0') {
            return false;
        }
        decoded.push_back(c);
    }
    out.reserve(decoded.size());
    out.push_back('/');
    // Segment by segment after the leading '/': "." goes, ".." takes the previous segment
    // back, an empty one ("//") goes too unless merge_slashes is off.
    const size_t n = decoded.size();
    for (size_t i = 1; i <= n;) {
        size_t j = decoded.find('/', i);
        if (j == std::string::npos) {
            j = n;
        }
        std::string_view seg(decoded.data() + i, j - i);
        bool slash = j < n;
        if (seg.empty()) {
            if (slash && !merge_slashes) {
                out.push_back('/');
            }
        } else if (seg == ".") {
            // nothing: "/a/." is "/a/"
        } else if (seg == "..") {
            if (out.size() == 1) {
                return false;  // above the root
            }
            out.pop_back();
            size_t prev = out.rfind('/');
            out.resize(prev + 1);
        } else {
            out.append(seg);
            if (slash) {
                out.push_back('/');
            }
        }
        i = j + 1;
    }
    return true;
}

namespace {

// Host bytes for validate_host(): most are plain and cost one table lookup.
enum HostByte : uint8_t {
    kHostPlain,
    kHostUpper,
    kHostDot,
    kHostColon,
    kHostOpen,
    kHostClose,
    kHostBad,
};
constexpr auto kHostClass = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; c++) {
        // ngx_http_validate_host: controls, space, DEL and the path separator ('/' on Unix).
        t[c] = c <= 0x20 || c == 0x7f || c == '/'                ? kHostBad
               : c == '.'                                  ? kHostDot
               : c == ':'                                  ? kHostColon
               : c == '['                                  ? kHostOpen
               : c == ']'                                  ? kHostClose
               : c >= 'A' && c <= 'Z'                      ? kHostUpper
                                                           : kHostPlain;
    }
    return t;
}();

}  // namespace

bool validate_host(std::string_view host, std::string& out) {
    out.clear();
    size_t host_len = host.size();
    size_t dot_pos = host.size();
    bool in_brackets = false;
    bool upper = false;
    for (size_t i = 0; i < host.size(); i++) {
        uint8_t k = kHostClass[static_cast<unsigned char>(host[i])];
        if (k == kHostPlain) {
            continue;
        }
        switch (k) {
            case kHostUpper:
                upper = true;
                break;
            case kHostDot:
                if (dot_pos == i - 1) {
                    return false;
                }
                dot_pos = i;
                break;
            case kHostColon:
                if (!in_brackets) {
                    host_len = i;
                    i = host.size();
                }
                break;
            case kHostOpen:
                if (i == 0) {
                    in_brackets = true;
                }
                break;
            case kHostClose:
                in_brackets = false;
                break;
            default:
                return false;
        }
    }
    if (host_len > 0 && dot_pos == host_len - 1) {
        host_len--;
    }
    if (host_len == 0) {
        return false;
    }
    out.append(host.data(), host_len);  // cleared above
    if (upper) {
        for (char& c : out) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c | 0x20);
            }
        }
    }
    return true;
}

}  // namespace tycho::http
