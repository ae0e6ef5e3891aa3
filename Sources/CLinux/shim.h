// Linux APIs that Glibc's Swift module does not export (epoll, eventfd, accept4, TCP options).
#ifndef HOOKRELAY_CLINUX_SHIM_H
#define HOOKRELAY_CLINUX_SHIM_H
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <pthread.h>

// glibc declares accept4 only under _GNU_SOURCE, which the prebuilt Glibc module does not see.
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
// Also _GNU_SOURCE only.
extern int pthread_setname_np(pthread_t thread, const char *name);
#endif
