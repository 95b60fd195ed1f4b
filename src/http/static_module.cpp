// Directive parsing for static content (root, alias, index, try_files, types, default_type,
// sendfile, tcp_nopush, log_not_found): nginx's ngx_http_core_root(), ngx_http_core_types(),
// ngx_http_core_try_files(), ngx_http_index_set_index(). The run-time side is static.cpp.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "core/conf.h"
#include "core/log.h"
#include "http/http_conf.h"
#include "http/http_conf_scope.h"
#include "http/static.h"
#include "http/variables.h"

namespace tycho::http {

namespace {

using core::ConfNode;
using core::ConfProcessor;
using core::Status;

constexpr uint32_t kHttpSrvLoc = core::kConfHttp | core::kConfServer | core::kConfLocation;

Status duplicate(const ConfNode& node) {
    return Status::error("\"" + node.name + "\" directive is duplicate");
}

Status set_root(ConfProcessor& processor, const ConfNode& node, void* conf, bool alias) {
    ConfScope* scope = conf_scope(conf);
    LocConf* loc = scope->loc;
    if (loc->root_set) {
        if (loc->alias == alias) {
            return duplicate(node);
        }
        return Status::error("\"" + node.name + "\" directive is duplicate, \"" +
                             (loc->alias ? "alias" : "root") +
                             "\" directive was specified earlier");
    }
    const Location* location = scope->location;
    if (alias && location != nullptr && location->match == Location::Match::kNamed) {
        return Status::error("the \"alias\" directive cannot be used inside the named location");
    }
    std::string value = node.args[0];
    for (std::string_view var : {"document_root", "realpath_root"}) {
        if (value.find("$" + std::string(var)) != std::string::npos ||
            value.find("${" + std::string(var) + "}") != std::string::npos) {
            return Status::error("the $" + std::string(var) + " variable cannot be used in the \"" +
                                 node.name + "\" directive");
        }
    }
    if (!alias && !value.empty() && value.back() == '/') {
        value.pop_back();
    }
    // A root starting with a variable is resolved at run time; any other is made absolute now
    // (ngx_conf_full_name() against the prefix), variables after the first character included.
    if (value.empty() || value[0] != '$') {
        value = processor.full_path(value);
    }
    auto compiled = ComplexValue::compile(value);
    if (!compiled) {
        return compiled.status();
    }
    loc->root = std::move(compiled.value());
    loc->alias = alias;
    loc->root_set = true;
    loc->alias_len = 0;
    if (alias && location != nullptr) {
        bool regex = location->match == Location::Match::kRegex ||
                     location->match == Location::Match::kRegexCaseless;
        loc->alias_len = regex ? LocConf::kAliasWhole : location->pattern.size();
    }
    return Status::ok();
}

Status set_index(ConfProcessor&, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    for (size_t i = 0; i < node.args.size(); i++) {
        const std::string& name = node.args[i];
        if (name.empty()) {
            // nginx quotes the first argument here, whichever was empty.
            return Status::error("index \"" + node.args[0] +
                                 "\" in \"index\" directive is invalid");
        }
        if (name[0] == '/' && i + 1 != node.args.size()) {
            warn_at(node, "only the last index in \"index\" directive should be absolute");
        }
        if (name.find('$') != std::string::npos) {
            auto compiled = ComplexValue::compile(name);
            if (!compiled) {
                return compiled.status();
            }
        }
    }
    // Several `index` directives on one level add up, as in nginx.
    if (!loc->index_set) {
        loc->index.clear();
    }
    loc->index.insert(loc->index.end(), node.args.begin(), node.args.end());
    loc->index_set = true;
    return Status::ok();
}

Status set_try_files(ConfProcessor&, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    if (!loc->try_files.empty()) {
        return duplicate(node);
    }
    for (const std::string& arg : node.args) {
        if (arg.find('$') != std::string::npos) {
            auto compiled = ComplexValue::compile(arg);
            if (!compiled) {
                return compiled.status();
            }
        }
    }
    const std::string& last = node.args.back();
    if (!last.empty() && last[0] == '=') {
        // ngx_atoi() of what follows '=': digits only, at least one, and at most 999.
        std::string_view digits = std::string_view(last).substr(1);
        bool ok = !digits.empty() && digits.size() <= 9;
        int code = 0;
        for (char c : digits) {
            if (c < '0' || c > '9') {
                ok = false;
                break;
            }
            code = code * 10 + (c - '0');
        }
        if (!ok || code > 999) {
            return Status::error("invalid code \"" + last + "\"");
        }
    }
    loc->try_files = node.args;
    return Status::ok();
}

// One line of a `types` block: TYPE ext1 ext2 ... (ngx_http_core_type()).
Status add_types_line(const ConfNode& child, MimeTypes& types);

Status add_types_nodes(ConfProcessor& processor, const std::vector<ConfNode>& nodes,
                       MimeTypes& types) {
    for (const ConfNode& child : nodes) {
        if (child.is_block) {
            // ngx_conf_parse() with a custom handler refuses any block.
            return ConfProcessor::error_at(child, "unexpected \"{\"");
        }
        if (child.name == "include") {
            // The parser normally expands includes; keep nginx's rule for one it left in place.
            if (child.args.size() != 1) {
                return ConfProcessor::error_at(
                    child, "invalid number of arguments in \"include\" directive");
            }
            std::string path = child.args[0];
            if (path.empty() || path[0] != '/') {
                std::string dir = processor.conf_file;
                size_t slash = dir.rfind('/');
                dir = slash == std::string::npos ? std::string() : dir.substr(0, slash + 1);
                path = dir + path;
            }
            auto parsed = core::parse_conf_file(path);
            if (!parsed) {
                return ConfProcessor::error_at(child, parsed.message());
            }
            Status st = add_types_nodes(processor, parsed->nodes, types);
            if (!st) {
                return st;
            }
            continue;
        }
        Status st = add_types_line(child, types);
        if (!st) {
            return st;
        }
    }
    return Status::ok();
}

Status add_types_line(const ConfNode& child, MimeTypes& types) {
    const std::string& type = child.name;
    for (const std::string& raw : child.args) {
        std::string ext;
        ext.reserve(raw.size());
        for (char c : raw) {
            ext.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
        }
        // nginx takes every word after the type as an extension. A word with a '/' is almost
        // certainly the next type after a forgotten ';': nginx says nothing; we warn.
        if (ext.find('/') != std::string::npos) {
            warn_at(child, "extension \"" + raw + "\" of content type \"" + type +
                               "\" contains \"/\", a \";\" may be missing");
        }
        auto it = types.by_extension.find(ext);
        if (it != types.by_extension.end()) {
            warn_at(child, "duplicate extension \"" + ext + "\", content type: \"" + type +
                               "\", previous content type: \"" + it->second + "\"");
            it->second = type;
            continue;
        }
        types.by_extension.emplace(std::move(ext), type);
    }
    return Status::ok();
}

Status set_types(ConfProcessor& processor, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    // Several `types` blocks (or `include mime.types` plus a block) on one level add up; a level
    // with its own types does not inherit its parent's (the merge keeps the child's).
    auto types =
        loc->types ? std::make_shared<MimeTypes>(*loc->types) : std::make_shared<MimeTypes>();
    Status st = add_types_nodes(processor, node.children, *types);
    if (!st) {
        return st;
    }
    loc->types = std::move(types);
    return Status::ok();
}

Status set_default_type(ConfProcessor&, const ConfNode& node, void* conf) {
    LocConf* loc = conf_scope(conf)->loc;
    if (loc->default_type_set) {
        return duplicate(node);
    }
    loc->default_type = node.args[0];
    loc->default_type_set = true;
    return Status::ok();
}

}  // namespace

void warn_at(const ConfNode& node, const std::string& message) {
    std::string text = message;
    if (node.file == "command line") {
        text += " in command line";
    } else {
        text += " in " + node.file + ":" + std::to_string(node.line);
    }
    core::log_error(core::LogLevel::kWarn, text);
}

void register_static_directives(core::DirectiveTable& table) {
    using core::kArgs1;
    using core::kArgs1More;
    using core::kArgs2More;
    using core::kArgsBlock;
    using core::kArgsFlag;
    using core::kArgsNone;
    using core::kConfIf;
    using core::kConfLocation;
    using core::kConfServer;

    table.add(
        {"root", kHttpSrvLoc | kConfIf, kArgs1,
         [](ConfProcessor& p, const ConfNode& n, void* c) { return set_root(p, n, c, false); }});
    table.add({"alias", kConfLocation, kArgs1, [](ConfProcessor& p, const ConfNode& n, void* c) {
                   return set_root(p, n, c, true);
               }});
    table.add({"index", kHttpSrvLoc, kArgs1More, set_index});
    table.add({"try_files", kConfServer | kConfLocation, kArgs2More, set_try_files});
    table.add({"types", kHttpSrvLoc, kArgsBlock | kArgsNone, set_types});
    table.add({"default_type", kHttpSrvLoc, kArgs1, set_default_type});
    table.add({"sendfile", kHttpSrvLoc | kConfIf, kArgsFlag, flag_setter(&LocConf::sendfile)});
    table.add({"tcp_nopush", kHttpSrvLoc, kArgsFlag, flag_setter(&LocConf::tcp_nopush)});
    table.add({"log_not_found", kHttpSrvLoc, kArgsFlag, flag_setter(&LocConf::log_not_found)});
    table.add({"etag", kHttpSrvLoc, kArgsFlag, flag_setter(&LocConf::etag)});
    table.add({"chunked_transfer_encoding", kHttpSrvLoc, kArgsFlag,
               flag_setter(&LocConf::chunked_transfer_encoding)});
    table.add({"uninitialized_variable_warn", kHttpSrvLoc | kConfIf | core::kConfServerIf,
               kArgsFlag, flag_setter(&LocConf::uninitialized_variable_warn)});
    table.add({"absolute_redirect", kHttpSrvLoc, kArgsFlag,
               flag_setter(&LocConf::absolute_redirect)});
    table.add({"server_name_in_redirect", kHttpSrvLoc, kArgsFlag,
               flag_setter(&LocConf::server_name_in_redirect)});
    table.add({"port_in_redirect", kHttpSrvLoc, kArgsFlag,
               flag_setter(&LocConf::port_in_redirect)});
    table.add(enum_directive("if_modified_since", kHttpSrvLoc, &LocConf::if_modified_since,
                             {{"off", 0}, {"exact", 1}, {"before", 2}}));
}

}  // namespace tycho::http
