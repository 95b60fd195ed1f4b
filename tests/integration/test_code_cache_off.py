"""lua_code_cache off with requests that overlap: Tycho keeps one VM per worker and gives each
request the fresh modules and globals of lua-nginx-module's VM per request only when no other
request is running, so a request that waits keeps its modules and globals while another one
starts (docs/directives/lua.md). Sequential behaviour is specified in
tests/spec/lua/code_cache.t."""

import threading
import unittest

import harness

SERVER = """
        lua_code_cache off;
        location = /slow {
            content_by_lua_block {
                local c = require "cc_count"
                c.inc()
                cc_mine = "slow"
                ngx.sleep(0.5)
                ngx.say("slow ", require("cc_count").inc(), " ", tostring(cc_mine))
            }
        }
        location = /fast {
            content_by_lua_block {
                ngx.say("fast ", require("cc_count").inc())
            }
        }
"""

MODULE = """local M = { n = 0 }
function M.inc()
    M.n = M.n + 1
    return M.n
end
return M
"""


class CodeCacheOffTest(harness.ServerTestCase):
    def make_server(self):
        s = harness.Server(server_body=SERVER, workers=1,
                           http_extra='    lua_package_path "$prefix/html/?.lua;;";\n')
        s.write_file("html/cc_count.lua", MODULE)
        return s

    def test_overlapping_requests_keep_their_modules_and_globals(self):
        s = self.server
        s.start()
        slow = {}

        def run_slow():
            slow["res"] = s.request("/slow", timeout=10)

        t = threading.Thread(target=run_slow)
        t.start()
        harness.wait_for(lambda: "writing a global Lua variable ('cc_mine')" in s.error_log(),
                         what="the slow request to set its global")
        # Starts while /slow sleeps: it shares /slow's module, /slow's state stays whole.
        status, _, body = s.request("/fast")
        self.assertEqual((status, body), (200, b"fast 2\n"))
        t.join(15)
        self.assertEqual(slow["res"][0], 200)
        self.assertEqual(slow["res"][2], b"slow 3 slow\n")
        # Alone again: the next request loads the module afresh.
        status, _, body = s.request("/fast")
        self.assertEqual((status, body), (200, b"fast 1\n"))
        self.assertNotIn("[error]", s.error_log())


if __name__ == "__main__":
    harness.main()
