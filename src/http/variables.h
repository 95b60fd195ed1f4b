#pragma once

// nginx variables ($uri, $arg_x, $http_x, set variables, $1..$9, ...) and complex values
// (strings with embedded variables such as "$scheme://$host$request_uri").

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/request.h"

namespace tycho::http {

// A string with $name / ${name} references, compiled once at config load. Evaluation
// appends to `out`; unknown-at-runtime values (e.g. a missing $arg_x) expand to "".
class ComplexValue {
  public:
    // Compiles `text`. Errors use nginx's wording without position (e.g. "invalid variable name"),
    // the directive setter adds " in FILE:LINE". Variable existence is checked later by
    // check_variables() (a `set` may define a variable after its first use).
    static core::Result<std::shared_ptr<ComplexValue>> compile(std::string_view text);

    bool is_literal() const { return parts_.size() <= 1 && (parts_.empty() || !parts_[0].is_var); }
    // The text when is_literal(), else the source text.
    const std::string& source() const { return source_; }
    void eval(Request& r, std::string& out) const;
    std::string eval(Request& r) const {
        std::string s;
        eval(r, s);
        return s;
    }
    // Names of the variables it references (for check_variables).
    std::vector<std::string> variable_names() const;

    struct Part {
        bool is_var = false;
        std::string text;  // literal text or variable name
        int capture = -1;  // $1..$9 -> 1..9
        int var_index = -1;  // resolved builtin index, -1 if dynamic (prefix/set var)
    };

  private:
    std::string source_;
    std::vector<Part> parts_;
};

// True if `name` (without '$') is a builtin, a prefix family (arg_, http_, cookie_, sent_http_),
// a capture number, or in `set_variables`.
bool is_known_variable(std::string_view name, const std::vector<std::string>& set_variables);

// Appends the value of variable `name` to `out`; returns false (appending nothing) when it has
// no value ("not found" in nginx terms). Used by ComplexValue, log formats and later ngx.var.
bool get_variable(Request& r, std::string_view name, std::string& out);

// Appends the value of `map` variable `name` for `r` (map_module.cpp), computing it on first use;
// false if no `map` makes `name`.
bool map_variable(Request& r, std::string_view name, std::string& out);

// True if `name` is a builtin variable (such as "uri"); `set` may assign only "args" of these.
bool is_builtin_variable(std::string_view name);

// Sets a `set`-created variable. Returns false if `name` is not writable.
bool set_variable(Request& r, std::string_view name, std::string_view value);

}  // namespace tycho::http
