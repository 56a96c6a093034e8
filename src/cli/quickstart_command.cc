// faasnet quickstart: the store on its own: starts it, loads the data set and
// makes a round trip with the bundled client, then says what it did.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/units.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "dataset/make.h"
#include "dataset/reviews.h"
#include "s3/checksum.h"
#include "s3client/client.h"
#include "store/store_server.h"

namespace faasnet::cli {

namespace {

struct RunFlags {
  std::string out;
  std::string size = "200MB";
  std::string chunk = "10MB";
  uint64_t seed = 1;
};

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string DefaultOut() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "results/quickstart-%Y%m%d-%H%M%S", std::localtime(&t));
  return buf;
}

int Run(const RunFlags& f) {
  std::string out = f.out.empty() ? DefaultOut() : f.out;
  auto total = ParseBytes(f.size);
  if (!total.ok()) return Fail(total.status().WithContext("--size"));
  auto chunk = ParseBytes(f.chunk);
  if (!chunk.ok()) return Fail(chunk.status().WithContext("--chunk"));
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return Fail(Status::FromErrno(ec.value(), "create results directory", out));

  // 1. The embedded store, on a free loopback port, with generated credentials.
  auto profiles = LoadOrCreateCredentials("", out + "/credentials");
  if (!profiles.ok()) return Fail(profiles.status());
  s3::CredentialStore creds;
  if (Status st = creds.AddProfiles(*profiles); !st.ok()) return Fail(st);
  auto user = PickProfile(*profiles, "default", out + "/credentials");
  if (!user.ok()) return Fail(user.status());
  store::StoreServerOptions so;
  so.data_dir = out + "/store";
  so.listen = {"127.0.0.1:0"};
  auto server = store::StoreServer::Start(so, std::move(creds));
  if (!server.ok()) return Fail(server.status());
  std::cout << "1. started the embedded S3 store at " << (*server)->endpoint() << " (data in " << so.data_dir << ")\n";

  // 2. The data set.
  s3client::Options co;
  co.endpoint = (*server)->endpoint();
  co.credentials = *user;
  auto client = s3client::Client::Create(co);
  if (!client.ok()) return Fail(client.status());
  dataset::MakeOptions mo;
  mo.bucket = "faasnet-data";
  mo.total_bytes = *total;
  mo.chunk_bytes = *chunk;
  mo.seed = f.seed;
  if (Status st = dataset::ValidateMakeOptions(mo); !st.ok()) return Fail(st);
  auto t0 = std::chrono::steady_clock::now();
  auto manifest = dataset::MakeDataset(mo, *client);
  if (!manifest.ok()) return Fail(manifest.status());
  double load_s = Seconds(std::chrono::steady_clock::now() - t0);
  std::cout << "2. generated and uploaded the data set: " << manifest->chunk_count << " chunks of "
            << FormatBytes(manifest->chunk_bytes) << " = " << FormatBytes(manifest->total_bytes) << " in "
            << load_s << " s (" << FormatByteRate(manifest->total_bytes / load_s) << ", generation included)\n";

  // 3. Round trip: download every chunk, check it against the manifest; upload one back.
  nlohmann::json rows = nlohmann::json::array();
  uint64_t bytes = 0;
  double get_s = 0;
  for (const auto& c : manifest->chunks) {
    s3::Crc32c crc;
    auto got = client->GetObject(mo.bucket, c.key, [&](std::string_view s) {
      crc.Update(s);
      return true;
    });
    if (!got.ok()) return Fail(got.status());
    if (crc.value() != c.crc32c) {
      return Fail(Status::Internal("chunk " + c.key + " came back with a different CRC32C than the manifest's"));
    }
    double s = Seconds(got->info.timings.duration());
    get_s += s;
    bytes += c.size_bytes;
    rows.push_back({{"op", "get"}, {"key", c.key}, {"bytes", c.size_bytes}, {"seconds", s}});
  }
  std::string data = dataset::GenerateChunk(mo.seed, 0, manifest->chunk_bytes);
  auto put = client->PutObject(mo.bucket, "roundtrip/chunk-00000.csv", data);
  if (!put.ok()) return Fail(put.status());
  double put_s = Seconds(put->info.timings.duration());
  rows.push_back({{"op", "put"}, {"key", "roundtrip/chunk-00000.csv"}, {"bytes", data.size()}, {"seconds", put_s}});
  std::cout << "3. round trip with the bundled client: downloaded " << manifest->chunk_count << " chunks ("
            << FormatBytes(bytes) << ", checksums match the manifest) at " << FormatByteRate(bytes / get_s)
            << ", uploaded one " << FormatBytes(data.size()) << " chunk at " << FormatByteRate(data.size() / put_s)
            << "\n";
  {
    std::ofstream rf(out + "/roundtrip.json");
    rf << nlohmann::json{{"schema", "faasnet.quickstart/1"}, {"endpoint", (*server)->endpoint()}, {"rows", rows}}
              .dump(1)
       << "\n";
  }
  (*server)->Stop();
  std::cout << "Done. Records in " << out << "/roundtrip.json; the store's data stays in " << so.data_dir
            << " (serve it again with: build/faasnet store serve --data " << so.data_dir << " --credentials " << out
            << "/credentials).\n"
            << "The paper's experiments: build/faasnet run\n";
  return kExitOk;
}

}  // namespace

void AddQuickstartCommand(CLI::App& app, Action* action) {
  auto* run = app.add_subcommand("quickstart", "The store on its own: start it, load the data set, make a round trip");
  auto f = std::make_shared<RunFlags>();
  run->add_option("--out", f->out, "Results directory (default: results/quickstart-<time>)");
  run->add_option("--size", f->size, "Data set size (MB = 10^6 bytes)")->capture_default_str();
  run->add_option("--chunk", f->chunk, "Chunk size")->capture_default_str();
  run->add_option("--seed", f->seed, "Data set seed")->capture_default_str();
  run->callback([f, action] { *action = [f] { return Run(*f); }; });
}

}  // namespace faasnet::cli
