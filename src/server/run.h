#pragma once

namespace tycho::server {

// `tycho run [options] [script.lua] [args...]` (docs/api/run.md): OpenResty's `resty` without an
// nginx process. `argv[1]` is "run". Starts one worker runtime on the calling (main) thread with
// its own uv loop and no configuration file, runs the -e code then the script in a timer
// context, and returns the process exit status: the integer the last chunk returned, else 0;
// 1 for option errors, a missing script or a Lua load error. A runtime error, os.exit and
// ngx.exit end the process from inside the Lua code and never return here. Main thread only,
// once per process.
int run_main(int argc, char** argv);

}  // namespace tycho::server
