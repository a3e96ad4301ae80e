#ifndef EXTHOST_CFASTCGI_SHIM_H
#define EXTHOST_CFASTCGI_SHIM_H
#include <fcgiapp.h>
/* malloc_trim: the accept threads hand a large answer's freed heap back (HeapTrim.swift). */
#include <malloc.h>
#endif
