// The whole local region as one object: the S3 store, the Invoke API, the
// Runtime API, the emulated hosts and the Region, started together and torn
// down together (`faasnet region up`, and tests). Before anything is created
// it checks the privileges full isolation needs and reaps what a crashed run
// of the same region left behind.
//
// Ownership: owns every server, host and sandbox it starts; the destructor
// stops them in order (no new invocations, sandboxes, hosts, servers).
// Thread-safety: Start/Stop from one thread.
#ifndef FAASNET_REGION_REGION_SERVER_H_
#define FAASNET_REGION_REGION_SERVER_H_

#include <memory>
#include <string>

#include "base/status.h"
#include "region/config.h"
#include "s3/credentials.h"

namespace faasnet::region {

struct RegionServerOptions {
  RegionConfig config;
  std::string work_dir;                 // code, sandboxes, store data, records
  std::string credentials_file;         // users of the store and the Lambda API; generated when empty
  std::string s3_listen = "127.0.0.1:9000";
  std::string lambda_listen = "127.0.0.1:9001";
  std::string python = "/usr/bin/python3";
  std::string python_bootstrap;         // runtime/python/bootstrap.py
  bool store_fsync = true;
};

class RegionServer {
 public:
  static Result<std::unique_ptr<RegionServer>> Start(RegionServerOptions options);
  ~RegionServer();
  RegionServer(const RegionServer&) = delete;
  RegionServer& operator=(const RegionServer&) = delete;

  const std::string& s3_endpoint() const;      // "http://127.0.0.1:9000"
  const std::string& lambda_endpoint() const;  // "http://127.0.0.1:9001"
  const std::string& credentials_file() const;
  const std::string& records_path() const;
  // Stops everything; idempotent.
  void Stop();

 private:
  struct Impl;
  explicit RegionServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace faasnet::region

#endif  // FAASNET_REGION_REGION_SERVER_H_
