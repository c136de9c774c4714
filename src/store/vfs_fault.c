/*
 * vfs_fault.c — the fault-injecting SQLite VFS of vfs_fault.h: a copy of the default
 * VFS whose xOpen opens the real file into the tail of a larger file object and puts
 * in front of it a table of io methods that forward every call, except that xWrite,
 * xSync and xTruncate fail instead once the armed fault is due. Tests and the
 * deterministic simulation use it to prove that a full disk or an I/O error on a
 * journal commit is reported and leaves nothing half-applied.
 *
 * Each open file carries its own method table: the real file's iVersion (at most 3,
 * the last this header knows), and a forwarder exactly where the real table has an
 * entry (a real file without xShmMap, say, must not appear to support WAL). The VFS's
 * other methods are the real ones, copied with the struct (same pAppData, mxPathname).
 *
 * All state is process-global and unsynchronised: not thread-safe, a test device.
 */
#include "legato/vfs_fault.h"

#include <limits.h>
#include <sqlite3.h>
#include <string.h>

/* An open file: this header, then the real VFS's file (szOsFile more bytes). */
typedef struct fault_file {
    sqlite3_file base;          /* pMethods = &methods once open, NULL otherwise */
    sqlite3_io_methods methods; /* forwarders for the entries the real table has */
    sqlite3_file *real;         /* the real file, just after this header */
} fault_file_t;

/* The three calls a fault can hit (each has its own SQLITE_IOERR_* code). */
typedef enum fault_op { OP_WRITE, OP_SYNC, OP_TRUNCATE } fault_op_t;

static struct {
    bool installed;
    sqlite3_vfs *real;    /* the default VFS when the shim was installed */
    sqlite3_vfs vfs;      /* the shim: a copy of *real with our xOpen and szOsFile */
    lg_vfs_fault_t fault; /* armed fault, LG_VFS_FAULT_NONE when disarmed */
    uint64_t after;       /* successful calls still allowed before the fault */
    uint64_t count;       /* calls failed so far */
} g;

/* ---- fault state -------------------------------------------------------------------- */

/* SQLITE_OK if the call may go through, else the fault's code (and it is counted). */
static int fault_due(fault_op_t op) {
    if (g.fault == LG_VFS_FAULT_NONE || g.after > 0) return SQLITE_OK;
    g.count++;
    if (g.fault == LG_VFS_FAULT_FULL) return SQLITE_FULL;
    LG_ASSERT(g.fault == LG_VFS_FAULT_IOERR);
    switch (op) {
    case OP_WRITE: return SQLITE_IOERR_WRITE;
    case OP_SYNC: return SQLITE_IOERR_FSYNC;
    default: return SQLITE_IOERR_TRUNCATE;
    }
}

/* A call that went through: one fewer before an armed fault is due. */
static int fault_passed(int rc) {
    if (rc == SQLITE_OK && g.fault != LG_VFS_FAULT_NONE && g.after > 0) g.after--;
    return rc;
}

void lg_vfs_fault_set(lg_vfs_fault_t fault, uint64_t after) {
    LG_ASSERT(fault == LG_VFS_FAULT_NONE || fault == LG_VFS_FAULT_FULL ||
              fault == LG_VFS_FAULT_IOERR);
    LG_ASSERT(fault != LG_VFS_FAULT_NONE || after == 0);
    g.fault = fault;
    g.after = after;
}

uint64_t lg_vfs_fault_count(void) {
    return g.count;
}

/* ---- io methods: forwarders ----------------------------------------------------------- */

static sqlite3_file *real_of(sqlite3_file *p) {
    LG_ASSERT(p != NULL);
    fault_file_t *f = (fault_file_t *)(void *)p;
    LG_ASSERT(p->pMethods == &f->methods && f->real != NULL && f->real->pMethods != NULL);
    return f->real;
}

static int ff_close(sqlite3_file *p) {
    sqlite3_file *r = real_of(p);
    int rc = r->pMethods->xClose(r);
    ((fault_file_t *)(void *)p)->real = NULL;
    return rc;
}

static int ff_read(sqlite3_file *p, void *buf, int n, sqlite3_int64 off) {
    LG_ASSERT(buf != NULL && n >= 0 && off >= 0);
    sqlite3_file *r = real_of(p);
    return r->pMethods->xRead(r, buf, n, off);
}

static int ff_write(sqlite3_file *p, const void *buf, int n, sqlite3_int64 off) {
    LG_ASSERT(buf != NULL && n >= 0 && off >= 0);
    sqlite3_file *r = real_of(p);
    int rc = fault_due(OP_WRITE);
    return rc != SQLITE_OK ? rc : fault_passed(r->pMethods->xWrite(r, buf, n, off));
}

static int ff_truncate(sqlite3_file *p, sqlite3_int64 size) {
    LG_ASSERT(size >= 0);
    sqlite3_file *r = real_of(p);
    int rc = fault_due(OP_TRUNCATE);
    return rc != SQLITE_OK ? rc : fault_passed(r->pMethods->xTruncate(r, size));
}

static int ff_sync(sqlite3_file *p, int flags) {
    sqlite3_file *r = real_of(p);
    int rc = fault_due(OP_SYNC);
    return rc != SQLITE_OK ? rc : fault_passed(r->pMethods->xSync(r, flags));
}

static int ff_file_size(sqlite3_file *p, sqlite3_int64 *size) {
    LG_ASSERT(size != NULL);
    sqlite3_file *r = real_of(p);
    return r->pMethods->xFileSize(r, size);
}

static int ff_lock(sqlite3_file *p, int level) {
    sqlite3_file *r = real_of(p);
    return r->pMethods->xLock(r, level);
}

static int ff_unlock(sqlite3_file *p, int level) {
    sqlite3_file *r = real_of(p);
    return r->pMethods->xUnlock(r, level);
}

static int ff_check_reserved(sqlite3_file *p, int *out) {
    LG_ASSERT(out != NULL);
    sqlite3_file *r = real_of(p);
    return r->pMethods->xCheckReservedLock(r, out);
}

static int ff_file_control(sqlite3_file *p, int op, void *arg) {
    sqlite3_file *r = real_of(p);
    return r->pMethods->xFileControl(r, op, arg);
}

static int ff_sector_size(sqlite3_file *p) {
    sqlite3_file *r = real_of(p);
    return r->pMethods->xSectorSize(r);
}

static int ff_device_chars(sqlite3_file *p) {
    sqlite3_file *r = real_of(p);
    return r->pMethods->xDeviceCharacteristics(r);
}

/* WAL-index (shared memory): memory, never faulted. */
static int ff_shm_map(sqlite3_file *p, int page, int size, int extend, void volatile **out) {
    LG_ASSERT(page >= 0 && size > 0 && out != NULL);
    sqlite3_file *r = real_of(p);
    return r->pMethods->xShmMap(r, page, size, extend, out);
}

static int ff_shm_lock(sqlite3_file *p, int offset, int n, int flags) {
    sqlite3_file *r = real_of(p);
    return r->pMethods->xShmLock(r, offset, n, flags);
}

static void ff_shm_barrier(sqlite3_file *p) {
    sqlite3_file *r = real_of(p);
    r->pMethods->xShmBarrier(r);
}

static int ff_shm_unmap(sqlite3_file *p, int delete_flag) {
    sqlite3_file *r = real_of(p);
    return r->pMethods->xShmUnmap(r, delete_flag);
}

/* Memory-mapped reads (SQLite never writes through the map). */
static int ff_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **out) {
    LG_ASSERT(off >= 0 && n >= 0 && out != NULL);
    sqlite3_file *r = real_of(p);
    return r->pMethods->xFetch(r, off, n, out);
}

static int ff_unfetch(sqlite3_file *p, sqlite3_int64 off, void *page) {
    sqlite3_file *r = real_of(p);
    return r->pMethods->xUnfetch(r, off, page);
}

/* m forwards exactly the entries r has, at r's iVersion (at most 3). */
static void build_methods(sqlite3_io_methods *m, const sqlite3_io_methods *r) {
    LG_ASSERT(m != NULL && r != NULL && r->iVersion >= 1);
    memset(m, 0, sizeof *m);
    m->iVersion = LG_MIN(r->iVersion, 3);
    m->xClose = r->xClose ? ff_close : NULL;
    m->xRead = r->xRead ? ff_read : NULL;
    m->xWrite = r->xWrite ? ff_write : NULL;
    m->xTruncate = r->xTruncate ? ff_truncate : NULL;
    m->xSync = r->xSync ? ff_sync : NULL;
    m->xFileSize = r->xFileSize ? ff_file_size : NULL;
    m->xLock = r->xLock ? ff_lock : NULL;
    m->xUnlock = r->xUnlock ? ff_unlock : NULL;
    m->xCheckReservedLock = r->xCheckReservedLock ? ff_check_reserved : NULL;
    m->xFileControl = r->xFileControl ? ff_file_control : NULL;
    m->xSectorSize = r->xSectorSize ? ff_sector_size : NULL;
    m->xDeviceCharacteristics = r->xDeviceCharacteristics ? ff_device_chars : NULL;
    if (m->iVersion >= 2) {
        m->xShmMap = r->xShmMap ? ff_shm_map : NULL;
        m->xShmLock = r->xShmLock ? ff_shm_lock : NULL;
        m->xShmBarrier = r->xShmBarrier ? ff_shm_barrier : NULL;
        m->xShmUnmap = r->xShmUnmap ? ff_shm_unmap : NULL;
    }
    if (m->iVersion >= 3) {
        m->xFetch = r->xFetch ? ff_fetch : NULL;
        m->xUnfetch = r->xUnfetch ? ff_unfetch : NULL;
    }
}

/* ---- the VFS ---------------------------------------------------------------------------- */

/* Opens the real file into p's tail. On failure p->pMethods stays NULL (so SQLite
 * never calls our xClose) and a real file left half-open is closed here. */
static int fault_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *p, int flags,
                      int *out_flags) {
    LG_ASSERT(vfs == &g.vfs && p != NULL && g.real != NULL);
    fault_file_t *f = (fault_file_t *)(void *)p;
    sqlite3_file *r = (sqlite3_file *)(void *)((unsigned char *)p + sizeof *f);
    memset(f, 0, sizeof *f);
    r->pMethods = NULL;
    int rc = g.real->xOpen(g.real, name, r, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (r->pMethods != NULL) (void)r->pMethods->xClose(r);
        LG_ASSERT(p->pMethods == NULL);
        return rc;
    }
    LG_ASSERT(r->pMethods != NULL);
    f->real = r;
    build_methods(&f->methods, r->pMethods);
    p->pMethods = &f->methods;
    return SQLITE_OK;
}

int lg_vfs_fault_install(void) {
    if (g.installed) {
        /* Still the default (someone may have registered another default since). */
        if (sqlite3_vfs_find(NULL) == &g.vfs) return LG_OK;
        return sqlite3_vfs_register(&g.vfs, 1) == SQLITE_OK ? LG_OK : LG_EIO;
    }
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (real == NULL) return LG_EIO;
    LG_ASSERT(real != &g.vfs && real->xOpen != NULL && real->iVersion >= 1);
    LG_ASSERT(real->szOsFile > 0 && real->szOsFile <= INT_MAX - (int)sizeof(fault_file_t));
    g.vfs = *real;
    g.vfs.szOsFile = real->szOsFile + (int)sizeof(fault_file_t);
    g.vfs.pNext = NULL;
    g.vfs.zName = LG_VFS_FAULT_NAME;
    g.vfs.xOpen = fault_open;
    g.real = real;
    if (sqlite3_vfs_register(&g.vfs, 1) != SQLITE_OK) return LG_EIO;
    g.installed = true;
    LG_ASSERT(sqlite3_vfs_find(NULL) == &g.vfs && sqlite3_vfs_find(LG_VFS_FAULT_NAME) == &g.vfs);
    return LG_OK;
}
