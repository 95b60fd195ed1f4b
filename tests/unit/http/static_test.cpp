// Static content: URI-to-path mapping, MIME lookup, ETag, conditional headers, Range parsing,
// and the static directives' parsing and errors.

#include "http/static.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/conf.h"
#include "core/regex.h"
#include "http/http_conf.h"
#include "http/http_conf_scope.h"
#include "http/variables.h"

namespace tycho::http {
namespace {

std::shared_ptr<ComplexValue> cv(const std::string& text) {
    auto r = ComplexValue::compile(text);
    EXPECT_TRUE(r.is_ok()) << r.message();
    return r.value();
}

struct Fixture {
    Location location;
    Request r;
    Fixture() {
        r.location = &location;
        r.loc = &location.conf;
    }
};

TEST(StaticMapUri, RootIsPrependedToTheUri) {
    Fixture f;
    f.location.conf.root = cv("/srv/www");
    std::string path;
    ASSERT_TRUE(map_uri_to_path(f.r, "/a/b.html", path));
    EXPECT_EQ(path, "/srv/www/a/b.html");
    ASSERT_TRUE(map_uri_to_path(f.r, "/", path));
    EXPECT_EQ(path, "/srv/www/");
}

TEST(StaticMapUri, AliasReplacesTheLocationPrefix) {
    Fixture f;
    f.location.pattern = "/img/";
    f.location.conf.root = cv("/data/pictures/");
    f.location.conf.alias = true;
    f.location.conf.alias_len = 5;
    std::string path;
    ASSERT_TRUE(map_uri_to_path(f.r, "/img/cat.png", path));
    EXPECT_EQ(path, "/data/pictures/cat.png");
    ASSERT_TRUE(map_uri_to_path(f.r, "/img/", path));
    EXPECT_EQ(path, "/data/pictures/");
}

TEST(StaticMapUri, AliasLengthFallsBackToTheMatchedPrefix) {
    Fixture f;
    f.location.pattern = "/i";
    f.location.conf.root = cv("/d");
    f.location.conf.alias = true;  // alias_len left 0: derived from the location
    std::string path;
    ASSERT_TRUE(map_uri_to_path(f.r, "/i/x", path));
    EXPECT_EQ(path, "/d/x");
}

TEST(StaticMapUri, RegexAliasIsTheWholePathWithCaptures) {
    Fixture f;
    f.location.match = Location::Match::kRegex;
    f.location.pattern = "^/download/(.+)\\.zip$";
    auto re = core::Regex::compile(f.location.pattern);
    ASSERT_TRUE(re.is_ok());
    f.location.regex = re.value();
    f.location.conf.root = cv("/files/$1.tar");
    f.location.conf.alias = true;
    f.location.conf.alias_len = LocConf::kAliasWhole;
    f.r.uri = "/download/pkg/v1.zip";
    f.r.captures_subject = f.r.uri;
    ASSERT_TRUE(f.location.regex->match(f.r.uri, &f.r.captures));
    std::string path;
    ASSERT_TRUE(map_uri_to_path(f.r, f.r.uri, path));
    EXPECT_EQ(path, "/files/pkg/v1.tar");
}

TEST(StaticMapUri, RegexAliasCannotClimbOutThroughACapture) {
    Fixture f;
    f.location.match = Location::Match::kRegex;
    f.location.conf.root = cv("/files/$1");
    f.location.conf.alias = true;
    f.location.conf.alias_len = LocConf::kAliasWhole;
    f.r.captures_subject = "/x..";
    f.r.captures = {0, 4, 2, 4};  // $1 = ".."
    std::string path;
    EXPECT_FALSE(map_uri_to_path(f.r, "/x..", path));
}

TEST(StaticMapUri, TraversalAndNulAreRejected) {
    Fixture f;
    f.location.conf.root = cv("/srv/www");
    std::string path;
    EXPECT_FALSE(map_uri_to_path(f.r, "/../etc/passwd", path));
    EXPECT_FALSE(map_uri_to_path(f.r, "/a/../../etc/passwd", path));
    EXPECT_FALSE(map_uri_to_path(f.r, "/a/..", path));
    EXPECT_FALSE(map_uri_to_path(f.r, "/a/./b", path));
    EXPECT_FALSE(map_uri_to_path(f.r, std::string_view("/a\0b", 4), path));
    // Dots inside names are fine.
    EXPECT_TRUE(map_uri_to_path(f.r, "/a..b/.hidden/...", path));
    EXPECT_EQ(path, "/srv/www/a..b/.hidden/...");
}

TEST(StaticMime, ExtensionLookup) {
    Fixture f;
    auto types = std::make_shared<MimeTypes>();
    types->by_extension["html"] = "text/html";
    types->by_extension["css"] = "text/css";
    f.location.conf.types = types;
    f.location.conf.default_type = "application/octet-stream";
    f.location.conf.default_type_set = true;
    EXPECT_EQ(mime_type_for(f.r, "html"), "text/html");
    EXPECT_EQ(mime_type_for(f.r, "HTML"), "text/html");
    EXPECT_EQ(mime_type_for(f.r, "css"), "text/css");
    EXPECT_EQ(mime_type_for(f.r, "xyz"), "application/octet-stream");
    EXPECT_EQ(mime_type_for(f.r, ""), "application/octet-stream");
}

TEST(StaticMime, NginxDefaultsWithoutTypes) {
    Fixture f;
    EXPECT_EQ(mime_type_for(f.r, "html"), "text/html");
    EXPECT_EQ(mime_type_for(f.r, "jpg"), "image/jpeg");
    EXPECT_EQ(mime_type_for(f.r, "gif"), "image/gif");
    EXPECT_EQ(mime_type_for(f.r, "css"), "text/plain");
}

TEST(StaticMime, UriExtensionAsNginxFindsIt) {
    EXPECT_EQ(uri_extension("/a/b.HTML"), "html");
    EXPECT_EQ(uri_extension("/a.tar.gz"), "gz");
    EXPECT_EQ(uri_extension("/a.b/c"), "");
    EXPECT_EQ(uri_extension("/.hidden"), "");
    EXPECT_EQ(uri_extension("/dir/.bashrc"), "");
    EXPECT_EQ(uri_extension("/x."), "");
    EXPECT_EQ(uri_extension("/"), "");
}

TEST(StaticEtag, Format) {
    EXPECT_EQ(make_etag(0x5f3e2c1a, 26), "\"5f3e2c1a-1a\"");
    EXPECT_EQ(make_etag(1700000000, 0), "\"6553f100-0\"");
}

TEST(StaticEtag, ListMatching) {
    const std::string etag = "\"5f-1a\"";
    EXPECT_TRUE(etag_list_matches("*", etag, false));
    EXPECT_TRUE(etag_list_matches("\"5f-1a\"", etag, false));
    EXPECT_TRUE(etag_list_matches("\"x\", \"5f-1a\"", etag, false));
    EXPECT_TRUE(etag_list_matches("\"5f-1a\" , \"x\"", etag, false));
    EXPECT_FALSE(etag_list_matches("\"5f-1b\"", etag, false));
    EXPECT_FALSE(etag_list_matches("\"5f-1a\"x", etag, false));
    EXPECT_FALSE(etag_list_matches("W/\"5f-1a\"", etag, false));
    EXPECT_TRUE(etag_list_matches("W/\"5f-1a\"", etag, true));
    // "*" matches a response without an ETag too (ngx_http_test_if_match).
    EXPECT_TRUE(etag_list_matches("*", "", false));
    EXPECT_FALSE(etag_list_matches("\"5f-1a\"", "", false));
}

RangeParse parse(std::string_view header, int64_t size, std::vector<ByteRange>& out, int max = 0) {
    return parse_range(header, size, out, max);
}

TEST(StaticRange, SingleRanges) {
    std::vector<ByteRange> r;
    ASSERT_EQ(parse("bytes=0-99", 1000, r), RangeParse::kOk);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].start, 0);
    EXPECT_EQ(r[0].end, 100);

    ASSERT_EQ(parse("bytes=900-", 1000, r), RangeParse::kOk);
    EXPECT_EQ(r[0].start, 900);
    EXPECT_EQ(r[0].end, 1000);

    ASSERT_EQ(parse("bytes=-100", 1000, r), RangeParse::kOk);
    EXPECT_EQ(r[0].start, 900);
    EXPECT_EQ(r[0].end, 1000);

    ASSERT_EQ(parse("bytes=-5000", 1000, r), RangeParse::kOk);  // suffix longer than the file
    EXPECT_EQ(r[0].start, 0);
    EXPECT_EQ(r[0].end, 1000);

    ASSERT_EQ(parse("bytes=500-5000", 1000, r), RangeParse::kOk);  // end clipped
    EXPECT_EQ(r[0].start, 500);
    EXPECT_EQ(r[0].end, 1000);

    ASSERT_EQ(parse("BYTES= 1 - 2 ", 1000, r), RangeParse::kOk);
    EXPECT_EQ(r[0].start, 1);
    EXPECT_EQ(r[0].end, 3);
}

TEST(StaticRange, NotSatisfiable) {
    std::vector<ByteRange> r;
    EXPECT_EQ(parse("bytes=1000-", 1000, r), RangeParse::kNotSatisfiable);
    EXPECT_EQ(parse("bytes=2000-3000", 1000, r), RangeParse::kNotSatisfiable);
    EXPECT_EQ(parse("bytes=abc", 1000, r), RangeParse::kNotSatisfiable);
    EXPECT_EQ(parse("bytes=5-1", 1000, r), RangeParse::kNotSatisfiable);
    EXPECT_EQ(parse("bytes=1-2x", 1000, r), RangeParse::kNotSatisfiable);
    EXPECT_EQ(parse("bytes=99999999999999999999-", 1000, r), RangeParse::kNotSatisfiable);
}

TEST(StaticRange, Declined) {
    std::vector<ByteRange> r;
    EXPECT_EQ(parse("items=0-1", 1000, r), RangeParse::kDeclined);
    EXPECT_EQ(parse("bytes=", 1000, r), RangeParse::kDeclined);
    EXPECT_EQ(parse("bytes=0-", 0, r), RangeParse::kDeclined);  // empty file
    // Overlapping ranges adding up to more than the file: served whole.
    EXPECT_EQ(parse("bytes=0-999,0-999", 1000, r), RangeParse::kDeclined);
    EXPECT_EQ(parse("bytes=0-1,3-4", 1000, r, 1), RangeParse::kDeclined);
}

TEST(StaticRange, MultipleRanges) {
    std::vector<ByteRange> r;
    ASSERT_EQ(parse("bytes=0-1, 5-9,-2", 100, r), RangeParse::kOk);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[1].start, 5);
    EXPECT_EQ(r[1].end, 10);
    EXPECT_EQ(r[2].start, 98);
    EXPECT_EQ(r[2].end, 100);
    // An unsatisfiable range among satisfiable ones is skipped.
    ASSERT_EQ(parse("bytes=0-1,500-600", 100, r), RangeParse::kOk);
    ASSERT_EQ(r.size(), 1u);
}

// ---- directives

struct ConfFixture {
    core::DirectiveTable table;
    HttpConf http;
    ServerConf server;
    Location location;
    ConfScope scope;

    ConfFixture() {
        register_static_directives(table);
        scope.http = &http;
        scope.server = &server;
        scope.location = &location;
        scope.loc = &location.conf;
        scope.script = &location.script;
    }

    core::Status run(const std::string& text, uint32_t context = core::kConfLocation) {
        auto parsed = core::parse_conf_string(text, "/t/nginx.conf", "/t");
        if (!parsed) {
            return parsed.status();
        }
        core::ConfProcessor processor(table);
        processor.prefix = "/prefix/";
        processor.conf_file = "/t/nginx.conf";
        return processor.process(parsed->nodes, context, &scope);
    }
};

TEST(StaticDirectives, RootIsResolvedAgainstThePrefix) {
    ConfFixture f;
    ASSERT_TRUE(f.run("root html/;").is_ok());
    EXPECT_TRUE(f.location.conf.root_set);
    EXPECT_FALSE(f.location.conf.alias);
    EXPECT_EQ(f.location.conf.root->source(), "/prefix/html");
}

TEST(StaticDirectives, RootDuplicates) {
    ConfFixture f;
    auto st = f.run("root /a;\nroot /b;");
    EXPECT_EQ(st.message(), "\"root\" directive is duplicate in /t/nginx.conf:2");
    ConfFixture g;
    g.location.pattern = "/x/";
    st = g.run("root /a;\nalias /b;");
    EXPECT_EQ(st.message(),
              "\"alias\" directive is duplicate, \"root\" directive was specified earlier in "
              "/t/nginx.conf:2");
    ConfFixture h;
    st = h.run("alias /a/;\nroot /b;");
    EXPECT_EQ(st.message(),
              "\"root\" directive is duplicate, \"alias\" directive was specified earlier in "
              "/t/nginx.conf:2");
}

TEST(StaticDirectives, AliasKeepsTrailingSlashAndRecordsPrefix) {
    ConfFixture f;
    f.location.pattern = "/img/";
    ASSERT_TRUE(f.run("alias /data/;").is_ok());
    EXPECT_TRUE(f.location.conf.alias);
    EXPECT_EQ(f.location.conf.alias_len, 5u);
    EXPECT_EQ(f.location.conf.root->source(), "/data/");

    ConfFixture g;
    g.location.match = Location::Match::kRegex;
    g.location.pattern = "^/a/(.*)$";
    ASSERT_TRUE(g.run("alias /data/$1;").is_ok());
    EXPECT_EQ(g.location.conf.alias_len, LocConf::kAliasWhole);
}

TEST(StaticDirectives, AliasErrors) {
    ConfFixture f;
    f.location.match = Location::Match::kNamed;
    f.location.pattern = "@x";
    EXPECT_EQ(f.run("alias /a;").message(),
              "the \"alias\" directive cannot be used inside the named location in "
              "/t/nginx.conf:1");
    ConfFixture g;
    EXPECT_EQ(g.run("alias /a;", core::kConfServer).message(),
              "\"alias\" directive is not allowed here in /t/nginx.conf:1");
    ConfFixture h;
    EXPECT_EQ(h.run("root $document_root/x;").message(),
              "the $document_root variable cannot be used in the \"root\" directive in "
              "/t/nginx.conf:1");
}

TEST(StaticDirectives, TryFiles) {
    ConfFixture f;
    EXPECT_EQ(f.run("try_files $uri;").message(),
              "invalid number of arguments in \"try_files\" directive in /t/nginx.conf:1");
    ConfFixture g;
    ASSERT_TRUE(g.run("try_files $uri $uri/ =404;").is_ok());
    EXPECT_EQ(g.location.conf.try_files, (std::vector<std::string>{"$uri", "$uri/", "=404"}));
    ConfFixture h;
    EXPECT_EQ(h.run("try_files $uri =4x4;").message(), "invalid code \"=4x4\" in /t/nginx.conf:1");
    ConfFixture i;
    EXPECT_EQ(i.run("try_files $uri =1000;").message(),
              "invalid code \"=1000\" in /t/nginx.conf:1");
    ConfFixture j;
    EXPECT_EQ(j.run("try_files a b;\ntry_files c d;").message(),
              "\"try_files\" directive is duplicate in /t/nginx.conf:2");
    ConfFixture k;
    EXPECT_EQ(k.run("try_files a b;", core::kConfHttp).message(),
              "\"try_files\" directive is not allowed here in /t/nginx.conf:1");
}

TEST(StaticDirectives, IndexAccumulates) {
    ConfFixture f;
    ASSERT_TRUE(f.run("index a.html b.html;\nindex c.html;").is_ok());
    EXPECT_EQ(f.location.conf.index, (std::vector<std::string>{"a.html", "b.html", "c.html"}));
    ConfFixture g;
    EXPECT_EQ(g.run("index a \"\";").message(),
              "index \"a\" in \"index\" directive is invalid in /t/nginx.conf:1");
}

TEST(StaticDirectives, TypesBlock) {
    ConfFixture f;
    ASSERT_TRUE(f.run("types {\n text/html html HTM;\n image/png png;\n text/plain;\n}\n"
                      "types { text/css css; }")
                    .is_ok());
    ASSERT_NE(f.location.conf.types, nullptr);
    const auto& m = f.location.conf.types->by_extension;
    EXPECT_EQ(m.size(), 4u);
    EXPECT_EQ(m.at("html"), "text/html");
    EXPECT_EQ(m.at("htm"), "text/html");
    EXPECT_EQ(m.at("png"), "image/png");
    EXPECT_EQ(m.at("css"), "text/css");
    ConfFixture g;
    EXPECT_EQ(g.run("types {\n text/html html;\n foo {\n }\n}").message(),
              "unexpected \"{\" in /t/nginx.conf:3");
    ConfFixture h;
    EXPECT_EQ(h.run("types text/html;").message(),
              "directive \"types\" has no opening \"{\" in /t/nginx.conf:1");
}

TEST(StaticDirectives, TypesDuplicateExtensionTakesTheLast) {
    ConfFixture f;
    ASSERT_TRUE(f.run("types { text/a x; text/b x; }").is_ok());
    EXPECT_EQ(f.location.conf.types->by_extension.at("x"), "text/b");
}

TEST(StaticDirectives, ShippedMimeTypesLoad) {
    // The example site's mime.types, found from this file's path (tests/unit/http/).
    std::string root = __FILE__;
    root.resize(root.rfind("/tests/unit/http/"));
    ConfFixture f;
    auto st = f.run("include " + root + "/examples/conf/mime.types;");
    ASSERT_TRUE(st.is_ok()) << st.message();
    ASSERT_NE(f.location.conf.types, nullptr);
    const auto& m = f.location.conf.types->by_extension;
    EXPECT_EQ(m.at("html"), "text/html");
    EXPECT_EQ(m.at("shtml"), "text/html");
    EXPECT_EQ(m.at("css"), "text/css");
    EXPECT_EQ(m.at("js"), "application/javascript");
    EXPECT_EQ(m.at("json"), "application/json");
    EXPECT_EQ(m.at("jpg"), "image/jpeg");
    EXPECT_EQ(m.at("svgz"), "image/svg+xml");
    EXPECT_EQ(m.at("ico"), "image/vnd.microsoft.icon");
    EXPECT_EQ(m.at("woff2"), "font/woff2");
    EXPECT_EQ(m.at("wasm"), "application/wasm");
    EXPECT_EQ(m.at("mp4"), "video/mp4");
    for (const auto& [ext, type] : m) {
        EXPECT_EQ(ext.find('/'), std::string::npos) << ext << " (missing ';'?)";
        EXPECT_NE(type.find('/'), std::string::npos) << type;
    }
}

TEST(StaticDirectives, FlagsAndDefaultType) {
    ConfFixture f;
    ASSERT_TRUE(f.run("sendfile on; tcp_nopush off; log_not_found off; default_type a/b;").is_ok());
    EXPECT_EQ(f.location.conf.sendfile, 1);
    EXPECT_EQ(f.location.conf.tcp_nopush, 0);
    EXPECT_EQ(f.location.conf.log_not_found, 0);
    EXPECT_EQ(f.location.conf.default_type, "a/b");
    ConfFixture g;
    EXPECT_EQ(g.run("sendfile yes;").message(),
              "invalid value \"yes\" in \"sendfile\" directive, it must be \"on\" or \"off\" in "
              "/t/nginx.conf:1");
    ConfFixture h;
    EXPECT_EQ(h.run("sendfile on; sendfile off;").message(),
              "\"sendfile\" directive is duplicate in /t/nginx.conf:1");
    ConfFixture i;
    EXPECT_EQ(i.run("default_type a; default_type b;").message(),
              "\"default_type\" directive is duplicate in /t/nginx.conf:1");
}

}  // namespace
}  // namespace tycho::http
