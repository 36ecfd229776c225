#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "sys.h"

int mt_sys_write_private(const char *path, const void *data, size_t len, int *sys_errno)
{
    *sys_errno = 0;
    /* O_NOFOLLOW: never write a secret through a symlink planted in a shared directory. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
    /* An existing file keeps its mode through O_CREAT: tighten it before writing. */
    if (fchmod(fd, 0600) < 0) {
        *sys_errno = errno;
        close(fd);
        return -MT_E_INVALID_ARG;
    }
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t k = write(fd, p, len);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            *sys_errno = k < 0 ? errno : EIO;
            close(fd);
            return -MT_E_INVALID_ARG;
        }
        p += k;
        len -= (size_t)k;
    }
    if (close(fd) < 0) {
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
    return 0;
}

long mt_sys_read(int fd, void *buf, size_t cap, int *sys_errno)
{
    *sys_errno = 0;
    for (;;) {
        ssize_t k = read(fd, buf, cap);
        if (k >= 0) {
            return (long)k;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return -MT_E_WANT_READ;
        }
        *sys_errno = errno;
        return -MT_E_INVALID_ARG;
    }
}
