/*
 * daemon_int.h — inside `legato run`: the files the daemon keeps (daemon_files.c) and
 * its log (daemon.c).
 */
#ifndef LEGATO_DAEMON_INT_H
#define LEGATO_DAEMON_INT_H

#include "legato/daemon.h"

/* The data directory and its parents, mode 0700 when made; LG_EIO naming the path. */
int lg_daemon_dir(const char *path, char *err, size_t cap);
/* A paper session's earlier journal (and its -wal, -shm) renamed to <path>.<unix s>. */
int lg_daemon_journal_aside(const char *path, char *err, size_t cap);
/* One JSON line on stderr: {"ts": unix ms, "level", "msg"[, "group"]}; below the
 * configured level only counted. d may be NULL (before the daemon exists). */
void lg_daemon_log(lg_daemon_t *d, int level, uint32_t group, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
