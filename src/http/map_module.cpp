// `map $source $name { key value; ... }` (ngx_http_map_module): $name is $source's value looked
// up in the block, when a request first reads it (then kept for the request unless `volatile`).
// Plain keys match regardless of case; with `hostnames`, masks ("*.example.com",
// ".example.com", "www.example.*") come next, the longest matching one winning; then regexes
// ("~", "~*") in the order written, whose captures ($1, named ones) the value may use and which
// set the request's captures, as in nginx; then `default` ("" without one).

#include <string>
#include <string_view>

#include "core/ascii.h"
#include "core/conf.h"
#include "core/regex.h"
#include "http/http_conf.h"
#include "http/http_conf_scope.h"
#include "http/variables.h"

namespace tycho::http {
namespace {

using core::ConfNode;
using core::ConfProcessor;
using core::Status;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = core::ascii_lower(c);
    }
    return out;
}

// One line of the block: a parameter (default, hostnames, volatile) or a key and its value.
Status add_map_line(const ConfNode& line, MapDef& map) {
    if (line.is_block) {
        return ConfProcessor::error_at(line, "unexpected \"{\"");
    }
    if (line.args.empty() && (line.name == "hostnames" || line.name == "volatile")) {
        (line.name == "hostnames" ? map.hostnames : map.is_volatile) = true;
        return Status::ok();
    }
    if (line.args.size() != 1) {
        return ConfProcessor::error_at(line, "invalid number of the map parameters");
    }
    auto value = ComplexValue::compile(line.args[0]);
    if (!value) {
        return ConfProcessor::error_at(line, value.message());
    }
    std::string key = line.name;
    if (key == "default") {
        if (map.default_value != nullptr) {
            return ConfProcessor::error_at(line, "duplicate default map parameter");
        }
        map.default_value = *value;
        return Status::ok();
    }
    if (key.size() > 1 && key[0] == '~') {
        bool caseless = key[1] == '*';
        auto re = core::Regex::compile(std::string_view(key).substr(caseless ? 2 : 1), caseless);
        if (!re) {
            return ConfProcessor::error_at(line, re.message());
        }
        map.regexes.push_back({*re, *value});
        return Status::ok();
    }
    if (!key.empty() && key[0] == '\\') {
        key.erase(0, 1);  // "\default", "\~x": the text itself
    }
    if (map.hostnames && key.size() > 1) {
        // Masks: "*.example.com" and ".example.com" match at the end ("." also the bare name),
        // "www.example.*" at the start.
        if (key.compare(0, 2, "*.") == 0 || key[0] == '.') {
            bool bare = key[0] == '.';
            std::string text = lower(bare ? key : key.substr(1));
            for (const MapDef::Mask& m : map.head_masks) {
                if (m.text == text) {
                    return ConfProcessor::error_at(line, "conflicting parameter \"" + key + "\"");
                }
            }
            map.head_masks.push_back({std::move(text), bare, *value});
            return Status::ok();
        }
        if (key.size() > 2 && key.compare(key.size() - 2, 2, ".*") == 0) {
            std::string text = lower(std::string_view(key).substr(0, key.size() - 1));
            for (const MapDef::Mask& m : map.tail_masks) {
                if (m.text == text) {
                    return ConfProcessor::error_at(line, "conflicting parameter \"" + key + "\"");
                }
            }
            map.tail_masks.push_back({std::move(text), false, *value});
            return Status::ok();
        }
    }
    if (map.hostnames && !key.empty() && key.back() == '.') {
        key.pop_back();
    }
    if (!map.exact.emplace(lower(key), *value).second) {
        return ConfProcessor::error_at(line, "conflicting parameter \"" + key + "\"");
    }
    return Status::ok();
}

Status set_map(ConfProcessor&, const ConfNode& node, void* conf) {
    HttpConf* http = conf_scope(conf)->http;
    const std::string& target = node.args[1];
    if (target.size() < 2 || target[0] != '$') {
        return Status::error("invalid variable name \"" + target + "\"");
    }
    std::string name = target.substr(1);
    if (is_builtin_variable(name) || http->maps.count(name) != 0) {
        return Status::error("the duplicate \"" + name + "\" variable");
    }
    auto source = ComplexValue::compile(node.args[0]);
    if (!source) {
        return source.status();
    }
    auto map = std::make_shared<MapDef>();
    map->name = name;
    map->source = *source;
    for (const ConfNode& line : node.children) {
        Status st = add_map_line(line, *map);
        if (!st) {
            return st;
        }
    }
    http->maps.emplace(name, std::move(map));
    // A map variable can be assigned (`set`, ngx.var), as nginx makes it changeable; its
    // regexes' named captures become variables.
    http->set_variables.push_back(name);
    for (const MapDef::RegexKey& k : http->maps[name]->regexes) {
        for (const auto& [capture, group] : k.regex->names()) {
            http->set_variables.push_back(capture);
        }
    }
    return Status::ok();
}

// The value for `key` (already lower-cased for the plain and mask lookups).
const ComplexValue* find_value(Request& r, const MapDef& map, const std::string& key,
                               const std::string& low) {
    if (auto it = map.exact.find(low); it != map.exact.end()) {
        return it->second.get();
    }
    if (map.hostnames) {
        const MapDef::Mask* best = nullptr;
        for (const MapDef::Mask& m : map.head_masks) {
            bool hit = (low.size() > m.text.size() &&
                        low.compare(low.size() - m.text.size(), m.text.size(), m.text) == 0) ||
                       (m.bare && low == std::string_view(m.text).substr(1));
            if (hit && (best == nullptr || m.text.size() > best->text.size())) {
                best = &m;
            }
        }
        if (best == nullptr) {
            for (const MapDef::Mask& m : map.tail_masks) {
                if (low.size() > m.text.size() && low.compare(0, m.text.size(), m.text) == 0 &&
                    (best == nullptr || m.text.size() > best->text.size())) {
                    best = &m;
                }
            }
        }
        if (best != nullptr) {
            return best->value.get();
        }
    }
    for (const MapDef::RegexKey& k : map.regexes) {
        std::vector<int> ov;
        if (!k.regex->match(key, &ov)) {
            continue;
        }
        // As ngx_http_regex_exec: the match's groups become $1..$9 of the request, named ones
        // variables.
        r.captures_subject = key;
        for (const auto& [name, group] : k.regex->names()) {
            size_t i = static_cast<size_t>(group) * 2;
            std::string v;
            if (i + 1 < ov.size() && ov[i] >= 0 && ov[i + 1] >= ov[i]) {
                v = key.substr(static_cast<size_t>(ov[i]), static_cast<size_t>(ov[i + 1] - ov[i]));
            }
            r.variables[name] = std::move(v);
        }
        r.captures = std::move(ov);
        return k.value.get();
    }
    return map.default_value.get();
}

}  // namespace

void register_map_directive(core::DirectiveTable& table) {
    table.add({"map", core::kConfHttp, core::kArgs2 | core::kArgsBlock, set_map});
}

bool map_variable(Request& r, std::string_view name, std::string& out) {
    if (r.server == nullptr || r.server->http == nullptr || r.server->http->maps.empty()) {
        return false;
    }
    const auto& maps = r.server->http->maps;
    auto it = maps.find(std::string(name));
    if (it == maps.end()) {
        return false;
    }
    const MapDef& map = *it->second;
    std::string key = map.source->eval(r);
    if (map.hostnames && !key.empty() && key.back() == '.') {
        key.pop_back();
    }
    const ComplexValue* value = find_value(r, map, key, lower(key));
    std::string result = value != nullptr ? value->eval(r) : std::string();
    out.append(result);
    if (!map.is_volatile) {
        r.variables[map.name] = std::move(result);
    }
    return true;
}

}  // namespace tycho::http
