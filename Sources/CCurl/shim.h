// Typed wrappers for libcurl's variadic functions (Swift cannot call C variadics).
#ifndef HOOKRELAY_CCURL_SHIM_H
#define HOOKRELAY_CCURL_SHIM_H
#include <curl/curl.h>
#endif
