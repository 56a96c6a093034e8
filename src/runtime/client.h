// RuntimeClient: a blocking client of the Lambda Runtime API (2018-06-01) for native functions.
//
// It keeps one HTTP/1.1 keep-alive connection to $AWS_LAMBDA_RUNTIME_API, opened on first use and
// reopened after the server closes it. A request that fails on a reused connection because the server
// had closed it is retried once on a new one; nothing else is retried here (RunLoop decides).
//
// Why Boost.Beast over a plain socket and not libcurl: the process start of a native function is on the
// cold-start path. Linking libcurl loads ~30 shared libraries (GnuTLS, Kerberos, LDAP, ...) and adds
// ~3.4 ms to every exec on this machine before main() runs; Beast is header-only (Debian's
// libboost-dev, already used by faasnet's http module), so a bootstrap links only libstdc++ and libc,
// and the Runtime API is plain HTTP on a local address. Beast does all the HTTP parsing.
//
// Ownership and thread-safety: owns its socket; one thread at a time (the Runtime API is sequential:
// /next, then /response or /error, then /next).
#ifndef FAASNET_RUNTIME_CLIENT_H_
#define FAASNET_RUNTIME_CLIENT_H_

#include <memory>
#include <string_view>

#include "base/status.h"
#include "runtime/invocation.h"

namespace faasnet::runtime {

class RuntimeClient {
 public:
  // Does no I/O: the connection is opened by the first request.
  explicit RuntimeClient(ApiAddress address);
  ~RuntimeClient();
  RuntimeClient(const RuntimeClient&) = delete;
  RuntimeClient& operator=(const RuntimeClient&) = delete;

  // GET /invocation/next: blocks until the platform has an event. Unavailable when the API cannot be
  // reached (connection refused or lost), Internal for a reply other than 200, InvalidArgument when the
  // reply's headers do not make an invocation (ParseInvocation).
  Result<Invocation> Next(const FunctionEnv& function);

  // POST /invocation/{id}/response. OK when the platform answers 202; otherwise the Status names the
  // request and the HTTP status and body (e.g. 413 for a payload over the limit).
  Status PostResponse(std::string_view request_id, std::string_view payload, std::string_view content_type);

  // POST /invocation/{id}/error with an ErrorDocument and Lambda-Runtime-Function-Error-Type.
  Status PostError(std::string_view request_id, std::string_view error_type, std::string_view error_message);

  // POST /init/error: the function could not start; the caller should exit non-zero after it.
  Status PostInitError(std::string_view error_type, std::string_view error_message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faasnet::runtime

#endif  // FAASNET_RUNTIME_CLIENT_H_
