/*
 * sys_sock.h -- TCP sockets for the native transport (moontls.Socket, lua_sock.c): every
 * socket is nonblocking and close-on-exec, and keeps no buffer of its own. The waiting is
 * the caller's (moontls.loop, cqueues, poll): calls that would block say so.
 *
 * Failing functions return a negative MT_E_* code and set *sys_errno (errno, or 0 when the
 * failure is not a system call's); mt_sock_strerror names the errno the way LuaSocket does,
 * so the Lua API keeps its messages ("connection refused", "closed", "timeout").
 */
#ifndef MT_SYS_SOCK_H
#define MT_SYS_SOCK_H

#include <sys/socket.h>

#include "mt.h"

/* One resolved address: a struct sockaddr of `len` bytes (IPv4 or IPv6). */
typedef struct mt_sock_addr {
    struct sockaddr_storage ss;
    socklen_t len;
} mt_sock_addr;

/* Resolves host and port for TCP (getaddrinfo, any family, in the resolver's order) into at
 * most `cap` addresses; *n says how many. passive != 0: addresses to bind, host NULL or "*"
 * meaning every local address (IPv4 0.0.0.0). Errors: -MT_E_INVALID_ARG with *gai_err set
 * (an EAI_* code: mt_sock_gai_strerror names it) or, for EAI_SYSTEM, *sys_errno. */
MT_WUR int mt_sock_resolve(const char *host, unsigned port, int passive, mt_sock_addr *out,
                           size_t cap, size_t *n, int *gai_err, int *sys_errno);

/* a = the `len` bytes at `bytes` (an address mt_sock_resolve made, kept as a Lua string):
 * an AF_INET or AF_INET6 sockaddr of its exact size. Errors: -MT_E_INVALID_ARG. */
MT_WUR int mt_sock_addr_set(mt_sock_addr *a, const void *bytes, size_t len);

/* Starts a connection to a: *fd is a new nonblocking socket (TCP_NODELAY on). Returns 0
 * when connected at once, -MT_E_WANT_WRITE while in progress (wait for the fd to be
 * writable, then mt_sock_connected), another error with *fd = -1 (*sys_errno says why). */
MT_WUR int mt_sock_connect(const mt_sock_addr *a, int *fd, int *sys_errno);

/* The outcome of a nonblocking connect once the fd became writable (SO_ERROR): 0, or
 * -MT_E_INVALID_ARG with *sys_errno (ECONNREFUSED, ETIMEDOUT, ...). */
MT_WUR int mt_sock_connected(int fd, int *sys_errno);

/* A listening socket bound to a (SO_REUSEADDR on, IPV6_V6ONLY as the system sets it) with
 * the given backlog. Errors: -MT_E_INVALID_ARG, *fd = -1, *sys_errno (EADDRINUSE, ...). */
MT_WUR int mt_sock_listen(const mt_sock_addr *a, int backlog, int *fd, int *sys_errno);

/* Accepts one connection from the listening fd: *fd nonblocking, close-on-exec, TCP_NODELAY
 * on. -MT_E_WANT_READ when none is waiting (also after a connection that was aborted before
 * it was accepted); other errors -MT_E_INVALID_ARG with *sys_errno. */
MT_WUR int mt_sock_accept(int lfd, int *fd, int *sys_errno);

/* recv(2) of at most cap bytes, retried on EINTR: the count, 0 at the peer's end of stream,
 * -MT_E_WANT_READ when nothing is there, -MT_E_INVALID_ARG with *sys_errno. */
MT_WUR long mt_sock_recv(int fd, void *buf, size_t cap, int *sys_errno);

/* send(2) without SIGPIPE, retried on EINTR: the count taken (0 when the socket buffer is
 * full), or -MT_E_INVALID_ARG with *sys_errno (EPIPE, ECONNRESET, ...). */
MT_WUR long mt_sock_send(int fd, const void *buf, size_t len, int *sys_errno);

/* shutdown(2); how: SHUT_RD, SHUT_WR or SHUT_RDWR. Errors: -MT_E_INVALID_ARG, *sys_errno. */
MT_WUR int mt_sock_shutdown(int fd, int how, int *sys_errno);

/* TCP_NODELAY on (on != 0) or off; mt_sock_nodelay_get stores 0 or 1 in *on.
 * Errors: -MT_E_INVALID_ARG, *sys_errno. */
MT_WUR int mt_sock_nodelay(int fd, int on, int *sys_errno);
MT_WUR int mt_sock_nodelay_get(int fd, int *on, int *sys_errno);

/* The local (peer == 0) or remote address of fd as numeric text in host[cap] (cap >= 64),
 * its port, and its family (AF_INET or AF_INET6). Errors: -MT_E_INVALID_ARG, *sys_errno
 * (ENOTCONN for the peer of an unconnected socket). */
MT_WUR int mt_sock_name(int fd, int peer, char *host, size_t cap, unsigned *port, int *family,
                        int *sys_errno);

/* Closes fd (EINTR is not retried: the descriptor is gone either way on Linux). */
void mt_sock_close(int fd);

/* LuaSocket's names for socket errors: "connection refused", "closed" (reset, aborted,
 * broken pipe), "timeout", "address already in use", "permission denied", ...;
 * strerror(3) for the rest. */
const char *mt_sock_strerror(int sys_errno);

/* A resolver failure (EAI_* code) in LuaSocket's words ("host or service not provided, or
 * not known" for an unknown name). */
const char *mt_sock_gai_strerror(int gai_err, int sys_errno);

#endif
