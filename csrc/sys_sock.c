/*
 * sys_sock.c -- nonblocking TCP sockets (see sys_sock.h). Linux and the BSDs: socket(2) and
 * accept4(2) take SOCK_NONBLOCK | SOCK_CLOEXEC, so no descriptor is ever blocking or
 * inherited by a child for an instant.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "sys.h"
#include "sys_sock.h"

#define SOCK_FLAGS (SOCK_NONBLOCK | SOCK_CLOEXEC)

int mt_sock_resolve(const char *host, unsigned port, int passive, mt_sock_addr *out, size_t cap,
                    size_t *n, int *gai_err, int *sys_errno)
{
    *n = 0;
    *gai_err = 0;
    *sys_errno = 0;
    ENSURE(port <= 65535, INVALID_ARG);
    if (passive && host != NULL && strcmp(host, "*") == 0) {
        host = "0.0.0.0"; /* as LuaSocket's socket.bind */
    }
    char serv[8];
    snprintf(serv, sizeof(serv), "%u", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_protocol = IPPROTO_TCP,
        .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0),
    };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, serv, &hints, &res);
    if (rc != 0) {
        *gai_err = rc;
        *sys_errno = rc == EAI_SYSTEM ? errno : 0;
        return -MT_E_INVALID_ARG;
    }
    for (const struct addrinfo *ai = res; ai != NULL && *n < cap; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof(out->ss)) {
            continue;
        }
        mt_sock_addr *a = &out[*n];
        memset(a, 0, sizeof(*a));
        memcpy(&a->ss, ai->ai_addr, ai->ai_addrlen);
        a->len = ai->ai_addrlen;
        (*n)++;
    }
    freeaddrinfo(res);
    if (*n == 0) {
        *gai_err = EAI_NONAME;
        return -MT_E_INVALID_ARG;
    }
    return 0;
}

int mt_sock_addr_set(mt_sock_addr *a, const void *bytes, size_t len)
{
    memset(a, 0, sizeof(*a));
    ENSURE(len >= sizeof(sa_family_t) && len <= sizeof(a->ss), INVALID_ARG);
    memcpy(&a->ss, bytes, len);
    a->len = (socklen_t)len;
    ENSURE((a->ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in)) ||
               (a->ss.ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6)),
           INVALID_ARG);
    return 0;
}

static int set_int(int fd, int level, int name, int value, int *sys_errno)
{
    if (setsockopt(fd, level, name, &value, sizeof(value)) < 0) {
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
    return 0;
}

/* A new socket for a's family; -1 with *sys_errno on failure. */
static int new_socket(const mt_sock_addr *a, int *sys_errno)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_FLAGS, IPPROTO_TCP);
    if (fd < 0) {
        *sys_errno = errno;
    }
    return fd;
}

int mt_sock_connect(const mt_sock_addr *a, int *fd, int *sys_errno)
{
    *sys_errno = 0;
    *fd = new_socket(a, sys_errno);
    ENSURE(*fd >= 0, INVALID_ARG);
    /* The File writes whole flights and records: Nagle would only hold them back. */
    int rc = set_int(*fd, IPPROTO_TCP, TCP_NODELAY, 1, sys_errno);
    if (rc == 0 && connect(*fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
        /* EINTR: the connection goes on in the background, as EINPROGRESS */
        if (errno == EINPROGRESS || errno == EINTR) {
            return -MT_E_WANT_WRITE;
        }
        *sys_errno = errno;
        rc = -MT_E_INVALID_ARG;
    }
    if (rc < 0) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

int mt_sock_connected(int fd, int *sys_errno)
{
    int err = 0;
    socklen_t len = sizeof(err);
    *sys_errno = 0;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        err = errno;
    }
    if (err != 0) {
        *sys_errno = err;
        return -MT_E_INVALID_ARG;
    }
    return 0;
}

int mt_sock_listen(const mt_sock_addr *a, int backlog, int *fd, int *sys_errno)
{
    *sys_errno = 0;
    *fd = new_socket(a, sys_errno);
    ENSURE(*fd >= 0, INVALID_ARG);
    int rc = set_int(*fd, SOL_SOCKET, SO_REUSEADDR, 1, sys_errno);
    if (rc == 0 && bind(*fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
        *sys_errno = errno;
        rc = -MT_E_INVALID_ARG;
    }
    if (rc == 0 && listen(*fd, backlog) < 0) {
        *sys_errno = errno;
        rc = -MT_E_INVALID_ARG;
    }
    if (rc < 0) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

int mt_sock_accept(int lfd, int *fd, int *sys_errno)
{
    *sys_errno = 0;
    for (;;) {
        *fd = accept4(lfd, NULL, NULL, SOCK_FLAGS);
        if (*fd >= 0) {
            break;
        }
        if (errno == EINTR) {
            continue;
        }
        /* a connection reset before it was taken is gone: nothing to accept now */
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) {
            return -MT_E_WANT_READ;
        }
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
    /* Not inherited from the listening socket on Linux: set it on each accepted one. */
    int rc = set_int(*fd, IPPROTO_TCP, TCP_NODELAY, 1, sys_errno);
    if (rc < 0) {
        close(*fd);
        *fd = -1;
    }
    return rc;
}

long mt_sock_recv(int fd, void *buf, size_t cap, int *sys_errno)
{
    /* recv(2) without flags is read(2) on a socket */
    return mt_sys_read(fd, buf, cap, sys_errno);
}

long mt_sock_send(int fd, const void *buf, size_t len, int *sys_errno)
{
    *sys_errno = 0;
    for (;;) {
        ssize_t k = send(fd, buf, len, MSG_NOSIGNAL);
        if (k >= 0) {
            return (long)k;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
}

int mt_sock_shutdown(int fd, int how, int *sys_errno)
{
    *sys_errno = 0;
    if (shutdown(fd, how) < 0) {
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
    return 0;
}

int mt_sock_nodelay(int fd, int on, int *sys_errno)
{
    *sys_errno = 0;
    return set_int(fd, IPPROTO_TCP, TCP_NODELAY, on != 0, sys_errno);
}

int mt_sock_nodelay_get(int fd, int *on, int *sys_errno)
{
    int v = 0;
    socklen_t len = sizeof(v);
    *sys_errno = 0;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) < 0) {
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
    *on = v != 0;
    return 0;
}

int mt_sock_name(int fd, int peer, char *host, size_t cap, unsigned *port, int *family,
                 int *sys_errno)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    *sys_errno = 0;
    int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                  : getsockname(fd, (struct sockaddr *)&ss, &len);
    if (rc < 0) {
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) {
        *sys_errno = EAFNOSUPPORT;
        return -MT_E_INVALID_ARG;
    }
    char serv[8];
    rc = getnameinfo((struct sockaddr *)&ss, len, host, (socklen_t)cap, serv, sizeof(serv),
                     NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0) {
        *sys_errno = rc == EAI_SYSTEM ? errno : EINVAL;
        return -MT_E_INVALID_ARG;
    }
    *family = ss.ss_family;
    *port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                    : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

void mt_sock_close(int fd)
{
    if (fd >= 0) {
        close(fd);
    }
}

const char *mt_sock_strerror(int sys_errno)
{
    switch (sys_errno) {
    case ECONNREFUSED:
        return "connection refused";
    case ECONNRESET:
    case ECONNABORTED:
    case EPIPE:
        return "closed";
    case ETIMEDOUT:
        return "timeout";
    case EADDRINUSE:
        return "address already in use";
    case EISCONN:
        return "already connected";
    case EACCES:
        return "permission denied";
    default:
        return strerror(sys_errno);
    }
}

const char *mt_sock_gai_strerror(int gai_err, int sys_errno)
{
    switch (gai_err) {
    case EAI_NONAME:
        return "host or service not provided, or not known";
    case EAI_AGAIN:
        return "temporary failure in name resolution";
    case EAI_FAIL:
        return "non-recoverable failure in name resolution";
    case EAI_MEMORY:
        return "memory allocation failure";
    case EAI_SYSTEM:
        return strerror(sys_errno);
    case 0:
        return "invalid port";
    default:
        return gai_strerror(gai_err);
    }
}
