/* Unit tests for the native TCP sockets (sys_sock.c) over the loopback interface. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "../err.h"
#include "../sys_sock.h"
#include "t.h"

/* Waits up to ms for events on fd; the revents. */
static short wait_fd(int fd, short events, int ms)
{
    struct pollfd p = {.fd = fd, .events = events, .revents = 0};
    return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

static mt_sock_addr loopback(unsigned port)
{
    mt_sock_addr a;
    size_t n = 0;
    int gai, e;
    memset(&a, 0, sizeof(a));
    CHECK_EQ(mt_sock_resolve("127.0.0.1", port, 0, &a, 1, &n, &gai, &e), 0);
    CHECK_EQ(n, 1);
    return a;
}

/* A listening socket on 127.0.0.1 and its port. */
static int listener(unsigned *port, int backlog)
{
    mt_sock_addr a = loopback(0);
    int fd, e, family;
    char host[64];
    CHECK_EQ(mt_sock_listen(&a, backlog, &fd, &e), 0);
    CHECK_EQ(mt_sock_name(fd, 0, host, sizeof(host), port, &family, &e), 0);
    CHECK(strcmp(host, "127.0.0.1") == 0);
    CHECK_EQ(family, AF_INET);
    CHECK(*port > 0);
    return fd;
}

/* A connected pair through a listener: *c the client end, *s the accepted one. */
static void pair(int lfd, unsigned port, int *c, int *s)
{
    mt_sock_addr a = loopback(port);
    int e;
    int rc = mt_sock_connect(&a, c, &e);
    CHECK(rc == 0 || rc == -MT_E_WANT_WRITE);
    if (rc == -MT_E_WANT_WRITE) {
        CHECK(wait_fd(*c, POLLOUT, 5000) & POLLOUT);
        CHECK_EQ(mt_sock_connected(*c, &e), 0);
    }
    CHECK(wait_fd(lfd, POLLIN, 5000) & POLLIN);
    CHECK_EQ(mt_sock_accept(lfd, s, &e), 0);
}

static void resolve_and_addresses(void)
{
    mt_sock_addr a[4];
    size_t n;
    int gai, e;
    CHECK_EQ(mt_sock_resolve("127.0.0.1", 443, 0, a, 4, &n, &gai, &e), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(a[0].ss.ss_family, AF_INET);
    CHECK_EQ(a[0].len, sizeof(struct sockaddr_in));
    CHECK_EQ(ntohs(((struct sockaddr_in *)&a[0].ss)->sin_port), 443);
    CHECK_EQ(mt_sock_resolve("::1", 8443, 0, a, 4, &n, &gai, &e), 0);
    CHECK_EQ(a[0].ss.ss_family, AF_INET6);
    /* passive "*": every IPv4 address, as LuaSocket's bind */
    CHECK_EQ(mt_sock_resolve("*", 0, 1, a, 4, &n, &gai, &e), 0);
    CHECK_EQ(a[0].ss.ss_family, AF_INET);
    CHECK_EQ(((struct sockaddr_in *)&a[0].ss)->sin_addr.s_addr, htonl(INADDR_ANY));
    CHECK_EQ(mt_sock_resolve("127.0.0.1", 65536, 0, a, 4, &n, &gai, &e), -MT_E_INVALID_ARG);
    CHECK(strcmp(mt_sock_gai_strerror(EAI_NONAME, 0),
                 "host or service not provided, or not known") == 0);

    /* addresses coming back from Lua strings: only exact IPv4/IPv6 sockaddrs */
    mt_sock_addr b;
    CHECK_EQ(mt_sock_resolve("127.0.0.1", 1, 0, a, 4, &n, &gai, &e), 0);
    CHECK_EQ(mt_sock_addr_set(&b, &a[0].ss, a[0].len), 0);
    CHECK_EQ(mt_sock_addr_set(&b, &a[0].ss, a[0].len - 1), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_sock_addr_set(&b, &a[0].ss, 1), -MT_E_INVALID_ARG);
    CHECK_EQ(mt_sock_addr_set(&b, &a[0].ss, sizeof(struct sockaddr_in6)), -MT_E_INVALID_ARG);
    uint8_t junk[sizeof(struct sockaddr_storage) + 1];
    memset(junk, 0, sizeof(junk));
    CHECK_EQ(mt_sock_addr_set(&b, junk, sizeof(junk)), -MT_E_INVALID_ARG);
    ((struct sockaddr *)junk)->sa_family = AF_UNIX;
    CHECK_EQ(mt_sock_addr_set(&b, junk, sizeof(struct sockaddr_in)), -MT_E_INVALID_ARG);
}

static void connect_accept_send_recv(void)
{
    unsigned port;
    int lfd = listener(&port, 8);
    int c = -1, s = -1, e;
    uint8_t buf[64];
    /* nothing to accept yet */
    CHECK_EQ(mt_sock_accept(lfd, &s, &e), -MT_E_WANT_READ);
    pair(lfd, port, &c, &s);
    /* nonblocking, close-on-exec, TCP_NODELAY on both ends */
    int on = 0;
    CHECK((fcntl(c, F_GETFL) & O_NONBLOCK) && (fcntl(s, F_GETFL) & O_NONBLOCK));
    CHECK((fcntl(c, F_GETFD) & FD_CLOEXEC) && (fcntl(s, F_GETFD) & FD_CLOEXEC));
    CHECK_EQ(mt_sock_nodelay_get(c, &on, &e), 0);
    CHECK_EQ(on, 1);
    CHECK_EQ(mt_sock_nodelay_get(s, &on, &e), 0);
    CHECK_EQ(on, 1);
    CHECK_EQ(mt_sock_nodelay(s, 0, &e), 0);
    CHECK_EQ(mt_sock_nodelay_get(s, &on, &e), 0);
    CHECK_EQ(on, 0);
    /* the two ends name each other */
    char h1[64], h2[64];
    unsigned p1, p2;
    int f1, f2;
    CHECK_EQ(mt_sock_name(c, 1, h1, sizeof(h1), &p1, &f1, &e), 0);
    CHECK_EQ(p1, port);
    CHECK_EQ(mt_sock_name(s, 1, h1, sizeof(h1), &p1, &f1, &e), 0);
    CHECK_EQ(mt_sock_name(c, 0, h2, sizeof(h2), &p2, &f2, &e), 0);
    CHECK(strcmp(h1, h2) == 0);
    CHECK_EQ(p1, p2);
    /* data both ways; an empty socket says "want read" */
    CHECK_EQ(mt_sock_recv(s, buf, sizeof(buf), &e), -MT_E_WANT_READ);
    CHECK_EQ(mt_sock_send(c, "hello", 5, &e), 5);
    CHECK(wait_fd(s, POLLIN, 5000) & POLLIN);
    CHECK_EQ(mt_sock_recv(s, buf, sizeof(buf), &e), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    /* half-close: the peer reads the end of stream */
    CHECK_EQ(mt_sock_shutdown(c, SHUT_WR, &e), 0);
    CHECK(wait_fd(s, POLLIN, 5000) & POLLIN);
    CHECK_EQ(mt_sock_recv(s, buf, sizeof(buf), &e), 0);
    /* a closed peer: sending fails with "closed" (EPIPE or ECONNRESET), never SIGPIPE */
    mt_sock_close(c);
    long k = 0;
    for (int i = 0; i < 100 && k >= 0; i++) {
        k = mt_sock_send(s, "x", 1, &e);
        if (k >= 0) {
            usleep(1000);
        }
    }
    CHECK_EQ(k, -MT_E_INVALID_ARG);
    CHECK(strcmp(mt_sock_strerror(e), "closed") == 0);
    mt_sock_close(s);
    mt_sock_close(lfd);
    /* an unconnected socket has no peer */
    CHECK_EQ(mt_sock_name(lfd, 1, h1, sizeof(h1), &p1, &f1, &e), -MT_E_INVALID_ARG);
}

static void refused_and_in_use(void)
{
    unsigned port;
    int lfd = listener(&port, 1);
    int fd, e;
    /* the port is taken: a second listener says so in LuaSocket's words */
    mt_sock_addr a = loopback(port);
    CHECK_EQ(mt_sock_listen(&a, 1, &fd, &e), -MT_E_INVALID_ARG);
    CHECK_EQ(fd, -1);
    CHECK_EQ(e, EADDRINUSE);
    CHECK(strcmp(mt_sock_strerror(e), "address already in use") == 0);
    mt_sock_close(lfd);
    /* nobody listens any more: the connection is refused (now or once it completes) */
    int rc = mt_sock_connect(&a, &fd, &e);
    if (rc == -MT_E_WANT_WRITE) {
        CHECK(wait_fd(fd, POLLOUT, 5000) != 0);
        rc = mt_sock_connected(fd, &e);
        mt_sock_close(fd);
    }
    CHECK_EQ(rc, -MT_E_INVALID_ARG);
    CHECK_EQ(e, ECONNREFUSED);
    CHECK(strcmp(mt_sock_strerror(e), "connection refused") == 0);
    CHECK(strcmp(mt_sock_strerror(ETIMEDOUT), "timeout") == 0);
    CHECK(strcmp(mt_sock_strerror(ECONNRESET), "closed") == 0);
    CHECK(strcmp(mt_sock_strerror(ENOENT), strerror(ENOENT)) == 0);
}

static void no_descriptor_leak(void)
{
    int first = dup(0);
    close(first);
    unsigned port;
    int lfd = listener(&port, 64);
    for (int i = 0; i < 200; i++) {
        int c = -1, s = -1;
        pair(lfd, port, &c, &s);
        mt_sock_close(c);
        mt_sock_close(s);
    }
    mt_sock_close(lfd);
    int next = dup(0);
    CHECK_EQ(next, first); /* the lowest free number is the same again */
    close(next);
}

int main(void)
{
    RUN(resolve_and_addresses);
    RUN(connect_accept_send_recv);
    RUN(refused_and_in_use);
    RUN(no_descriptor_leak);
    return t_done();
}
