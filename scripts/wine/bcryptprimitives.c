/* Test-only shim for Wine 8, which lacks bcryptprimitives.dll: Rust's std (1.78+) gets its
 * random bytes from ProcessPrng there. Forwards to RtlGenRandom (advapi32's SystemFunction036).
 * Built and installed into the test WINEPREFIX by scripts/windows-agent.sh; never shipped. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
