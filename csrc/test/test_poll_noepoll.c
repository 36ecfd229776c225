/* test_poll.c again, on sys_poll.c compiled as for a system without epoll (MT_NO_EPOLL):
 * the compile-time fallback to poll(2). This binary's own copy of the poller replaces
 * the library's (the linker takes no archive member for symbols already defined). */
#define MT_NO_EPOLL 1
#include "../sys_poll.c"
#include "test_poll.c"
