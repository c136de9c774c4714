/*
 * vfs_fault.h — a SQLite VFS that wraps the default one and injects disk faults on
 * demand: writes and syncs fail with SQLITE_FULL (disk full) or SQLITE_IOERR_WRITE /
 * SQLITE_IOERR_FSYNC, for tests and the deterministic simulation. Process-global.
 *
 * Once installed, every file SQLite opens (databases, WALs, journals, temp files) goes
 * through the shim, which forwards every call to the real VFS unchanged except that
 * xWrite, xSync and xTruncate consult the fault state first. Under LG_VFS_FAULT_FULL
 * all three fail with SQLITE_FULL; under LG_VFS_FAULT_IOERR xWrite fails with
 * SQLITE_IOERR_WRITE, xSync with SQLITE_IOERR_FSYNC and xTruncate with
 * SQLITE_IOERR_TRUNCATE. A failing call does nothing: it never reaches the real file.
 * The WAL-index (shared memory) is not faulted: it is memory, not disk.
 *
 * The state is process-global and not thread-safe: set it from the thread that uses
 * the stores, while no other thread runs SQLite. It is a test device, never for
 * production.
 */
#ifndef LEGATO_VFS_FAULT_H
#define LEGATO_VFS_FAULT_H

#include "legato/base.h"

/* The name the shim is registered under. */
#define LG_VFS_FAULT_NAME "legato-fault"

typedef enum lg_vfs_fault {
    LG_VFS_FAULT_NONE = 0,  /* every call goes through */
    LG_VFS_FAULT_FULL = 1,  /* SQLITE_FULL: the disk is full */
    LG_VFS_FAULT_IOERR = 2, /* SQLITE_IOERR_WRITE / _FSYNC / _TRUNCATE */
} lg_vfs_fault_t;

/* Registers the shim under the name "legato-fault" as SQLite's default VFS (wrapping
 * whatever was the default). Idempotent. LG_OK or LG_EIO. Call before opening stores:
 * files opened before keep the VFS they were opened with. */
int lg_vfs_fault_install(void);

/* From now on, after `after` more successful xWrite/xSync/xTruncate calls on any file,
 * every such call fails with the fault until lg_vfs_fault_set(LG_VFS_FAULT_NONE, 0).
 * after = 0: the next one fails. With LG_VFS_FAULT_NONE, after must be 0. Does not
 * reset lg_vfs_fault_count. */
void lg_vfs_fault_set(lg_vfs_fault_t fault, uint64_t after);

/* Faults injected so far (calls that failed), for tests. */
uint64_t lg_vfs_fault_count(void);

#endif
