/* nimmaster.c - starting and recognising topology master processes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "engine/cluster/nimmaster.h"

extern char **environ;

/* The directory part of path (caller frees). */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash == NULL ? xstrdup(".") :
        xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
}

int
gale_nimmaster_spawn(const gale_nimmaster_spec_t *s, pid_t *pid,
    char **cause)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, deflt;
    char **argv, slot[16], *dir = NULL, **envp, *exitvar = NULL;
    const char *cwd = s->cwd;
    struct stat st;
    size_t i, k = 0;
    int rc;

    argv = xcalloc(8 + s->nargs, sizeof *argv);
    argv[k++] = (char *)s->exe;
    argv[k++] = "run";
    argv[k++] = (char *)s->cfg;
    if (s->cluster != NULL) {
        snprintf(slot, sizeof slot, "%d", s->slot);
        argv[k++] = "--cluster";
        argv[k++] = (char *)s->cluster;
        argv[k++] = "--slot";
        argv[k++] = slot;
    }
    for (i = 0; i < s->nargs; i++)
        argv[k++] = s->args[i];
    argv[k] = NULL;
    /* The submitter's directory when this host has it (relative paths in
     * the file, such as the checkpoint directory, mean what they meant to
     * the submitter on a shared filesystem), else the record's. */
    if (cwd == NULL || stat(cwd, &st) != 0 || !S_ISDIR(st.st_mode))
        cwd = dir = dir_of(s->cfg);

    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
        O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, s->log,
        O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addchdir_np(&fa, cwd);
    /* Its own session: it survives nimbus and signals to nimbus's group.
     * Signals nimbus ignores or blocks are the defaults again there. */
    sigemptyset(&none);
    sigemptyset(&deflt);
    sigaddset(&deflt, SIGPIPE);
    sigaddset(&deflt, SIGINT);
    sigaddset(&deflt, SIGTERM);
    sigaddset(&deflt, SIGHUP);
    sigaddset(&deflt, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &deflt);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID |
        POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    /* Its exit status reaches us through a file too: after a nimbus
     * restart the master is not our child, and a savepoint stop must not
     * look like a crash that wants a restart. */
    {
        size_t ne = 0, j;

        while (environ[ne] != NULL)
            ne++;
        envp = xcalloc(ne + 2, sizeof *envp);
        for (i = 0, j = 0; i < ne; i++)
            if (strncmp(environ[i], "GALE_EXIT_STATUS_FILE=", 22) != 0)
                envp[j++] = environ[i];
        if (s->exit_file != NULL) {
            unlink(s->exit_file);
            xasprintf(&exitvar, "GALE_EXIT_STATUS_FILE=%s", s->exit_file);
            envp[j++] = exitvar;
        }
        envp[j] = NULL;
    }
    rc = posix_spawn(pid, s->exe, &fa, &attr, argv, envp);
    free(envp);
    free(exitvar);
    if (rc != 0 && cause != NULL)
        xasprintf(cause, "cannot start %s run %s (in %s, log %s): %s", s->exe,
            s->cfg, cwd, s->log, strerror(rc));
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    free(dir);
    return -rc;
}

int
gale_nimmaster_exit_status(const char *path)
{
    FILE *fp = fopen(path, "re");
    int v = -1;

    if (fp == NULL)
        return -1;
    if (fscanf(fp, "%d", &v) != 1 || v < 0 || v > 255)
        v = -1;
    fclose(fp);
    return v;
}

/* Reads the whole of a small /proc file into a NUL-terminated buffer
 * (caller frees); *len is its length. NULL when it cannot be read. */
static char *
read_proc(const char *path, size_t *len)
{
    char *buf = NULL;
    size_t cap = 0, n = 0;
    ssize_t r;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return NULL;
    for (;;) {
        if (cap - n < 4096)
            buf = xrealloc(buf, cap += 8192);
        if ((r = read(fd, buf + n, cap - n - 1)) < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

bool
gale_nimmaster_is(pid_t pid, const char *cfg)
{
    char path[64], *buf, *arg[3];
    size_t len, off = 0;
    bool yes = false;
    int i;

    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
        return false;
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    /* A zombie's cmdline is empty: it is no master any more. */
    if ((buf = read_proc(path, &len)) == NULL)
        return false;
    for (i = 0; i < 3; i++) {
        arg[i] = off < len ? buf + off : NULL;
        off += arg[i] != NULL ? strlen(arg[i]) + 1 : 0;
    }
    if (arg[1] != NULL && arg[2] != NULL && strcmp(arg[1], "run") == 0 &&
        strcmp(arg[2], cfg) == 0) {
        const char *base = strrchr(arg[0], '/');

        /* The program is gale (any path: it may have been reinstalled). */
        base = base != NULL ? base + 1 : arg[0];
        yes = strncmp(base, "gale", 4) == 0 || strncmp(base, "lt-gale", 7) == 0;
    }
    free(buf);
    return yes;
}
