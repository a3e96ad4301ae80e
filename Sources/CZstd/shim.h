#ifndef EXTHOST_CZSTD_SHIM_H
#define EXTHOST_CZSTD_SHIM_H
#include <zstd.h>
#endif
