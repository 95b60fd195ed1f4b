#pragma once

namespace tycho::server {

// The `tycho` command line: nginx-compatible flags -p -c -e -g -t -T -q -s -v -V -h, or
// `tycho run ...` (server/run.h) when the first argument is "run". Returns the process exit
// status.
int main(int argc, char** argv);

}  // namespace tycho::server
