#ifndef EXTHOST_CFASTCGI_SHIM_H
#define EXTHOST_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#endif
