#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/conf.h"

namespace tycho::core {
namespace {

const std::string kFile = "/t/nginx.conf";

ParsedConf parse_ok(std::string_view text) {
    auto r = parse_conf_string(text, kFile, "/t");
    EXPECT_TRUE(r.is_ok()) << r.message();
    return r.is_ok() ? std::move(r).value() : ParsedConf{};
}

std::string parse_err(std::string_view text, const std::string& name = kFile) {
    auto r = parse_conf_string(text, name, "/t");
    EXPECT_FALSE(r.is_ok());
    return r.message();
}

using Args = std::vector<std::string>;

TEST(ConfParser, DirectivesAndBlocks) {
    ParsedConf c = parse_ok("worker_processes 2;\nevents {\n  worker_connections 512;\n}\n");
    ASSERT_EQ(c.nodes.size(), 2u);
    EXPECT_EQ(c.nodes[0].name, "worker_processes");
    EXPECT_EQ(c.nodes[0].args, Args{"2"});
    EXPECT_FALSE(c.nodes[0].is_block);
    EXPECT_EQ(c.nodes[0].line, 1);
    EXPECT_EQ(c.nodes[0].file, kFile);
    EXPECT_EQ(c.nodes[1].name, "events");
    EXPECT_TRUE(c.nodes[1].is_block);
    EXPECT_TRUE(c.nodes[1].args.empty());
    EXPECT_EQ(c.nodes[1].line, 2);
    ASSERT_EQ(c.nodes[1].children.size(), 1u);
    EXPECT_EQ(c.nodes[1].children[0].name, "worker_connections");
    EXPECT_EQ(c.nodes[1].children[0].line, 3);
}

TEST(ConfParser, NestedBlocksWithArguments) {
    ParsedConf c =
        parse_ok("http { server { location = /a { location ~* \\.png$ { return 204; } } } }");
    ASSERT_EQ(c.nodes.size(), 1u);
    const ConfNode& loc = c.nodes[0].children[0].children[0];
    EXPECT_EQ(loc.name, "location");
    EXPECT_EQ(loc.args, (Args{"=", "/a"}));
    const ConfNode& inner = loc.children[0];
    EXPECT_EQ(inner.args, (Args{"~*", "\\.png$"}));
    EXPECT_EQ(inner.children[0].name, "return");
    EXPECT_EQ(inner.children[0].args, Args{"204"});
}

TEST(ConfParser, SeveralDirectivesPerLineAndEmptyBlocks) {
    ParsedConf c = parse_ok("a 1; b 2;c;d{}e{f;}\ng;");
    ASSERT_EQ(c.nodes.size(), 6u);
    EXPECT_EQ(c.nodes[0].name, "a");
    EXPECT_EQ(c.nodes[1].name, "b");
    EXPECT_EQ(c.nodes[2].name, "c");
    EXPECT_TRUE(c.nodes[2].args.empty());
    EXPECT_TRUE(c.nodes[3].is_block);
    EXPECT_TRUE(c.nodes[3].children.empty());
    EXPECT_EQ(c.nodes[4].children[0].name, "f");
    EXPECT_EQ(c.nodes[5].name, "g");
    EXPECT_EQ(c.nodes[5].line, 2);
}

TEST(ConfParser, Comments) {
    ParsedConf c = parse_ok(
        "# leading comment { } ; \"\n"
        "a b#c;   # trailing comment\n"
        "d '#e' \"#f\";#x\n"
        "#last");
    ASSERT_EQ(c.nodes.size(), 2u);
    EXPECT_EQ(c.nodes[0].args, Args{"b#c"});
    EXPECT_EQ(c.nodes[0].line, 2);
    EXPECT_EQ(c.nodes[1].args, (Args{"#e", "#f"}));
    EXPECT_EQ(c.nodes[1].line, 3);
}

TEST(ConfParser, QuotesAndEscapes) {
    ParsedConf c = parse_ok(
        "a \"x\\\"y\" 'p\\'q' \"t\\tr\\rn\\n\" \"\\\\\" \"\\d\" '\\x' \"it's\" 'say \"hi\"';");
    ASSERT_EQ(c.nodes.size(), 1u);
    EXPECT_EQ(c.nodes[0].args,
              (Args{"x\"y", "p'q", "t\tr\rn\n", "\\", "\\d", "\\x", "it's", "say \"hi\""}));
    EXPECT_EQ(c.nodes[0].quoted, std::vector<bool>(8, true));
}

TEST(ConfParser, QuotedFlagAndEmptyString) {
    ParsedConf c = parse_ok("a \"\" on \"on\" '';");
    EXPECT_EQ(c.nodes[0].args, (Args{"", "on", "on", ""}));
    EXPECT_EQ(c.nodes[0].quoted, (std::vector<bool>{true, false, true, true}));
}

TEST(ConfParser, QuotedStringsSpanLines) {
    ParsedConf c = parse_ok("log_format main '$remote_addr\n   x'\n  \"b\";\nnext;");
    EXPECT_EQ(c.nodes[0].args, (Args{"main", "$remote_addr\n   x", "b"}));
    // nginx reports a directive at the line of its terminator.
    EXPECT_EQ(c.nodes[0].line, 3);
    EXPECT_EQ(c.nodes[1].line, 4);
}

TEST(ConfParser, UnquotedEscapesKeepTheWordTogether) {
    ParsedConf c = parse_ok("a b\\ c d\\;e f\\\"g;");
    EXPECT_EQ(c.nodes[0].args, (Args{"b\\ c", "d\\;e", "f\"g"}));
    EXPECT_EQ(c.nodes[0].quoted, (std::vector<bool>{false, false, false}));
}

TEST(ConfParser, VariablesInBracesDoNotOpenBlocks) {
    ParsedConf c = parse_ok("set $a ${b}c;\nreturn 200 \"${x}\";\nif ($a) { x; }");
    EXPECT_EQ(c.nodes[0].args, (Args{"$a", "${b}c"}));
    EXPECT_EQ(c.nodes[1].args, (Args{"200", "${x}"}));
    EXPECT_TRUE(c.nodes[2].is_block);
    EXPECT_EQ(c.nodes[2].args, Args{"($a)"});
}

TEST(ConfParser, ClosingParenthesisMayFollowQuote) {
    ParsedConf c = parse_ok("if ($a = \"b\") { return 1; }");
    EXPECT_EQ(c.nodes[0].args, (Args{"($a", "=", "b", ")"}));
    EXPECT_TRUE(c.nodes[0].is_block);
}

TEST(ConfParser, CrLfLineEndings) {
    ParsedConf c = parse_ok("a 1;\r\nb\r\n{\r\n c;\r\n}\r\n");
    ASSERT_EQ(c.nodes.size(), 2u);
    EXPECT_EQ(c.nodes[0].args, Args{"1"});
    EXPECT_EQ(c.nodes[1].line, 3);
    EXPECT_EQ(c.nodes[1].children[0].line, 4);
}

TEST(ConfParser, SyntaxErrors) {
    EXPECT_EQ(parse_err("a;\n}"), "unexpected \"}\" in /t/nginx.conf:2");
    EXPECT_EQ(parse_err("a {\n b;\n"),
              "unexpected end of file, expecting \"}\" in /t/nginx.conf:3");
    EXPECT_EQ(parse_err("a b"),
              "unexpected end of file, expecting \";\" or \"}\" in /t/nginx.conf:1");
    EXPECT_EQ(parse_err("a {} b"),
              "unexpected end of file, expecting \";\" or \"}\" in /t/nginx.conf:1");
    EXPECT_EQ(parse_err("a \"b\n\nc"),
              "unexpected end of file, expecting \";\" or \"}\" in /t/nginx.conf:3");
    EXPECT_EQ(parse_err("a;\n;"), "unexpected \";\" in /t/nginx.conf:2");
    EXPECT_EQ(parse_err("{"), "unexpected \"{\" in /t/nginx.conf:1");
    EXPECT_EQ(parse_err("a {} ;"), "unexpected \";\" in /t/nginx.conf:1");
    EXPECT_EQ(parse_err("x {\n a b }"), "unexpected \"}\" in /t/nginx.conf:2");
    EXPECT_EQ(parse_err("a \"b\"c;"), "unexpected \"c\" in /t/nginx.conf:1");
    EXPECT_EQ(parse_err("a\n'b'\"c\";"), "unexpected \"\"\" in /t/nginx.conf:2");
    EXPECT_EQ(parse_err("a 'b'}"), "unexpected \"}\" in /t/nginx.conf:1");
    EXPECT_EQ(parse_err("a ok}"),
              "unexpected end of file, expecting \";\" or \"}\" in /t/nginx.conf:1");
}

TEST(ConfParser, NestingDepthIsBounded) {
    std::string ok;
    for (int i = 0; i < 200; i++) {
        ok += "b{";
    }
    ok += std::string(200, '}');
    parse_ok(ok);
    std::string deep;
    for (int i = 0; i < 100000; i++) {
        deep += "b{\n";
    }
    EXPECT_EQ(parse_err(deep),
              "too deeply nested blocks (more than 200 levels) in /t/nginx.conf:201");
}

TEST(ConfParser, EmptyAndCommentOnlyInputs) {
    EXPECT_TRUE(parse_ok("").nodes.empty());
    EXPECT_TRUE(parse_ok("  \n\t# only a comment").nodes.empty());
}

TEST(ConfParser, CommandLineText) {
    auto r = parse_conf_string("daemon off; worker_processes 1;", "command line", "/t");
    ASSERT_TRUE(r.is_ok()) << r.message();
    ASSERT_EQ(r->nodes.size(), 2u);
    EXPECT_EQ(r->nodes[0].file, "command line");
    EXPECT_TRUE(r->files.empty());
    EXPECT_EQ(parse_err("daemon off", "command line"),
              "unexpected end of parameter, expecting \";\" in command line");
    EXPECT_EQ(parse_err("events { }", "command line"),
              "block directives are not supported in -g option in command line");
    EXPECT_EQ(parse_err("a; }", "command line"), "unexpected \"}\" in command line");
    EXPECT_EQ(parse_err("a \"b\"c;", "command line"), "unexpected \"c\" in command line");
}

TEST(ConfParser, StringSourceIsRecorded) {
    ParsedConf c = parse_ok("a;");
    ASSERT_EQ(c.files.size(), 1u);
    EXPECT_EQ(c.files[0].first, kFile);
    EXPECT_EQ(c.files[0].second, "a;");
}

TEST(ConfParser, LuaBlockBasics) {
    ParsedConf c = parse_ok(
        "location / {\n"
        "    content_by_lua_block {\n"
        "        ngx.say(\"}\")\n"
        "    }\n"
        "    more;\n"
        "}\n");
    const ConfNode& lua = c.nodes[0].children[0];
    EXPECT_EQ(lua.name, "content_by_lua_block");
    EXPECT_TRUE(lua.is_block);
    EXPECT_TRUE(lua.is_lua_block);
    EXPECT_TRUE(lua.children.empty());
    EXPECT_EQ(lua.lua_line, 2);
    EXPECT_EQ(lua.line, 2);
    EXPECT_EQ(lua.lua_source, "\n        ngx.say(\"}\")\n    ");
    EXPECT_EQ(c.nodes[0].children[1].name, "more");
    EXPECT_EQ(c.nodes[0].children[1].line, 5);
}

TEST(ConfParser, LuaBlockTrickyBodies) {
    const std::string body =
        "\n"
        "  local t = { a = { 1, 2 } }  -- a comment with } and {\n"
        "  local s1 = 'it\\'s } here'\n"
        "  local s2 = \"quote \\\" and } brace\"\n"
        "  local l1 = [[ long } string\n with lines ]]\n"
        "  local l2 = [==[ ]] } ]=] still inside ]==]\n"
        "  --[[ block comment }\n } ]]\n"
        "  --[=[ another ]] } ]=]\n"
        "  local idx = t[ [[k]] ]\n"
        "  local back = \"\\\\\" -- ends with a backslash: }\n"
        "  if x then y() end\n";
    ParsedConf c = parse_ok("a;\naccess_by_lua_block {" + body + "}\nafter 1;");
    ASSERT_EQ(c.nodes.size(), 3u);
    EXPECT_EQ(c.nodes[1].lua_source, body);
    EXPECT_EQ(c.nodes[1].lua_line, 2);
    // Every newline inside the body was counted.
    EXPECT_EQ(c.nodes[2].name, "after");
    EXPECT_EQ(c.nodes[2].line, 16);
}

TEST(ConfParser, LuaBlockWithArgumentsAndNesting) {
    ParsedConf c = parse_ok(
        "set_by_lua_block $res { return tonumber(ngx.var.a) + 1 }\n"
        "init_by_lua_block{local f = function() return {} end}");
    EXPECT_EQ(c.nodes[0].args, Args{"$res"});
    EXPECT_EQ(c.nodes[0].lua_source, " return tonumber(ngx.var.a) + 1 ");
    EXPECT_EQ(c.nodes[1].lua_source, "local f = function() return {} end");
    EXPECT_EQ(c.nodes[1].lua_line, 2);
}

TEST(ConfParser, LuaBlockOnLaterLine) {
    ParsedConf c = parse_ok("\n\ncontent_by_lua_block\n\n{\nreturn\n}\nx;");
    EXPECT_EQ(c.nodes[0].lua_line, 5);
    EXPECT_EQ(c.nodes[0].lua_source, "\nreturn\n");
    EXPECT_EQ(c.nodes[1].line, 8);
}

TEST(ConfParser, LuaBlockErrors) {
    EXPECT_EQ(parse_err("a;\ncontent_by_lua_block {\n  if x then\n"),
              "unexpected end of file, expecting terminating characters for lua code block in "
              "/t/nginx.conf:2");
    EXPECT_EQ(parse_err("content_by_lua_block {\n local t = {\n"),
              "unexpected end of file, expecting terminating characters for lua code block in "
              "/t/nginx.conf:2");
    EXPECT_EQ(parse_err("content_by_lua_block {\n\n local s = [==[ abc ]] }\n"),
              "Lua code block missing the closing long bracket \"]==]\", the inlined Lua code "
              "may be too long in /t/nginx.conf:3");
    EXPECT_EQ(parse_err("content_by_lua_block { local s = \"abc\\"),
              "unexpected end of file, expecting terminating characters for lua code block in "
              "/t/nginx.conf:1");
    EXPECT_EQ(parse_err("content_by_lua_block { }\n;"), "unexpected \";\" in /t/nginx.conf:2");
    // Without a '{' it is an ordinary directive; the directive table rejects it later.
    ParsedConf c = parse_ok("content_by_lua_block x;");
    EXPECT_FALSE(c.nodes[0].is_lua_block);
}

class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/tycho_conf_XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::string& path() const { return path_; }
    std::string write(const std::string& rel, const std::string& content) const {
        std::string full = path_ + "/" + rel;
        std::filesystem::create_directories(std::filesystem::path(full).parent_path());
        std::ofstream(full, std::ios::binary) << content;
        return full;
    }

  private:
    std::string path_;
};

TEST(ConfInclude, PlainAndGlobSorted) {
    TempDir dir;
    std::string main = dir.write("nginx.conf",
                                 "a;\n"
                                 "http {\n"
                                 "    include mime.types;\n"
                                 "    include conf.d/*.conf;\n"
                                 "    include none.d/*.conf;\n"
                                 "}\n"
                                 "z;\n");
    std::string mime = dir.write("mime.types", "types { text/html html; }\n");
    std::string b = dir.write("conf.d/b.conf", "server { b; }\n");
    std::string a = dir.write("conf.d/a.conf", "\n# first\nserver { a; }\n");
    auto r = parse_conf_file(main);
    ASSERT_TRUE(r.is_ok()) << r.message();
    ASSERT_EQ(r->nodes.size(), 3u);
    const ConfNode& http = r->nodes[1];
    ASSERT_EQ(http.children.size(), 3u);
    EXPECT_EQ(http.children[0].name, "types");
    EXPECT_EQ(http.children[0].file, mime);
    EXPECT_EQ(http.children[1].children[0].name, "a");
    EXPECT_EQ(http.children[1].file, a);
    EXPECT_EQ(http.children[1].line, 3);
    EXPECT_EQ(http.children[2].children[0].name, "b");
    EXPECT_EQ(http.children[2].file, b);
    EXPECT_EQ(r->nodes[2].name, "z");
    EXPECT_EQ(r->nodes[2].line, 7);
    EXPECT_EQ(r->nodes[2].file, main);
    ASSERT_EQ(r->files.size(), 4u);
    EXPECT_EQ(r->files[0].first, main);
    EXPECT_EQ(r->files[1].first, mime);
    EXPECT_EQ(r->files[1].second, "types { text/html html; }\n");
    EXPECT_EQ(r->files[2].first, a);
    EXPECT_EQ(r->files[3].first, b);
}

TEST(ConfInclude, RelativeToMainConfigDirectory) {
    TempDir dir;
    std::string main = dir.write("nginx.conf", "include sub/x.conf;\n");
    dir.write("sub/x.conf", "include y.conf;\n");
    dir.write("y.conf", "from_y;\n");
    dir.write("sub/y.conf", "wrong;\n");
    auto r = parse_conf_file(main);
    ASSERT_TRUE(r.is_ok()) << r.message();
    ASSERT_EQ(r->nodes.size(), 1u);
    EXPECT_EQ(r->nodes[0].name, "from_y");
}

TEST(ConfInclude, SameFileTwiceIsDumpedOnce) {
    TempDir dir;
    std::string main = dir.write("nginx.conf", "a { include x.conf; }\nb { include x.conf; }\n");
    dir.write("x.conf", "x;\n");
    auto r = parse_conf_file(main);
    ASSERT_TRUE(r.is_ok()) << r.message();
    EXPECT_EQ(r->nodes[0].children[0].name, "x");
    EXPECT_EQ(r->nodes[1].children[0].name, "x");
    EXPECT_EQ(r->files.size(), 2u);
}

TEST(ConfInclude, Errors) {
    TempDir dir;
    const std::string& d = dir.path();
    std::string main = dir.write("nginx.conf", "a;\n\ninclude missing.conf;\n");
    auto r = parse_conf_file(main);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.message(), "open() \"" + d +
                               "/missing.conf\" failed (2: No such file or "
                               "directory) in " +
                               main + ":3");

    main = dir.write("nginx.conf", "include a b;");
    r = parse_conf_file(main);
    EXPECT_EQ(r.message(),
              "invalid number of arguments in \"include\" directive in " + main + ":1");
    main = dir.write("nginx.conf", "include;");
    r = parse_conf_file(main);
    EXPECT_EQ(r.message(),
              "invalid number of arguments in \"include\" directive in " + main + ":1");
    main = dir.write("nginx.conf", "include x.conf {");
    r = parse_conf_file(main);
    EXPECT_EQ(r.message(), "directive \"include\" is not terminated by \";\" in " + main + ":1");

    // A block may not be closed across files, in either direction.
    std::string inc = dir.write("close.conf", "a;\n}\n");
    main = dir.write("nginx.conf", "http {\ninclude close.conf;\n}\n");
    r = parse_conf_file(main);
    EXPECT_EQ(r.message(), "unexpected \"}\" in " + inc + ":2");
    inc = dir.write("open.conf", "server {\n");
    main = dir.write("nginx.conf", "include open.conf;\n}\n");
    r = parse_conf_file(main);
    EXPECT_EQ(r.message(), "unexpected end of file, expecting \"}\" in " + inc + ":2");

    // Errors inside an included file name that file and its line.
    inc = dir.write("bad.conf", "ok;\n\nbad \"x\"y;\n");
    main = dir.write("nginx.conf", "include bad.conf;\n");
    r = parse_conf_file(main);
    EXPECT_EQ(r.message(), "unexpected \"y\" in " + inc + ":3");

    r = parse_conf_file(d + "/nope.conf");
    EXPECT_EQ(r.message(), "open() \"" + d + "/nope.conf\" failed (2: No such file or directory)");
}

TEST(ConfInclude, LoopsAreStopped) {
    TempDir dir;
    std::string main = dir.write("nginx.conf", "include self.conf;\n");
    std::string self = dir.write("self.conf", "x;\ninclude self.conf;\n");
    auto r = parse_conf_file(main);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.message(),
              "include loop: \"" + self + "\" is already being read in " + self + ":2");

    main = dir.write("nginx.conf", "include *.conf;\n");
    r = parse_conf_file(main);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.message().find("include loop"), std::string::npos) << r.message();
}

TEST(ConfInclude, FromStringAndCommandLine) {
    TempDir dir;
    dir.write("x.conf", "from_x;\n");
    auto r = parse_conf_string("include x.conf;", "command line", dir.path());
    ASSERT_TRUE(r.is_ok()) << r.message();
    EXPECT_EQ(r->nodes[0].name, "from_x");
    EXPECT_EQ(r->nodes[0].file, dir.path() + "/x.conf");
    EXPECT_EQ(r->files.size(), 1u);
}

TEST(ConfInclude, LuaBlockInIncludedFileKeepsLines) {
    TempDir dir;
    std::string main = dir.write("nginx.conf", "http {\n  include lua.conf;\n}\n");
    std::string lua = dir.write("lua.conf", "\n\ninit_by_lua_block {\n  x = '{'\n}\n");
    auto r = parse_conf_file(main);
    ASSERT_TRUE(r.is_ok()) << r.message();
    const ConfNode& n = r->nodes[0].children[0];
    EXPECT_EQ(n.file, lua);
    EXPECT_EQ(n.lua_line, 3);
    EXPECT_EQ(n.lua_source, "\n  x = '{'\n");
}

}  // namespace
}  // namespace tycho::core
