/*
 * daemon_files.c — the files `legato run` keeps: its data directory (0700), the API
 * token file (made once, 0600, refused when group or others may read it: a secret is
 * never left world-readable) and a paper session's earlier journal set aside; and the
 * order tag a log line names.
 */
#include "daemon_int.h"

#include "legato/tag.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int lg_daemon_dir(const char *path, char *err, size_t cap) {
    char p[256];
    if (lg_strlcpy(p, path, sizeof p) != LG_OK || p[0] == '\0') {
        snprintf(err, cap, "[daemon] data_dir '%.60s': empty or too long", path);
        return LG_EINVAL;
    }
    for (char *s = p + 1;; s++) { /* each parent, then the directory itself */
        bool end = *s == '\0';
        if (*s != '/' && !end) continue;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            snprintf(err, cap, "[daemon] data_dir: cannot make %s: %s", p, strerror(errno));
            return LG_EIO;
        }
        if (end) break;
        *s = '/';
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, cap, "[daemon] data_dir %s is not a directory", path);
        return LG_EIO;
    }
    return LG_OK;
}

static int make_token(const char *path, char *token, size_t cap, char *err, size_t errcap) {
    uint8_t raw[32];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        snprintf(err, errcap, "token file %s: no randomness: %s", path, strerror(errno));
        return LG_EIO;
    }
    LG_ASSERT(cap > 2 * sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++) snprintf(token + 2 * i, 3, "%02x", raw[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(err, errcap, "token file %s: cannot create it: %s", path, strerror(errno));
        return LG_EIO;
    }
    char line[80];
    int n = snprintf(line, sizeof line, "%s\n", token);
    bool ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        snprintf(err, errcap, "token file %s: cannot write it: %s", path, strerror(errno));
        unlink(path);
        return LG_EIO;
    }
    return LG_OK;
}

int lg_daemon_token(const char *path, bool create, char *token, size_t cap, char *err,
                    size_t errcap) {
    LG_ASSERT(path != NULL && token != NULL && cap >= 65 && err != NULL);
    token[0] = '\0';
    int fd = open(path, O_RDONLY | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT && create) return make_token(path, token, cap, err, errcap);
    if (fd < 0) {
        snprintf(err, errcap, "token file %s: %s", path, strerror(errno));
        return LG_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errcap, "token file %s: not a regular file", path);
        return LG_EIO;
    }
    if ((st.st_mode & 077) != 0) {
        close(fd);
        snprintf(err, errcap, "token file %s may be read by group or others (mode %03o): "
                 "chmod 600 it, or delete it for a new token", path, (unsigned)(st.st_mode & 0777));
        return LG_EAUTH;
    }
    ssize_t n = read(fd, token, cap - 1);
    close(fd);
    if (n < 0) n = 0;
    token[n] = '\0';
    token[strcspn(token, "\r\n")] = '\0';
    if (strlen(token) < 16) {
        snprintf(err, errcap, "token file %s: the token is shorter than 16 characters", path);
        return LG_EAUTH;
    }
    return LG_OK;
}

int lg_daemon_journal_aside(const char *path, char *err, size_t cap) {
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size == 0) return LG_OK; /* nothing before */
    char to[320], from[300], dst[340];
    snprintf(to, sizeof to, "%s.%lld", path, (long long)time(NULL));
    static const char *const SUFFIX[] = {"-wal", "-shm", ""};
    for (size_t i = 0; i < LG_COUNT(SUFFIX); i++) { /* the main file last */
        snprintf(from, sizeof from, "%s%s", path, SUFFIX[i]);
        snprintf(dst, sizeof dst, "%s%s", to, SUFFIX[i]);
        if (rename(from, dst) != 0 && errno != ENOENT) {
            snprintf(err, cap, "journal %s: cannot set the last paper session aside as %s: %s",
                     path, dst, strerror(errno));
            return LG_EIO;
        }
    }
    lg_daemon_log(NULL, LG_ALERT_INFO, 0, "the last paper session's journal is kept as %s", to);
    return LG_OK;
}

uint32_t lg_daemon_find_tag(const char *text, char *tag, size_t cap) {
    LG_ASSERT(cap > LG_TAG_LEN);
    for (const char *p = strchr(text, 'L'); p != NULL; p = strchr(p + 1, 'L')) {
        bool starts = p == text || !isalnum((unsigned char)p[-1]);
        size_t n = 0;
        while (n <= LG_TAG_LEN && isalnum((unsigned char)p[n])) n++;
        if (!starts || n != LG_TAG_LEN) continue;
        memcpy(tag, p, LG_TAG_LEN);
        tag[LG_TAG_LEN] = '\0';
        lg_tag_t t;
        if (lg_tag_decode(tag, &t) == LG_OK && t.group != 0) return t.group;
    }
    tag[0] = '\0';
    return 0;
}
