// The embedded S3 store as one object: data directory + S3 service + HTTP
// server, started and stopped together. Used by `faasnet store serve`, by the
// local region, and by tests (listen on 127.0.0.1:0 and read endpoint()).
//
// Ownership: owns everything it starts; the destructor stops it.
// Thread-safety: Start/Stop from one thread.
#ifndef FAASNET_STORE_STORE_SERVER_H_
#define FAASNET_STORE_STORE_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "http/server.h"
#include "s3/credentials.h"
#include "store/object_store.h"
#include "store/s3_service.h"

namespace faasnet::store {

struct StoreServerOptions {
  std::string data_dir;
  std::vector<std::string> listen = {"127.0.0.1:9000"};
  StoreOptions store;
  S3ServiceOptions service;
  http::ServerOptions http;
};

class StoreServer {
 public:
  // Opens the store, binds every address and starts serving. Fails with the
  // reason (directory not usable, address in use, no credentials).
  static Result<std::unique_ptr<StoreServer>> Start(StoreServerOptions options, s3::CredentialStore credentials);
  ~StoreServer();

  // "http://127.0.0.1:PORT" of the first listener.
  const std::string& endpoint() const { return endpoints_.front(); }
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  ObjectStore& store() { return *store_; }
  // The HTTP server, e.g. to add listeners in other network namespaces.
  http::Server& http_server() { return *server_; }
  const S3Service& service() const { return *service_; }
  // Stops serving (requests in flight get a short grace period). Idempotent.
  void Stop();

 private:
  StoreServer() = default;
  s3::CredentialStore credentials_;
  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<S3Service> service_;
  std::unique_ptr<http::Server> server_;
  std::vector<std::string> endpoints_;
};

}  // namespace faasnet::store

#endif  // FAASNET_STORE_STORE_SERVER_H_
