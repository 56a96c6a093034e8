// Listening TCP sockets opened inside a network namespace: the region's
// servers (Runtime API, S3 store) answer sandboxes on their host's bridge
// address, while the server threads stay in the root namespace (a socket
// keeps the namespace it was created in).
//
// Thread-safety: ListenTcp may be called from any thread; it moves only the
// calling thread, and back, for the duration of the call.
#ifndef FAASNET_SYS_LISTEN_H_
#define FAASNET_SYS_LISTEN_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "sys/fd.h"

namespace faasnet::sys {

class NetNamespace;

// A TCP socket bound to `ip`:`port` (0: any free port) and listening, created
// inside `ns` (nullptr: the caller's namespace). Non-blocking, close-on-exec,
// SO_REUSEADDR. Errors name the address and the namespace.
Result<UniqueFd> ListenTcp(const NetNamespace* ns, const std::string& ip, uint16_t port);

// The "ip:port" a socket is bound to.
Result<std::string> BoundAddress(int fd);

}  // namespace faasnet::sys

#endif  // FAASNET_SYS_LISTEN_H_
