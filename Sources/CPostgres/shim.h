#ifndef EXTHOST_CPOSTGRES_SHIM_H
#define EXTHOST_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
