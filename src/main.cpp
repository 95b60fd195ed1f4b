#include "server/cli.h"

int main(int argc, char** argv) {
    return tycho::server::main(argc, argv);
}
