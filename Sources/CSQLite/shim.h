// Shims for SQLite macros that Swift cannot import.
#ifndef HOOKRELAY_CSQLITE_SHIM_H
#define HOOKRELAY_CSQLITE_SHIM_H
#include <sqlite3.h>
static inline sqlite3_destructor_type CSQLite_transient(void) { return SQLITE_TRANSIENT; }
#endif
