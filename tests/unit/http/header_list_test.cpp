// HeaderList (request.h): a vector of headers whose removed entries are kept for reuse, and
// Request::reset(), which leaves a used request equal to a new one.

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "http/request.h"

namespace tycho::http {
namespace {

std::vector<std::string> names(const HeaderList& hs) {
    std::vector<std::string> out;
    for (const Header& h : hs) {
        out.push_back(h.name + "=" + h.value);
    }
    return out;
}

TEST(HeaderListTest, EraseKeepsTheOrderOfTheRest) {
    HeaderList hs = {{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}};
    auto it = hs.erase(hs.begin() + 1);
    EXPECT_EQ(it->name, "C");
    EXPECT_EQ(names(hs), (std::vector<std::string>{"A=1", "C=3", "D=4"}));
    hs.erase(std::remove_if(hs.begin(), hs.end(), [](const Header& h) { return h.name != "C"; }),
             hs.end());
    EXPECT_EQ(names(hs), (std::vector<std::string>{"C=3"}));
    hs.pop_back();
    EXPECT_TRUE(hs.empty());
}

TEST(HeaderListTest, ReusedEntriesStartEmptyAndKeepTheirBuffers) {
    HeaderList hs;
    Header& h = hs.emplace_back();
    h.name = "X-Long-Header-Name";
    h.value = std::string(100, 'v');
    const char* buffer = h.value.data();
    hs.clear();
    EXPECT_EQ(hs.size(), 0u);
    Header& again = hs.emplace_back();
    EXPECT_EQ(again.name, "");
    EXPECT_EQ(again.value, "");
    again.value.append(50, 'w');
    EXPECT_EQ(again.value.data(), buffer);  // no new allocation for the next request's value
    hs.push_back(Header{"B", "2"});
    EXPECT_EQ(names(hs), (std::vector<std::string>{"=" + std::string(50, 'w'), "B=2"}));
}

TEST(HeaderListTest, ClearKeepsAtMostTheGivenNumberOfEntries) {
    HeaderList hs;
    for (int i = 0; i < 40; i++) {
        hs.push_back(Header{"N" + std::to_string(i), "v"});
    }
    hs.clear(32);
    EXPECT_TRUE(hs.empty());
    for (int i = 0; i < 40; i++) {
        hs.emplace_back().name = "M" + std::to_string(i);
    }
    EXPECT_EQ(hs.size(), 40u);
    EXPECT_EQ(hs[39].name, "M39");
    EXPECT_EQ(hs.back().value, "");
}

TEST(HeaderListTest, CopiesHoldOnlyTheLiveEntries) {
    HeaderList hs = {{"A", "1"}, {"B", "2"}};
    hs.pop_back();
    HeaderList copy = hs;
    EXPECT_EQ(names(copy), (std::vector<std::string>{"A=1"}));
    HeaderList other = {{"Z", "9"}, {"Y", "8"}, {"X", "7"}};
    other = hs;
    EXPECT_EQ(names(other), (std::vector<std::string>{"A=1"}));
    HeaderList moved = std::move(other);
    EXPECT_EQ(names(moved), (std::vector<std::string>{"A=1"}));
}

TEST(RequestResetTest, AUsedRequestResetsToANewOne) {
    Request fresh;
    Request r;
    r.method = "POST";
    r.request_line = "POST /x HTTP/1.0";
    r.unparsed_uri = "/x?a=1";
    r.uri = "/x";
    r.args = "a=1";
    r.exten = "html";
    r.http_major = 2;
    r.http_minor = 0;
    r.headers_in.push_back(Header{"Host", "h"});
    r.host = "h";
    r.content_length_in = 5;
    r.chunked_in = r.expect_continue = r.header_only = true;
    r.keepalive = false;
    r.start_msec = 7;
    r.raw_header = "raw";
    r.body = "body";
    r.body_file = "/tmp/f";
    r.body_fd = 3;
    r.body_read = r.body_discarding = true;
    r.captures = {0, 1};
    r.captures_subject = "s";
    r.variables["v"] = "1";
    r.uri_changes = 2;
    r.internal = r.error_page = r.uri_changed = true;
    r.phase = 4;
    r.err_status = 404;
    r.status = 500;
    r.headers_out.push_back(Header{"X", "y"});
    r.content_type = "text/html";
    r.content_type_set = r.filter_finalized = true;
    r.content_length_out = 9;
    r.last_modified = 1;
    r.location_header = "/l";
    r.header_sent = r.response_done = r.chunked_out = true;
    r.body_bytes_sent = 10;
    r.bytes_sent = 20;
    int module_data = 1;
    r.module_ctx = &module_data;

    r.reset();

    EXPECT_EQ(r.method, fresh.method);
    EXPECT_EQ(r.request_line, fresh.request_line);
    EXPECT_EQ(r.unparsed_uri, fresh.unparsed_uri);
    EXPECT_EQ(r.uri, fresh.uri);
    EXPECT_EQ(r.args, fresh.args);
    EXPECT_EQ(r.exten, fresh.exten);
    EXPECT_EQ(r.http_major, fresh.http_major);
    EXPECT_EQ(r.http_minor, fresh.http_minor);
    EXPECT_TRUE(r.headers_in.empty());
    EXPECT_EQ(r.host, fresh.host);
    EXPECT_EQ(r.content_length_in, fresh.content_length_in);
    EXPECT_EQ(r.chunked_in, fresh.chunked_in);
    EXPECT_EQ(r.expect_continue, fresh.expect_continue);
    EXPECT_EQ(r.keepalive, fresh.keepalive);
    EXPECT_EQ(r.header_only, fresh.header_only);
    EXPECT_EQ(r.start_msec, fresh.start_msec);
    EXPECT_EQ(r.raw_header, fresh.raw_header);
    EXPECT_EQ(r.body, fresh.body);
    EXPECT_EQ(r.body_file, fresh.body_file);
    EXPECT_EQ(r.body_fd, fresh.body_fd);
    EXPECT_EQ(r.body_read, fresh.body_read);
    EXPECT_EQ(r.body_discarding, fresh.body_discarding);
    EXPECT_EQ(r.captures, fresh.captures);
    EXPECT_EQ(r.captures_subject, fresh.captures_subject);
    EXPECT_TRUE(r.variables.empty());
    EXPECT_EQ(r.uri_changes, fresh.uri_changes);
    EXPECT_EQ(r.internal, fresh.internal);
    EXPECT_EQ(r.error_page, fresh.error_page);
    EXPECT_EQ(r.uri_changed, fresh.uri_changed);
    EXPECT_EQ(r.phase, fresh.phase);
    EXPECT_EQ(r.err_status, fresh.err_status);
    EXPECT_EQ(r.status, fresh.status);
    EXPECT_TRUE(r.headers_out.empty());
    EXPECT_EQ(r.content_type, fresh.content_type);
    EXPECT_EQ(r.content_type_set, fresh.content_type_set);
    EXPECT_EQ(r.filter_finalized, fresh.filter_finalized);
    EXPECT_EQ(r.content_length_out, fresh.content_length_out);
    EXPECT_EQ(r.last_modified, fresh.last_modified);
    EXPECT_EQ(r.location_header, fresh.location_header);
    EXPECT_EQ(r.header_sent, fresh.header_sent);
    EXPECT_EQ(r.response_done, fresh.response_done);
    EXPECT_EQ(r.chunked_out, fresh.chunked_out);
    EXPECT_EQ(r.body_bytes_sent, fresh.body_bytes_sent);
    EXPECT_EQ(r.bytes_sent, fresh.bytes_sent);
    EXPECT_EQ(r.module_ctx, nullptr);
    EXPECT_EQ(r.connection, nullptr);
    EXPECT_EQ(r.server, nullptr);
}

}  // namespace
}  // namespace tycho::http
