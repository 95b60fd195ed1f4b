// The nginx configuration lexer and parser. The tokenizer follows ngx_conf_read_token() state for
// state (so odd inputs fail the way nginx fails them), the block structure follows
// ngx_conf_parse(), and `*_by_lua_block` bodies are scanned the way lua-nginx-module's
// ngx_http_lua_conf_read_lua_token() does: as Lua tokens, so that braces inside strings, long
// strings and comments do not end the block.

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/conf.h"

namespace tycho::core {
namespace {

// nginx has no limit and dies of "Too many open files" on an include loop; a bound keeps a
// glob that matches its own file from recursing forever (and exponentially).
constexpr int kMaxIncludeDepth = 32;
// Blocks are parsed recursively; a bound keeps hostile input from exhausting the stack. Real
// configs nest a handful of levels.
constexpr int kMaxBlockDepth = 200;
constexpr std::string_view kCommandLine = "command line";
constexpr std::string_view kLuaBlockSuffix = "_by_lua_block";

enum class Token { kOk, kBlockStart, kBlockDone, kFileDone, kError };
enum class ParseType { kFile, kBlock, kParam };

std::string errno_text(int err) {
    return "(" + std::to_string(err) + ": " + std::strerror(err) + ")";
}

bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// One file (or the -g text) being read: the cursor and line counter nginx keeps in
// ngx_conf_file_t.
struct Source {
    std::string_view text;
    std::string name;
    bool is_param = false;  // the -g text: no line numbers, no blocks
    size_t pos = 0;
    int line = 1;

    // nginx's ngx_conf_log_error() suffix.
    std::string where() const {
        if (is_param) {
            return " in command line";
        }
        return " in " + name + ":" + std::to_string(line);
    }
    Status error(std::string_view message) const {
        return Status::error(std::string(message) + where());
    }
};

// Resolves nginx's escapes in a finished word: \" \' \\ lose the backslash, \t \r \n become
// control characters, every other backslash is kept as written.
std::string unescape(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    size_t i = 0;
    while (i < raw.size()) {
        if (raw[i] == '\\' && i + 1 < raw.size()) {
            char next = raw[i + 1];
            switch (next) {
                case '"':
                case '\'':
                case '\\':
                    out.push_back(next);
                    i += 2;
                    continue;
                case 't':
                    out.push_back('\t');
                    i += 2;
                    continue;
                case 'r':
                    out.push_back('\r');
                    i += 2;
                    continue;
                case 'n':
                    out.push_back('\n');
                    i += 2;
                    continue;
                default:
                    break;
            }
        }
        out.push_back(raw[i]);
        i++;
    }
    return out;
}

// ngx_conf_read_token(): reads one directive's words up to ';', '{' or a lone '}'.
Token read_token(Source& src, std::vector<std::string>& words, std::vector<bool>& quoted_words,
                 Status& err) {
    bool need_space = false;
    bool last_space = true;
    bool sharp_comment = false;
    bool variable = false;
    bool quoted = false;
    bool s_quoted = false;
    bool d_quoted = false;
    bool word_quoted = false;
    size_t start = src.pos;
    const std::string_view text = src.text;

    words.clear();
    quoted_words.clear();

    for (;;) {
        if (src.pos >= text.size()) {
            if (!words.empty() || !last_space) {
                if (src.is_param) {
                    err = src.error("unexpected end of parameter, expecting \";\"");
                } else {
                    err = src.error("unexpected end of file, expecting \";\" or \"}\"");
                }
                return Token::kError;
            }
            return Token::kFileDone;
        }

        char ch = text[src.pos++];

        if (ch == '\n') {
            src.line++;
            sharp_comment = false;
        }
        if (sharp_comment) {
            continue;
        }
        if (quoted) {
            quoted = false;
            continue;
        }

        if (need_space) {
            if (is_space(ch)) {
                last_space = true;
                need_space = false;
                continue;
            }
            if (ch == ';') {
                return Token::kOk;
            }
            if (ch == '{') {
                return Token::kBlockStart;
            }
            if (ch == ')') {
                last_space = true;
                need_space = false;
            } else {
                err = src.error(std::string("unexpected \"") + ch + "\"");
                return Token::kError;
            }
        }

        if (last_space) {
            start = src.pos - 1;
            word_quoted = false;
            if (is_space(ch)) {
                continue;
            }
            switch (ch) {
                case ';':
                case '{':
                    if (words.empty()) {
                        err = src.error(std::string("unexpected \"") + ch + "\"");
                        return Token::kError;
                    }
                    return ch == '{' ? Token::kBlockStart : Token::kOk;
                case '}':
                    if (!words.empty()) {
                        err = src.error("unexpected \"}\"");
                        return Token::kError;
                    }
                    return Token::kBlockDone;
                case '#':
                    sharp_comment = true;
                    continue;
                case '\\':
                    quoted = true;
                    last_space = false;
                    continue;
                case '"':
                    start++;
                    d_quoted = true;
                    word_quoted = true;
                    last_space = false;
                    continue;
                case '\'':
                    start++;
                    s_quoted = true;
                    word_quoted = true;
                    last_space = false;
                    continue;
                case '$':
                    variable = true;
                    last_space = false;
                    continue;
                default:
                    last_space = false;
                    continue;
            }
        }

        // Inside a word. "${" does not open a block: it is a variable name in braces.
        if (ch == '{' && variable) {
            continue;
        }
        variable = false;
        if (ch == '\\') {
            quoted = true;
            continue;
        }
        if (ch == '$') {
            variable = true;
            continue;
        }

        bool found = false;
        if (d_quoted) {
            if (ch == '"') {
                d_quoted = false;
                need_space = true;
                found = true;
            }
        } else if (s_quoted) {
            if (ch == '\'') {
                s_quoted = false;
                need_space = true;
                found = true;
            }
        } else if (is_space(ch) || ch == ';' || ch == '{') {
            last_space = true;
            found = true;
        }

        if (found) {
            words.push_back(unescape(text.substr(start, src.pos - 1 - start)));
            quoted_words.push_back(word_quoted);
            if (ch == ';') {
                return Token::kOk;
            }
            if (ch == '{') {
                return Token::kBlockStart;
            }
        }
    }
}

// Length of a Lua long bracket opening ("[[", "[==[") at `pos`, or 0 if there is none.
size_t long_bracket_open(std::string_view text, size_t pos, size_t* level) {
    if (pos >= text.size() || text[pos] != '[') {
        return 0;
    }
    size_t i = pos + 1;
    while (i < text.size() && text[i] == '=') {
        i++;
    }
    if (i < text.size() && text[i] == '[') {
        *level = i - pos - 1;
        return i - pos + 1;
    }
    return 0;
}

// Reads the body of a `*_by_lua_block` whose '{' was just consumed, as lua-nginx-module does:
// Lua strings, long strings and comments are skipped as units so braces inside them do not
// count. On success `node.lua_source` holds the bytes between the braces.
Status read_lua_block(Source& src, ConfNode& node) {
    const std::string_view text = src.text;
    const size_t body_start = src.pos;
    // Where lua-nginx-module reports a missing end: the line of the last '{' it saw.
    int open_line = src.line;
    int level = 1;

    auto count_lines = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; i++) {
            if (text[i] == '\n') {
                src.line++;
            }
        }
    };
    auto eof_error = [&]() {
        src.line = open_line;
        return src.error(
            "unexpected end of file, expecting terminating characters for lua code block");
    };
    // Skips a long string/comment body opened by a bracket of `level` '=' signs at `open`
    // (length `open_len`).
    auto skip_long = [&](size_t open, size_t open_len, size_t eq) -> Status {
        std::string close = "]" + std::string(eq, '=') + "]";
        size_t body = open + open_len;
        size_t end = text.find(close, body);
        if (end == std::string_view::npos) {
            count_lines(src.pos, open);
            src.pos = text.size();
            return src.error("Lua code block missing the closing long bracket \"" + close +
                             "\", the inlined Lua code may be too long");
        }
        count_lines(src.pos, end + close.size());
        src.pos = end + close.size();
        return Status::ok();
    };

    while (src.pos < text.size()) {
        char ch = text[src.pos];
        size_t eq = 0;
        size_t open_len = 0;
        switch (ch) {
            case '\n':
                src.line++;
                src.pos++;
                break;
            case '-':
                if (src.pos + 1 < text.size() && text[src.pos + 1] == '-') {
                    open_len = long_bracket_open(text, src.pos + 2, &eq);
                    if (open_len != 0) {
                        Status st = skip_long(src.pos + 2, open_len, eq);
                        if (!st) {
                            return st;
                        }
                    } else {
                        // A line comment ends before the newline, which the loop counts.
                        size_t nl = text.find('\n', src.pos);
                        src.pos = nl == std::string_view::npos ? text.size() : nl;
                    }
                } else {
                    src.pos++;
                }
                break;
            case '[':
                open_len = long_bracket_open(text, src.pos, &eq);
                if (open_len != 0) {
                    Status st = skip_long(src.pos, open_len, eq);
                    if (!st) {
                        return st;
                    }
                } else {
                    src.pos++;
                }
                break;
            case '"':
            case '\'': {
                size_t i = src.pos + 1;
                bool closed = false;
                while (i < text.size()) {
                    char c = text[i];
                    if (c == '\\') {
                        i += 2;
                        continue;
                    }
                    if (c == ch) {
                        closed = true;
                        i++;
                        break;
                    }
                    if (c == '\n') {
                        // Not valid Lua; stop here and let the Lua compiler report it later.
                        closed = true;
                        break;
                    }
                    i++;
                }
                if (!closed) {
                    return eof_error();
                }
                count_lines(src.pos, i);
                src.pos = i;
                break;
            }
            case '{':
                level++;
                open_line = src.line;
                src.pos++;
                break;
            case '}':
                level--;
                if (level == 0) {
                    node.lua_source = std::string(text.substr(body_start, src.pos - body_start));
                    src.pos++;
                    return Status::ok();
                }
                src.pos++;
                break;
            default:
                src.pos++;
                break;
        }
    }
    return eof_error();
}

class Parser {
  public:
    Parser(ParsedConf& out, std::string include_dir)
        : out_(out), include_dir_(std::move(include_dir)) {}

    // Reads and parses a whole file as ngx_conf_parse(cf, filename) does. `from` is the
    // including source (nullptr for the main file), used for the error position.
    Status parse_file(const std::string& path, const Source* from, std::vector<ConfNode>& nodes) {
        auto where = [&]() { return from != nullptr ? from->where() : std::string(); };
        for (const std::string& open : stack_) {
            if (open == path) {
                return Status::error("include loop: \"" + path + "\" is already being read" +
                                     where());
            }
        }
        if (static_cast<int>(stack_.size()) > kMaxIncludeDepth) {
            return Status::error("too many nested includes at \"" + path + "\"" + where());
        }
        std::string content;
        Status st = read_file(path, where(), content);
        if (!st) {
            return st;
        }
        record(path, content);
        Source src;
        src.text = content;
        src.name = path;
        stack_.push_back(path);
        st = parse(src, ParseType::kFile, nodes);
        stack_.pop_back();
        return st;
    }

    Status parse_text(std::string_view text, const std::string& name,
                      std::vector<ConfNode>& nodes) {
        Source src;
        src.text = text;
        src.name = name;
        src.is_param = name == kCommandLine;
        if (!src.is_param) {
            record(name, std::string(text));
            stack_.push_back(name);
        }
        Status st = parse(src, src.is_param ? ParseType::kParam : ParseType::kFile, nodes);
        if (!src.is_param) {
            stack_.pop_back();
        }
        return st;
    }

  private:
    void record(const std::string& path, const std::string& content) {
        // nginx's -T dump lists a file once even when it is included several times.
        for (const auto& [p, c] : out_.files) {
            if (p == path && c == content) {
                return;
            }
        }
        out_.files.emplace_back(path, content);
    }

    static Status read_file(const std::string& path, const std::string& where,
                            std::string& content) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            return Status::error("open() \"" + path + "\" failed " + errno_text(errno) + where);
        }
        char buf[16384];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof(buf));
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                int err = errno;
                ::close(fd);
                return Status::error("pread() \"" + path + "\" failed " + errno_text(err));
            }
            if (n == 0) {
                break;
            }
            content.append(buf, static_cast<size_t>(n));
        }
        ::close(fd);
        return Status::ok();
    }

    // ngx_conf_parse()'s loop for one file, block or -g text.
    Status parse(Source& src, ParseType type, std::vector<ConfNode>& nodes) {
        std::vector<std::string> words;
        std::vector<bool> quoted;
        for (;;) {
            Status err;
            Token rc = read_token(src, words, quoted, err);
            switch (rc) {
                case Token::kError:
                    return err;
                case Token::kBlockDone:
                    if (type != ParseType::kBlock) {
                        return src.error("unexpected \"}\"");
                    }
                    return Status::ok();
                case Token::kFileDone:
                    if (type == ParseType::kBlock) {
                        return src.error("unexpected end of file, expecting \"}\"");
                    }
                    return Status::ok();
                case Token::kBlockStart:
                    if (src.is_param) {
                        return src.error("block directives are not supported in -g option");
                    }
                    break;
                case Token::kOk:
                    break;
            }

            if (words[0] == "include") {
                Status st = include(src, rc, words, nodes);
                if (!st) {
                    return st;
                }
                continue;
            }

            ConfNode node;
            node.name = std::move(words[0]);
            node.args.assign(std::make_move_iterator(words.begin() + 1),
                             std::make_move_iterator(words.end()));
            node.quoted.assign(quoted.begin() + 1, quoted.end());
            node.file = src.is_param ? std::string(kCommandLine) : src.name;
            // nginx reports a directive's errors at the line where its ';' or '{' was read.
            node.line = src.line;
            if (rc == Token::kBlockStart) {
                node.is_block = true;
                if (ends_with(node.name, kLuaBlockSuffix)) {
                    node.is_lua_block = true;
                    node.lua_line = src.line;
                    Status st = read_lua_block(src, node);
                    if (!st) {
                        return st;
                    }
                } else {
                    if (++block_depth_ > kMaxBlockDepth) {
                        return src.error("too deeply nested blocks (more than " +
                                         std::to_string(kMaxBlockDepth) + " levels)");
                    }
                    Status st = parse(src, ParseType::kBlock, node.children);
                    block_depth_--;
                    if (!st) {
                        return st;
                    }
                }
            }
            nodes.push_back(std::move(node));
        }
    }

    // ngx_conf_include(): the directive is replaced by the nodes of the file(s) it names.
    Status include(Source& src, Token rc, const std::vector<std::string>& words,
                   std::vector<ConfNode>& nodes) {
        if (rc == Token::kBlockStart) {
            return src.error("directive \"include\" is not terminated by \";\"");
        }
        if (words.size() != 2) {
            return src.error("invalid number of arguments in \"include\" directive");
        }
        std::string path = words[1];
        if (!path.empty() && path[0] != '/' && !include_dir_.empty()) {
            path = include_dir_ + (include_dir_.back() == '/' ? "" : "/") + path;
        }
        if (path.find_first_of("*?[") == std::string::npos) {
            return parse_file(path, &src, nodes);
        }
        glob_t gl;
        std::memset(&gl, 0, sizeof(gl));
        int grc = ::glob(path.c_str(), 0, nullptr, &gl);
        if (grc == GLOB_NOMATCH) {
            ::globfree(&gl);
            return Status::ok();
        }
        if (grc != 0) {
            int err = errno != 0 ? errno : EIO;
            ::globfree(&gl);
            return src.error("glob() \"" + path + "\" failed " + errno_text(err));
        }
        std::vector<std::string> matches(gl.gl_pathv, gl.gl_pathv + gl.gl_pathc);
        ::globfree(&gl);
        for (const std::string& match : matches) {
            Status st = parse_file(match, &src, nodes);
            if (!st) {
                return st;
            }
        }
        return Status::ok();
    }

    ParsedConf& out_;
    std::string include_dir_;
    std::vector<std::string> stack_;  // files being read, outermost first
    int block_depth_ = 0;             // across includes: the recursion is the same
};

std::string dir_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        return std::string();
    }
    if (slash == 0) {
        return "/";
    }
    return path.substr(0, slash);
}

}  // namespace

Result<ParsedConf> parse_conf_file(const std::string& path) {
    ParsedConf conf;
    Parser parser(conf, dir_of(path));
    Status st = parser.parse_file(path, nullptr, conf.nodes);
    if (!st) {
        return st;
    }
    return conf;
}

Result<ParsedConf> parse_conf_string(std::string_view text, const std::string& file_name,
                                     const std::string& include_dir) {
    ParsedConf conf;
    Parser parser(conf, include_dir);
    Status st = parser.parse_text(text, file_name, conf.nodes);
    if (!st) {
        return st;
    }
    return conf;
}

}  // namespace tycho::core
