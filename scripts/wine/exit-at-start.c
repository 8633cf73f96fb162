/* Test-only "release" for scripts/windows-update.sh: a Windows program that answers --version
 * like outpost.exe and exits with an error when started as the agent (a build that crashes at
 * start). Built with mingw by the test; never shipped. */
#include <stdio.h>
#include <string.h>

#ifndef VERSION
#define VERSION "0.0.0"
#endif

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("outpost %s\n", VERSION);
        return 0;
    }
    fprintf(stderr, "crashing at start\n");
    return 3;
}
