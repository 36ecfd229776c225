/* Unit tests for the poller (sys_poll.c), on both backends, over socketpairs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../err.h"
#include "../sys.h"
#include "t.h"

static int backend; /* MT_POLL_EPOLL or MT_POLL_POLL, per round */

static mt_poll *new_poller(void)
{
    mt_poll *p = NULL;
    int e;
    CHECK_EQ(mt_poll_new(&p, backend, &e), 0);
    CHECK(p != NULL);
    if (p != NULL) {
        CHECK_EQ(mt_poll_backend(p), backend);
    }
    return p;
}

/* The mask reported for fd by one wait of timeout_ms (0 if not reported). */
static unsigned ready(mt_poll *p, int fd, int timeout_ms)
{
    const mt_poll_event *ev;
    size_t n;
    int e;
    CHECK_EQ(mt_poll_wait(p, timeout_ms, &ev, &n, &e), 0);
    unsigned m = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].fd == fd) {
            CHECK_EQ(m, 0); /* one event per fd */
            m = ev[i].mask;
        }
    }
    return m;
}

static void readable_and_writable(void)
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    mt_poll *p = new_poller();
    int e;
    CHECK_EQ(mt_poll_set(p, sv[0], MT_POLL_R, 0, &e), 0);
    CHECK_EQ(mt_poll_get(p, sv[0]), MT_POLL_R);
    CHECK_EQ(mt_poll_count(p), 1);
    CHECK_EQ(ready(p, sv[0], 0), 0);
    CHECK_EQ(write(sv[1], "x", 1), 1);
    CHECK_EQ(ready(p, sv[0], 1000), MT_POLL_R);
    /* level-triggered: still readable while unread */
    CHECK_EQ(ready(p, sv[0], 0), MT_POLL_R);
    /* the same fd for both: one registration, both reported */
    CHECK_EQ(mt_poll_set(p, sv[0], MT_POLL_R | MT_POLL_W, 0, &e), 0);
    CHECK_EQ(mt_poll_count(p), 1);
    CHECK_EQ(ready(p, sv[0], 0), MT_POLL_R | MT_POLL_W);
    char c;
    CHECK_EQ(read(sv[0], &c, 1), 1);
    CHECK_EQ(ready(p, sv[0], 0), MT_POLL_W);
    CHECK_EQ(mt_poll_set(p, sv[0], 0, 0, &e), 0);
    CHECK_EQ(mt_poll_count(p), 0);
    CHECK_EQ(ready(p, sv[0], 0), 0);
    mt_poll_free(p);
    close(sv[0]);
    close(sv[1]);
}

static void hangup_wakes_both(void)
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    mt_poll *p = new_poller();
    int e;
    CHECK_EQ(mt_poll_set(p, sv[0], MT_POLL_R, 0, &e), 0);
    close(sv[1]);
    /* EOF: a reader must wake to read it */
    CHECK_EQ(ready(p, sv[0], 1000), MT_POLL_R);
    mt_poll_free(p);
    close(sv[0]);
}

static void bad_fds(void)
{
    mt_poll *p = new_poller();
    int e;
    CHECK_EQ(mt_poll_set(p, -1, MT_POLL_R, 0, &e), -MT_E_INVALID_ARG);
    CHECK_EQ(e, EBADF);
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[0]);
    CHECK_EQ(mt_poll_set(p, sv[0], MT_POLL_R, 0, &e), -MT_E_INVALID_ARG);
    CHECK_EQ(e, EBADF);
    CHECK_EQ(mt_poll_count(p), 0);
    /* a huge fd number that is not open costs no memory and fails */
    CHECK_EQ(mt_poll_set(p, 1 << 30, MT_POLL_R, 0, &e), -MT_E_INVALID_ARG);
    CHECK_EQ(e, EBADF);
    /* removing what is not registered is fine */
    CHECK_EQ(mt_poll_set(p, sv[0], 0, 0, &e), 0);
    close(sv[1]);
    mt_poll_free(p);
}

static void closed_while_registered(void)
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    mt_poll *p = new_poller();
    int e;
    CHECK_EQ(mt_poll_set(p, sv[0], MT_POLL_R, 0, &e), 0);
    int fd = sv[0];
    close(sv[0]);
    if (backend == MT_POLL_POLL) {
        CHECK_EQ(ready(p, fd, 0), MT_POLL_BAD);
    } else {
        CHECK_EQ(ready(p, fd, 0), 0); /* the kernel dropped it */
    }
    /* refresh of a closed fd: EBADF, and the fd is forgotten */
    CHECK_EQ(mt_poll_set(p, fd, MT_POLL_R, 1, &e), -MT_E_INVALID_ARG);
    CHECK_EQ(e, EBADF);
    CHECK_EQ(mt_poll_count(p), 0);
    /* the number comes back for a new socket: refresh registers the new one */
    CHECK_EQ(mt_poll_set(p, sv[1], MT_POLL_R, 0, &e), 0);
    int sv2[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
    CHECK_EQ(sv2[0], fd);
    CHECK_EQ(mt_poll_set(p, fd, MT_POLL_R, 0, &e), 0);
    CHECK_EQ(write(sv2[1], "y", 1), 1);
    CHECK_EQ(ready(p, fd, 1000), MT_POLL_R);
    close(sv2[0]);
    /* closed again, number reused again, registration still in our table: refresh */
    int sv3[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv3), 0);
    CHECK_EQ(sv3[0], fd);
    CHECK_EQ(mt_poll_set(p, fd, MT_POLL_R, 1, &e), 0);
    CHECK_EQ(write(sv3[1], "z", 1), 1);
    CHECK_EQ(ready(p, fd, 1000), MT_POLL_R);
    CHECK_EQ(mt_poll_count(p), 2);
    mt_poll_free(p);
    close(sv[1]);
    close(sv2[1]);
    close(sv3[0]);
    close(sv3[1]);
}

static void regular_file_always_ready(void)
{
    char path[] = "/tmp/moontls-poll-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    mt_poll *p = new_poller();
    int e;
    CHECK_EQ(mt_poll_set(p, fd, MT_POLL_R, 0, &e), 0);
    CHECK_EQ(ready(p, fd, 1000), MT_POLL_R);
    CHECK_EQ(mt_poll_set(p, fd, MT_POLL_R | MT_POLL_W, 0, &e), 0);
    CHECK_EQ(ready(p, fd, 0), MT_POLL_R | MT_POLL_W);
    CHECK_EQ(mt_poll_set(p, fd, 0, 0, &e), 0);
    CHECK_EQ(mt_poll_count(p), 0);
    CHECK_EQ(ready(p, fd, 0), 0);
    /* registered, closed, its number reused by a socket: refreshed, it is a socket again */
    CHECK_EQ(mt_poll_set(p, fd, MT_POLL_R, 0, &e), 0);
    close(fd);
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(sv[0], fd);
    CHECK_EQ(mt_poll_set(p, fd, MT_POLL_R, 1, &e), 0);
    CHECK_EQ(ready(p, fd, 0), 0);
    CHECK_EQ(write(sv[1], "x", 1), 1);
    CHECK_EQ(ready(p, fd, 1000), MT_POLL_R);
    CHECK_EQ(mt_poll_count(p), 1);
    mt_poll_free(p);
    close(sv[0]);
    close(sv[1]);
}

static void many_fds(void)
{
    enum { N = 300 };
    int sv[N][2];
    mt_poll *p = new_poller();
    int e;
    for (int i = 0; i < N; i++) {
        CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
        CHECK_EQ(mt_poll_set(p, sv[i][0], MT_POLL_R, 0, &e), 0);
    }
    CHECK_EQ(mt_poll_count(p), N);
    /* every third becomes readable; removing others in between keeps the set right */
    for (int i = 0; i < N; i += 3) {
        CHECK_EQ(write(sv[i][1], "x", 1), 1);
    }
    for (int i = 1; i < N; i += 3) {
        CHECK_EQ(mt_poll_set(p, sv[i][0], 0, 0, &e), 0);
    }
    const mt_poll_event *ev;
    size_t n;
    CHECK_EQ(mt_poll_wait(p, 1000, &ev, &n, &e), 0);
    CHECK_EQ(n, N / 3);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(ev[i].mask, MT_POLL_R);
        int found = 0;
        for (int j = 0; j < N; j += 3) {
            found |= ev[i].fd == sv[j][0];
        }
        CHECK(found);
    }
    mt_poll_free(p);
    for (int i = 0; i < N; i++) {
        close(sv[i][0]);
        close(sv[i][1]);
    }
}

/* A child changing the poller must not change the parent's (epoll sets are shared). */
static void fork_keeps_sets_apart(void)
{
    int a[2], b[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    mt_poll *p = new_poller();
    int e;
    CHECK_EQ(mt_poll_set(p, a[0], MT_POLL_R, 0, &e), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* the child drops a[0], adds b[0], and sees b[0] (and not a[0]) ready */
        int ok = mt_poll_set(p, a[0], 0, 0, &e) == 0 &&
                 mt_poll_set(p, b[0], MT_POLL_R, 0, &e) == 0 && write(b[1], "c", 1) == 1;
        const mt_poll_event *ev;
        size_t n;
        ok = ok && write(a[1], "c", 1) == 1 && mt_poll_wait(p, 1000, &ev, &n, &e) == 0 && n == 1 &&
             ev[0].fd == b[0];
        mt_poll_free(p);
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0);
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* the parent still has a[0] (the child wrote a byte into it), and not b[0] */
    CHECK_EQ(mt_poll_count(p), 1);
    CHECK_EQ(ready(p, a[0], 1000), MT_POLL_R);
    CHECK_EQ(ready(p, b[0], 0), 0);
    mt_poll_free(p);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

static void timeout_waits(void)
{
    mt_poll *p = new_poller();
    int64_t t0 = mt_sys_monotonic_ns();
    const mt_poll_event *ev;
    size_t n;
    int e;
    CHECK_EQ(mt_poll_wait(p, 30, &ev, &n, &e), 0);
    int64_t dt = mt_sys_monotonic_ns() - t0;
    CHECK_EQ(n, 0);
    CHECK(dt >= 29000000);
    CHECK(mt_sys_monotonic_ns() >= t0);
    mt_poll_free(p);
    mt_poll_free(NULL);
}

/* Built with -DMT_NO_EPOLL (as on a system without epoll): poll(2) only, and asking for
 * epoll is refused while "auto" falls back. */
#if defined(__linux__) && !defined(MT_NO_EPOLL)
static const int backends[] = {MT_POLL_EPOLL, MT_POLL_POLL};
static const int auto_backend = MT_POLL_EPOLL;
#else
static const int backends[] = {MT_POLL_POLL};
static const int auto_backend = MT_POLL_POLL;
#endif

static void auto_choice(void)
{
    mt_poll *p;
    int e;
    CHECK_EQ(mt_poll_new(&p, MT_POLL_AUTO, &e), 0);
    CHECK_EQ(mt_poll_backend(p), auto_backend);
    mt_poll_free(p);
    if (auto_backend == MT_POLL_POLL) {
        CHECK_EQ(mt_poll_new(&p, MT_POLL_EPOLL, &e), -MT_E_INVALID_ARG);
        CHECK_EQ(e, ENOSYS);
        CHECK(p == NULL);
    }
    CHECK_EQ(mt_poll_new(&p, 7, &e), -MT_E_INVALID_ARG);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        backend = backends[i];
        printf("# backend %s\n", backend == MT_POLL_EPOLL ? "epoll" : "poll");
        RUN(readable_and_writable);
        RUN(hangup_wakes_both);
        RUN(bad_fds);
        RUN(closed_while_registered);
        RUN(regular_file_always_ready);
        RUN(many_fds);
        RUN(fork_keeps_sets_apart);
        RUN(timeout_waits);
    }
    RUN(auto_choice);
    return t_done();
}
