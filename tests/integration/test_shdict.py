"""lua_shared_dict across worker threads and reloads: incr from many connections served by two
workers loses no update, and a HUP reload keeps a dict whose name and size are unchanged (and
starts an empty one when the size changes), as nginx keeps a shm zone."""

import http.client
import signal
import threading

import harness

BODY = """
        location = /incr {
            content_by_lua_block {
                -- 1000 increments per request keep both workers inside incr at once
                local d = ngx.shared.d
                for _ = 1, 1000 do
                    d:incr("n", 1, 0)
                end
                ngx.say(ngx.worker.id())
            }
        }
        location = /get {
            content_by_lua_block {
                local d = ngx.shared.d
                ngx.say(d:get("n"), " %s")
            }
        }
"""


def body(tag):
    return BODY % tag


def get(server):
    status, _, data = server.request("/get", timeout=5)
    return status, data.decode()


class ShdictTest(harness.ServerTestCase):
    def make_server(self):
        return harness.Server(server_body=body("one"), http_extra="    lua_shared_dict d 1m;\n")

    def test_incr_from_many_connections(self):
        self.server.start()
        threads, per_thread = 8, 250
        errors = []

        def hammer():
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
            try:
                for _ in range(per_thread):
                    conn.request("GET", "/incr")
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status != 200:
                        errors.append(resp.status)
            except OSError as e:
                errors.append(repr(e))
            finally:
                conn.close()

        workers = [threading.Thread(target=hammer) for _ in range(threads)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(get(self.server), (200, "%d one\n" % (threads * per_thread * 1000)))

    def reload_to(self, tag, http_extra):
        self.server.http_extra = http_extra
        self.server.write_conf(body(tag))
        self.server.signal(signal.SIGHUP)

        def reloaded():
            try:
                return get(self.server)[1].endswith(" %s\n" % tag)
            except OSError:
                return False
        harness.wait_for(reloaded, timeout=10, what="answer %r after reload" % tag)

    def test_reload_keeps_dict_with_same_name_and_size(self):
        self.server.start()
        for _ in range(3):
            self.server.request("/incr")
        self.assertEqual(get(self.server), (200, "3000 one\n"))
        self.reload_to("two", "    lua_shared_dict d 1m;\n")
        self.assertEqual(get(self.server), (200, "3000 two\n"))
        self.server.request("/incr")
        self.assertEqual(get(self.server), (200, "4000 two\n"))
        # Another size: a new, empty zone.
        self.reload_to("three", "    lua_shared_dict d 2m;\n")
        self.assertEqual(get(self.server), (200, "nil three\n"))
        self.server.signal(signal.SIGQUIT)
        self.assertEqual(self.server.wait_exit(10), 0)


if __name__ == "__main__":
    harness.main()
