// A Lambda API endpoint for client tests (awscli, boto3): InvokeApi over the
// FakePlatform (functions "run" as C++ coroutines chosen by their Handler:
// echo, fail, sleep, env, context, biglog; see fake_platform.h).
//
//   lambda_fake_server CREDENTIALS_FILE [--listen 127.0.0.1:0] [--root DIR] [--region us-east-1]
//
// Prints "lambda fake server at http://HOST:PORT" on stderr once listening and
// serves until SIGINT/SIGTERM. Code directories go under --root (default: a
// fresh directory in $TMPDIR, removed at exit).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fake_platform.h"
#include "http/server.h"
#include "lambda/invoke_api.h"
#include "s3/credentials.h"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  using namespace faasnet;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CREDENTIALS_FILE [--listen ADDR] [--root DIR] [--region REGION]\n", argv[0]);
    return 2;
  }
  std::string credentials_file = argv[1];
  std::string listen = "127.0.0.1:0";
  std::string root;
  std::string region = "us-east-1";
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--listen") {
      listen = argv[i + 1];
    } else if (flag == "--root") {
      root = argv[i + 1];
    } else if (flag == "--region") {
      region = argv[i + 1];
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  bool own_root = root.empty();
  if (own_root) root = (fs::temp_directory_path() / ("faasnet-lambda-fake-" + std::to_string(::getpid()))).string();

  std::ifstream in(credentials_file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", credentials_file.c_str());
    return 1;
  }
  auto profiles = s3::ParseCredentialsFile(text.str(), credentials_file);
  if (!profiles.ok()) {
    std::fprintf(stderr, "%s\n", profiles.status().ToString().c_str());
    return 1;
  }
  s3::CredentialStore store;
  if (Status st = store.AddProfiles(*profiles); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }

  // Block the stop signals before any thread starts, then wait for one.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  int rc = 0;
  {
    lambda::testing::FakePlatform platform(root, region);
    lambda::InvokeApiOptions options;
    options.region = region;
    options.access_log = stdout;
    lambda::InvokeApi api(&platform, store.AsLookup(), options);
    http::Server server(http::ServerOptions{}, api.AsHandler());
    auto bound = server.Listen(listen);
    if (!bound.ok() || !server.Start().ok()) {
      std::fprintf(stderr, "listen %s: %s\n", listen.c_str(), bound.status().ToString().c_str());
      rc = 1;
    } else {
      std::fprintf(stderr, "lambda fake server at http://%s\n", bound->c_str());
      std::fflush(stderr);
      int sig = 0;
      sigwait(&stop, &sig);
      server.Stop(std::chrono::milliseconds(1000));
    }
  }
  if (own_root) fs::remove_all(root);
  return rc;
}
