#pragma once

// Loading an http{} configuration from text for unit tests: the real parser, directive table,
// processor and finish_http_conf(), with a throw-away prefix directory (so the default access
// log can be opened).

#include <stdlib.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "core/conf.h"
#include "http/http_conf.h"

namespace tycho::http::testing {

// A fresh prefix directory with a logs/ subdirectory; ends with '/'.
inline std::string temp_prefix() {
    char tmpl[] = "/tmp/tycho-http-test-XXXXXX";
    char* dir = mkdtemp(tmpl);
    std::string prefix = std::string(dir) + "/";
    mkdir((prefix + "logs").c_str(), 0755);
    return prefix;
}

// Loads `text` (a whole config, http block included) as if read from /t/nginx.conf. On failure
// returns null and stores the error text in *error.
inline std::unique_ptr<HttpConf> load_http(const std::string& text, std::string* error,
                                           std::string prefix = "") {
    if (prefix.empty()) {
        prefix = temp_prefix();
    }
    auto parsed = core::parse_conf_string(text, "/t/nginx.conf", "/t/");
    if (!parsed) {
        *error = parsed.message();
        return nullptr;
    }
    core::DirectiveTable table;
    register_http_directives(table);
    core::ConfProcessor processor(table);
    processor.prefix = prefix;
    processor.conf_file = "/t/nginx.conf";
    std::unique_ptr<HttpConf> owner;
    processor.set_slot("http_owner", &owner);
    core::Status st = processor.process(parsed->nodes, core::kConfMain, nullptr);
    if (!st) {
        *error = st.message();
        return nullptr;
    }
    if (!owner) {
        *error = "no http block";
        return nullptr;
    }
    st = finish_http_conf(*owner, prefix);
    if (!st) {
        *error = st.message();
        return nullptr;
    }
    return owner;
}

// The error text of loading `text` ("" if it loaded).
inline std::string load_error(const std::string& text) {
    std::string error;
    auto conf = load_http(text, &error);
    return conf ? std::string() : error;
}

}  // namespace tycho::http::testing
