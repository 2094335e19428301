#ifndef CONCORD_CZEROMQ_SHIM_H
#define CONCORD_CZEROMQ_SHIM_H

#include <zmq.h>
#include <sys/eventfd.h>
#include <poll.h>

/* ZMQ_ZAP_ENFORCE_DOMAIN is a draft option in zmq.h, so Debian's header
   hides it; Debian's libzmq 4.3.4 accepts it at run time. Without it a CURVE
   server with no ZAP handler accepts every client key (fail open). */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#endif
