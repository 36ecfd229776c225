#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"
#include "sys.h"

static int urandom(uint8_t *p, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -MT_E_RANDOM;
    }
    while (n > 0) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            close(fd);
            return -MT_E_RANDOM;
        }
        p += k;
        n -= (size_t)k;
    }
    close(fd);
    return 0;
}

int mt_sys_getrandom(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        /* getrandom returns at most 32 MiB - 1 per call and may return less on signals. */
        ssize_t k = getrandom(p, n, 0);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0 && errno == ENOSYS) {
            return urandom(p, n);
        }
        if (k <= 0) {
            return -MT_E_RANDOM;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

long mt_sys_getpid(void)
{
    return (long)syscall(SYS_getpid);
}
