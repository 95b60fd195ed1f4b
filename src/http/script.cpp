#include "http/script.h"

#include <sys/stat.h>

#include "core/regex.h"
#include "http/http_log.h"
#include "http/phases.h"
#include "http/response.h"
#include "http/static.h"
#include "http/variables.h"

namespace tycho::http {
namespace {

bool is_redirect_code(int code) {
    return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

// Stores the match's groups of `subject` for $1..$9 and named captures (which become variables).
void save_captures(Request& r, const core::Regex& re, std::vector<int>& ov,
                   const std::string& subject) {
    r.captures_subject = subject;
    r.captures = ov;
    for (const auto& [name, group] : re.names()) {
        size_t i = static_cast<size_t>(group) * 2;
        std::string value;
        if (i + 1 < ov.size() && ov[i] >= 0 && ov[i + 1] >= ov[i]) {
            value = r.captures_subject.substr(static_cast<size_t>(ov[i]),
                                              static_cast<size_t>(ov[i + 1] - ov[i]));
        }
        r.variables[name] = std::move(value);
    }
}

// Returns kDeclined to go on with the next op, kDone to stop the script (last/break), or a
// status.
int run_rewrite(Request& r, const ScriptOp& op) {
    std::vector<int> ov;
    if (op.regex == nullptr || !op.regex->match(r.uri, &ov)) {
        return kDeclined;
    }
    save_captures(r, *op.regex, ov, r.uri);

    std::string uri;
    op.replacement->eval(r, uri);
    std::string args;
    bool has_args = op.rewrite_args != nullptr;
    if (has_args) {
        op.rewrite_args->eval(r, args);
    }

    if (op.flag == ScriptOp::Flag::kRedirect || op.flag == ScriptOp::Flag::kPermanent) {
        std::string location = uri;
        if (has_args) {
            location.push_back('?');
            location.append(args);
        }
        if (op.keep_args && !r.args.empty()) {
            location.push_back(has_args ? '&' : '?');
            location.append(r.args);
        }
        r.location_header = std::move(location);
        return op.flag == ScriptOp::Flag::kPermanent ? 301 : 302;
    }

    if (uri.empty()) {
        log_request(core::LogLevel::kError, r, "the rewritten URI has a zero length");
        return 500;
    }
    if (has_args) {
        if (op.keep_args && !r.args.empty()) {
            args.push_back('&');
            args.append(r.args);
        }
        r.args = std::move(args);
        r.args_null = false;
    } else if (!op.keep_args) {
        r.args.clear();
    }
    r.uri = std::move(uri);
    r.internal = true;
    set_exten(r);

    if (op.flag == ScriptOp::Flag::kBreak) {
        r.uri_changed = false;
        return kDone;
    }
    r.uri_changed = true;
    return op.flag == ScriptOp::Flag::kLast ? kDone : kDeclined;
}

// Whether an `if`'s condition holds (ngx_http_script_if_code and the codes before it).
bool if_condition(Request& r, const ScriptOp& op) {
    std::string value;
    if (op.cond == ScriptOp::Cond::kFile || op.cond == ScriptOp::Cond::kDir ||
        op.cond == ScriptOp::Cond::kExists || op.cond == ScriptOp::Cond::kExec) {
        op.value->eval(r, value);
        struct stat st {};
        bool ok = !value.empty() && ::stat(value.c_str(), &st) == 0;
        switch (op.cond) {
            case ScriptOp::Cond::kFile:
                ok = ok && S_ISREG(st.st_mode);
                break;
            case ScriptOp::Cond::kDir:
                ok = ok && S_ISDIR(st.st_mode);
                break;
            case ScriptOp::Cond::kExec:
                ok = ok && (st.st_mode & S_IXUSR) != 0;  // ngx_is_exec(): the owner's bit
                break;
            default:
                break;
        }
        return ok != op.negate;
    }
    if (!get_variable(r, op.variable, value)) {
        value.clear();
    }
    switch (op.cond) {
        case ScriptOp::Cond::kVariable:
            return !(value.empty() || value == "0");
        case ScriptOp::Cond::kEqual:
        case ScriptOp::Cond::kNotEqual: {
            std::string other;
            op.value->eval(r, other);
            return (value == other) == (op.cond == ScriptOp::Cond::kEqual);
        }
        case ScriptOp::Cond::kMatch: {
            std::vector<int> ov;
            bool matched = op.regex->match(value, &ov);
            if (matched) {
                save_captures(r, *op.regex, ov, value);
            }
            return matched != op.negate;
        }
        default:
            return false;
    }
}

}  // namespace

void set_exten(Request& r) { set_uri_extension(r.uri, r.exten); }

int script_return(Request& r, int code, const ComplexValue* text) {
    if (code >= 400 && text == nullptr) {
        return code;
    }
    // ngx_http_send_response(): a body that fails to discard (400) is the answer instead.
    int rc = discard_request_body(r);
    if (rc != kOk) {
        return rc;
    }
    std::string value;
    if (text != nullptr) {
        text->eval(r, value);
    }
    if (is_redirect_code(code)) {
        r.location_header = std::move(value);
        return code;
    }
    r.status = code;
    if (code == 204) {
        r.content_length_out = -1;
        return send_body(r, {}, true) == kOk ? kDone : kError;
    }
    r.content_length_out = static_cast<int64_t>(value.size());
    r.content_type = mime_type_for(r, r.exten);
    return send_body(r, value, true) == kOk ? kDone : kError;
}

int run_script(Request& r, const std::vector<ScriptOp>& ops) {
    for (size_t i = 0; i < ops.size(); i++) {
        const ScriptOp& op = ops[i];
        switch (op.kind) {
            case ScriptOp::Kind::kIf:
                if (if_condition(r, op)) {
                    r.loc = op.if_conf.get();  // the block's settings from here on
                } else {
                    i += op.skip;
                }
                break;
            case ScriptOp::Kind::kBreak:
                // ngx_http_script_break_code: a URI an earlier rewrite changed is not looked up.
                r.uri_changed = false;
                return kDeclined;
            case ScriptOp::Kind::kReturn:
                return script_return(r, op.code, op.text.get());
            case ScriptOp::Kind::kSet: {
                std::string value;
                op.value->eval(r, value);
                set_variable(r, op.variable, value);
                break;
            }
            case ScriptOp::Kind::kHandler: {
                int rc = op.handler->handle(r);
                if (rc != kDeclined) {
                    return rc;
                }
                break;
            }
            case ScriptOp::Kind::kRewrite: {
                int rc = run_rewrite(r, op);
                if (rc == kDone) {
                    return kDeclined;
                }
                if (rc != kDeclined) {
                    return rc;
                }
                break;
            }
        }
    }
    return kDeclined;
}

}  // namespace tycho::http
