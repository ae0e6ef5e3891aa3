// Typed wrappers for libcurl's variadic functions (Swift cannot call C variadics) and for macros Swift cannot
// import. Each is prefixed `CCurl_` and added only when a call site needs it.
#ifndef HOOKRELAY_CCURL_SHIM_H
#define HOOKRELAY_CCURL_SHIM_H
#include <curl/curl.h>

/// `CURLOPT_WRITEFUNCTION` / `CURLOPT_HEADERFUNCTION`.
typedef size_t (*CCurl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
/// `CURLOPT_OPENSOCKETFUNCTION`.
typedef curl_socket_t (*CCurl_opensocket_callback)(void *clientp, curlsocktype purpose, struct curl_sockaddr *address);

static inline CURLcode CCurl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_easy_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
/// libcurl copies string options (except `CURLOPT_POSTFIELDS`, which this project never sets).
static inline CURLcode CCurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_easy_setopt_data_callback(CURL *handle, CURLoption option, CCurl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode CCurl_easy_setopt_opensocket_callback(CURL *handle, CCurl_opensocket_callback value) {
    return curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, value);
}

static inline CURLcode CCurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
static inline CURLcode CCurl_easy_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}
/// `CURLINFO_PRIVATE`: the pointer set with `CURLOPT_PRIVATE`.
static inline CURLcode CCurl_easy_getinfo_private(CURL *handle, void **value) {
    char *pointer = NULL;
    CURLcode code = curl_easy_getinfo(handle, CURLINFO_PRIVATE, &pointer);
    *value = pointer;
    return code;
}

static inline CURLMcode CCurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

/// `curl_version_info(CURLVERSION_NOW)`: the macro aliases an enum constant Swift does not import.
static inline curl_version_info_data *CCurl_version_info(void) { return curl_version_info(CURLVERSION_NOW); }

#endif
