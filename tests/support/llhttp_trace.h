// Shared by tests/unit/http/llhttp_sse42_test.cpp and fuzz/http_fuzzer.cpp: runs one build of
// llhttp's state machine over a byte stream and records everything it reports, so the
// portable and the SSE4.2 build (CMakeLists.txt) can be compared byte for byte.
#pragma once

#include <llhttp.h>

#include <algorithm>
#include <string>

#if defined(TYCHO_LLHTTP_SSE42)
extern "C" int llhttp__internal_execute(llhttp_t* state, const char* p, const char* endp);
extern "C" int llhttp__internal_execute_sse42(llhttp_t* state, const char* p, const char* endp);
#endif

namespace tycho::test {

using LlhttpExecute = int (*)(llhttp_t*, const char*, const char*);

namespace llhttp_trace_detail {

// Every callback appends "<tag>[<bytes>]" (spans) or "<tag>" (events) to the trace.
inline std::string& out(llhttp_t* p) { return *static_cast<std::string*>(p->data); }
inline int span(llhttp_t* p, const char* tag, const char* at, size_t len) {
    out(p).append(tag).append("[").append(at, len).append("]");
    return 0;
}
inline int mark(llhttp_t* p, const char* tag) {
    out(p).append(tag);
    return 0;
}

inline const llhttp_settings_t* settings() {
    static const llhttp_settings_t s = [] {
        llhttp_settings_t st;
        llhttp_settings_init(&st);
        st.on_message_begin = [](llhttp_t* p) { return mark(p, "<begin>"); };
        st.on_method = [](llhttp_t* p, const char* at, size_t n) { return span(p, "M", at, n); };
        st.on_url = [](llhttp_t* p, const char* at, size_t n) { return span(p, "U", at, n); };
        st.on_version = [](llhttp_t* p, const char* at, size_t n) { return span(p, "H", at, n); };
        st.on_header_field = [](llhttp_t* p, const char* at, size_t n) {
            return span(p, "F", at, n);
        };
        st.on_header_value = [](llhttp_t* p, const char* at, size_t n) {
            return span(p, "V", at, n);
        };
        st.on_header_value_complete = [](llhttp_t* p) { return mark(p, "<v>"); };
        st.on_headers_complete = [](llhttp_t* p) { return mark(p, "<headers>"); };
        st.on_body = [](llhttp_t* p, const char* at, size_t n) { return span(p, "B", at, n); };
        st.on_chunk_header = [](llhttp_t* p) { return mark(p, "<chunk>"); };
        st.on_message_complete = [](llhttp_t* p) { return mark(p, "<done>"); };
        return st;
    }();
    return &s;
}

}  // namespace llhttp_trace_detail

// Feeds data[0, len) to a fresh request parser `step` bytes at a time (0: all at once).
// Returns the callbacks' trace, then " ok" or " error=<code> at=<offset> reason=<text>".
inline std::string llhttp_trace(LlhttpExecute execute, const char* data, size_t len,
                                size_t step) {
    std::string trace;
    llhttp_t parser;
    llhttp_init(&parser, HTTP_REQUEST, llhttp_trace_detail::settings());
    parser.data = &trace;
    if (step == 0) {
        step = len;
    }
    for (size_t off = 0; off < len; off += step) {
        size_t n = std::min(step, len - off);
        int rc = execute(&parser, data + off, data + off + n);
        if (rc != HPE_OK) {
            const char* reason = llhttp_get_error_reason(&parser);
            trace += " error=" + std::to_string(rc) +
                     " at=" + std::to_string(llhttp_get_error_pos(&parser) - data) +
                     " reason=" + (reason != nullptr ? reason : "");
            return trace;
        }
    }
    return trace + " ok";
}

}  // namespace tycho::test
