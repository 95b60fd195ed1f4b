// The directive table engine (ngx_conf_handler()) and nginx's value parsers
// (ngx_parse_size(), ngx_parse_time(), ngx_conf_set_flag_slot()).

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/conf.h"

namespace tycho::core {

void DirectiveTable::add(Directive directive) {
    std::string key = directive.name;
    directives_.insert_or_assign(std::move(key), std::move(directive));
}

const Directive* DirectiveTable::find(std::string_view name) const {
    auto it = directives_.find(std::string(name));
    return it == directives_.end() ? nullptr : &it->second;
}

namespace {

// The last message error_at() produced on this thread, so that process() can tell a positioned
// error coming back from a setter from a bare nginx text it must position.
thread_local std::string g_positioned_error;

// nginx's argument_number[]: bit N of the arity mask allows N arguments, for N = 0..7.
constexpr size_t kMaxFixedArgs = 7;

bool arity_ok(uint32_t mask, size_t nargs) {
    if (mask & kArgsAny) {
        return true;
    }
    if (mask & kArgsFlag) {
        return nargs == 1;
    }
    if (mask & kArgs1More) {
        return nargs >= 1;
    }
    if (mask & kArgs2More) {
        return nargs >= 2;
    }
    if (nargs > kMaxFixedArgs) {
        return false;
    }
    return (mask & (1u << nargs)) != 0;
}

}  // namespace

Status ConfProcessor::process(const std::vector<ConfNode>& nodes, uint32_t context, void* conf) {
    for (const ConfNode& node : nodes) {
        const Directive* d = table_.find(node.name);
        if (d == nullptr) {
            return error_at(node, "unknown directive \"" + node.name + "\"");
        }
        if ((d->contexts & context) == 0) {
            return error_at(node, "\"" + node.name + "\" directive is not allowed here");
        }
        bool wants_block = (d->args & kArgsBlock) != 0;
        if (!wants_block && node.is_block) {
            return error_at(node, "directive \"" + node.name + "\" is not terminated by \";\"");
        }
        if (wants_block && !node.is_block) {
            return error_at(node, "directive \"" + node.name + "\" has no opening \"{\"");
        }
        if (!arity_ok(d->args, node.args.size())) {
            return error_at(node, "invalid number of arguments in \"" + node.name + "\" directive");
        }
        if (!d->set) {
            continue;
        }
        Status st = d->set(*this, node, conf);
        if (!st) {
            // A block setter passes on its children's error, and a setter may position an error
            // itself with error_at(): those already carry their suffix.
            if (st.message() == g_positioned_error) {
                return st;
            }
            return error_at(node, st.message());
        }
    }
    return Status::ok();
}

Status ConfProcessor::error_at(const ConfNode& node, std::string_view message) {
    std::string text(message);
    if (node.file == "command line") {
        text += " in command line";
    } else {
        text += " in " + node.file + ":" + std::to_string(node.line);
    }
    g_positioned_error = text;
    return Status::error(std::move(text));
}

void* ConfProcessor::slot(const std::string& key) const {
    auto it = slots_.find(key);
    return it == slots_.end() ? nullptr : it->second;
}

std::string ConfProcessor::full_path(std::string_view path) const {
    if (!path.empty() && path[0] == '/') {
        return std::string(path);
    }
    if (prefix.empty()) {
        return std::string(path);
    }
    std::string out = prefix;
    if (out.back() != '/') {
        out.push_back('/');
    }
    out.append(path);
    return out;
}

namespace {

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

Status invalid_value() { return Status::error("invalid value"); }

}  // namespace

Result<int64_t> parse_size(std::string_view text) {
    if (text.empty()) {
        return invalid_value();
    }
    int64_t scale = 1;
    switch (text.back()) {
        case 'K':
        case 'k':
            scale = 1024;
            text.remove_suffix(1);
            break;
        case 'M':
        case 'm':
            scale = 1024 * 1024;
            text.remove_suffix(1);
            break;
        case 'G':
        case 'g':
            scale = 1024 * 1024 * 1024;
            text.remove_suffix(1);
            break;
        default:
            break;
    }
    // ngx_atosz(): digits only, at least one, no overflow.
    if (text.empty()) {
        return invalid_value();
    }
    int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return invalid_value();
        }
        int digit = c - '0';
        if (value > (kMaxInt - digit) / 10) {
            return invalid_value();
        }
        value = value * 10 + digit;
    }
    if (value > kMaxInt / scale) {
        return invalid_value();
    }
    return value * scale;
}

namespace {

// ngx_parse_time(), step for step: units must come in decreasing order, each at most once;
// the result is in seconds (is_sec) or milliseconds.
Result<int64_t> parse_time(std::string_view text, bool is_sec) {
    enum Step { kStart, kYear, kMonth, kWeek, kDay, kHour, kMin, kSec, kMsec, kLast };
    const int64_t cutoff = kMaxInt / 10;
    const int64_t cutlim = kMaxInt % 10;
    bool valid = false;
    int64_t value = 0;
    int64_t total = 0;
    // The millisecond variant refuses years and months (nginx's step starts at "month").
    Step step = is_sec ? kStart : kMonth;
    size_t p = 0;
    const size_t last = text.size();

    while (p < last) {
        char c = text[p];
        if (c >= '0' && c <= '9') {
            if (value >= cutoff && (value > cutoff || c - '0' > cutlim)) {
                return invalid_value();
            }
            value = value * 10 + (c - '0');
            valid = true;
            p++;
            continue;
        }
        p++;
        int64_t max = 0;
        int64_t scale = 0;
        switch (c) {
            case 'y':
                if (step > kStart) {
                    return invalid_value();
                }
                step = kYear;
                scale = 60LL * 60 * 24 * 365;
                break;
            case 'M':
                if (step >= kMonth) {
                    return invalid_value();
                }
                step = kMonth;
                scale = 60LL * 60 * 24 * 30;
                break;
            case 'w':
                if (step >= kWeek) {
                    return invalid_value();
                }
                step = kWeek;
                scale = 60LL * 60 * 24 * 7;
                break;
            case 'd':
                if (step >= kDay) {
                    return invalid_value();
                }
                step = kDay;
                scale = 60LL * 60 * 24;
                break;
            case 'h':
                if (step >= kHour) {
                    return invalid_value();
                }
                step = kHour;
                scale = 60LL * 60;
                break;
            case 'm':
                if (p < last && text[p] == 's') {
                    if (is_sec || step >= kMsec) {
                        return invalid_value();
                    }
                    p++;
                    step = kMsec;
                    scale = 1;
                    break;
                }
                if (step >= kMin) {
                    return invalid_value();
                }
                step = kMin;
                scale = 60;
                break;
            case 's':
                if (step >= kSec) {
                    return invalid_value();
                }
                step = kSec;
                scale = 1;
                break;
            case ' ':
                if (step >= kSec) {
                    return invalid_value();
                }
                step = kLast;
                scale = 1;
                break;
            default:
                return invalid_value();
        }
        max = kMaxInt / scale;
        if (step != kMsec && !is_sec) {
            scale *= 1000;
            max /= 1000;
        }
        if (value > max) {
            return invalid_value();
        }
        value *= scale;
        if (total > kMaxInt - value) {
            return invalid_value();
        }
        total += value;
        value = 0;
        while (p < last && text[p] == ' ') {
            p++;
        }
    }

    if (!valid) {
        return invalid_value();
    }
    if (!is_sec) {
        if (value > kMaxInt / 1000) {
            return invalid_value();
        }
        value *= 1000;
    }
    if (total > kMaxInt - value) {
        return invalid_value();
    }
    return total + value;
}

bool equals_ci(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); i++) {
        char x = a[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (x != b[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

Result<int64_t> parse_time_ms(std::string_view text) { return parse_time(text, false); }

Result<int64_t> parse_time_sec(std::string_view text) { return parse_time(text, true); }

Result<bool> parse_flag(const ConfNode& node) {
    // ngx_conf_set_flag_slot() compares without case: "ON" and "Off" are accepted.
    std::string_view value = node.args.empty() ? std::string_view() : node.args[0];
    if (equals_ci(value, "on")) {
        return true;
    }
    if (equals_ci(value, "off")) {
        return false;
    }
    return Status::error("invalid value \"" + std::string(value) + "\" in \"" + node.name +
                         "\" directive, it must be \"on\" or \"off\"");
}

}  // namespace tycho::core
