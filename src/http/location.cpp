#include "http/location.h"

#include "core/regex.h"

namespace tycho::http {
namespace {

enum class Found { kNone, kExact, kPrefix };

void fill_captures(const core::Regex& re, std::string_view subject, std::vector<int>& ov,
                   RegexCaptures* captures) {
    if (captures == nullptr) {
        return;
    }
    captures->ovector = ov;
    captures->subject = std::string(subject);
    captures->named.clear();
    captures->matched = true;
    for (const auto& [name, group] : re.names()) {
        size_t i = static_cast<size_t>(group) * 2;
        if (i + 1 < ov.size() && ov[i] >= 0 && ov[i + 1] >= ov[i]) {
            captures->named.emplace_back(
                name, std::string(subject.substr(static_cast<size_t>(ov[i]),
                                                 static_cast<size_t>(ov[i + 1] - ov[i]))));
        } else {
            captures->named.emplace_back(name, std::string());
        }
    }
}

// One level of ngx_http_core_find_location(). `result` holds the best location so far (it is
// only replaced by a better one). Returns kExact when an exact or regex match ends the search.
Found find_in(const std::vector<std::unique_ptr<Location>>& locations, std::string_view uri,
              const Location*& result, RegexCaptures* captures) {
    // Static part: exact and prefix locations.
    const Location* prefix = nullptr;
    for (const auto& loc : locations) {
        switch (loc->match) {
            case Location::Match::kExact:
                if (uri == loc->pattern) {
                    result = loc.get();
                    return Found::kExact;
                }
                break;
            case Location::Match::kPrefix:
            case Location::Match::kPrefixNoRegex:
                if (uri.size() >= loc->pattern.size() &&
                    uri.compare(0, loc->pattern.size(), loc->pattern) == 0 &&
                    (prefix == nullptr || loc->pattern.size() > prefix->pattern.size())) {
                    prefix = loc.get();
                }
                break;
            default:
                break;
        }
    }

    Found found = Found::kNone;
    bool noregex = false;
    if (prefix != nullptr) {
        result = prefix;
        found = Found::kPrefix;
        noregex = prefix->match == Location::Match::kPrefixNoRegex;
        if (!prefix->locations.empty()) {
            Found nested = find_in(prefix->locations, uri, result, captures);
            if (nested == Found::kExact) {
                return nested;
            }
        }
    }

    if (!noregex) {
        std::vector<int> ov;
        for (const auto& loc : locations) {
            if (loc->match != Location::Match::kRegex &&
                loc->match != Location::Match::kRegexCaseless) {
                continue;
            }
            if (loc->regex == nullptr || !loc->regex->match(uri, &ov)) {
                continue;
            }
            result = loc.get();
            fill_captures(*loc->regex, uri, ov, captures);
            if (!loc->locations.empty()) {
                find_in(loc->locations, uri, result, captures);
            }
            return Found::kExact;
        }
    }
    return found;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

const Location* find_location(const ServerConf& server, std::string_view uri,
                              RegexCaptures* captures) {
    const Location* result = nullptr;
    find_in(server.locations, uri, result, captures);
    return result;
}

const Location* find_named_location(const ServerConf& server, std::string_view name) {
    auto it = server.named_locations.find(std::string(name));
    return it == server.named_locations.end() ? nullptr : it->second;
}

const ServerConf* find_server(const ListenGroup& group, std::string_view host,
                              RegexCaptures* captures) {
    const ServerConf* fallback = group.default_server != nullptr
                                     ? group.default_server
                                     : (group.servers.empty() ? nullptr : group.servers.front());
    // One server and no regex name (the usual setup): whatever the host, it is that server.
    if (group.servers.size() == 1) {
        bool regex = false;
        for (const ServerName& n : group.servers.front()->names) {
            regex |= n.kind == ServerName::Kind::kRegex;
        }
        if (!regex) {
            return group.servers.front();
        }
    }

    // Exact names.
    for (const ServerConf* s : group.servers) {
        for (const ServerName& n : s->names) {
            if (n.kind == ServerName::Kind::kExact && n.name == host) {
                return s;
            }
        }
    }
    if (host.empty()) {
        return fallback;
    }

    // Leading wildcards: "*.example.com" / ".example.com" are stored as ".example.com"; the
    // longest suffix wins. The host must have something before the suffix.
    const ServerConf* best = nullptr;
    size_t best_len = 0;
    for (const ServerConf* s : group.servers) {
        for (const ServerName& n : s->names) {
            if (n.kind == ServerName::Kind::kWildcardFront && host.size() > n.name.size() &&
                ends_with(host, n.name) && n.name.size() > best_len) {
                best = s;
                best_len = n.name.size();
            }
        }
    }
    if (best != nullptr) {
        return best;
    }

    // Trailing wildcards: "www.example.*" stored as "www.example."; the longest prefix wins.
    for (const ServerConf* s : group.servers) {
        for (const ServerName& n : s->names) {
            if (n.kind == ServerName::Kind::kWildcardBack && host.size() > n.name.size() &&
                starts_with(host, n.name) && n.name.size() > best_len) {
                best = s;
                best_len = n.name.size();
            }
        }
    }
    if (best != nullptr) {
        return best;
    }

    std::vector<int> ov;
    for (const ServerConf* s : group.servers) {
        for (const ServerName& n : s->names) {
            if (n.kind == ServerName::Kind::kRegex && n.regex != nullptr &&
                n.regex->match(host, &ov)) {
                fill_captures(*n.regex, host, ov, captures);
                return s;
            }
        }
    }
    return fallback;
}

}  // namespace tycho::http
