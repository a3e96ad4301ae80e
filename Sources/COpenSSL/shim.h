#ifndef EXTHOST_COPENSSL_SHIM_H
#define EXTHOST_COPENSSL_SHIM_H

/* Hide every API deprecated in OpenSSL 3.0 so that using one is a compile error. */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED 1

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/core_names.h>

/* Function-like macros cannot be imported into Swift: these wrap the ones the Swift code needs. */

static inline long exthost_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

static inline void exthost_OPENSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

static inline unsigned long exthost_XN_FLAG_RFC2253(void) {
    return XN_FLAG_RFC2253;
}

static inline STACK_OF(X509) *exthost_sk_X509_new_null(void) {
    return sk_X509_new_null();
}

static inline int exthost_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate) {
    return sk_X509_push(stack, certificate);
}

/* Frees the stack only; the certificates stay owned by their Swift wrappers. */
static inline void exthost_sk_X509_free(STACK_OF(X509) *stack) {
    sk_X509_free(stack);
}

#endif
