// faasnet dataset make: the paper's synthetic data set, uploaded to any S3 endpoint.
#include <cstdlib>
#include <iostream>

#include "base/units.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "dataset/make.h"
#include "s3client/client.h"

namespace faasnet::cli {

Result<s3::Credentials> ResolveCredentials(const std::string& file, const std::string& profile) {
  if (file.empty()) {
    const char* key = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    if (key && secret) {
      const char* token = std::getenv("AWS_SESSION_TOKEN");
      return s3::Credentials{key, secret, token ? token : ""};
    }
  }
  std::string path = file;
  if (path.empty()) {
    const char* env = std::getenv("AWS_SHARED_CREDENTIALS_FILE");
    const char* home = std::getenv("HOME");
    path = env ? env : (home ? std::string(home) + "/.aws/credentials" : "");
  }
  if (path.empty()) {
    return Status::InvalidArgument("no credentials: give --credentials FILE or set AWS_ACCESS_KEY_ID and "
                                   "AWS_SECRET_ACCESS_KEY");
  }
  ASSIGN_OR_RETURN(auto profiles, LoadOrCreateCredentials(path, ""));
  return PickProfile(profiles, profile, path);
}

namespace {

struct MakeFlags {
  std::string endpoint = "http://127.0.0.1:9000";
  std::string bucket;
  std::string size = "1GB";
  std::string chunk = "10MB";
  uint64_t seed = 1;
  std::string prefix;
  std::string credentials;
  std::string profile = "default";
  std::string region = "us-east-1";
};

int Make(const MakeFlags& f) {
  dataset::MakeOptions o;
  o.bucket = f.bucket;
  o.prefix = f.prefix;
  o.seed = f.seed;
  auto total = ParseBytes(f.size);
  if (!total.ok()) return Fail(total.status().WithContext("--size"));
  auto chunk = ParseBytes(f.chunk);
  if (!chunk.ok()) return Fail(chunk.status().WithContext("--chunk"));
  o.total_bytes = *total;
  o.chunk_bytes = *chunk;
  if (Status st = dataset::ValidateMakeOptions(o); !st.ok()) return Fail(st);
  auto creds = ResolveCredentials(f.credentials, f.profile);
  if (!creds.ok()) return Fail(creds.status());
  s3client::Options co;
  co.endpoint = f.endpoint;
  co.region = f.region;
  co.credentials = *creds;
  auto client = s3client::Client::Create(co);
  if (!client.ok()) return Fail(client.status());
  auto manifest = dataset::MakeDataset(o, *client, [](const dataset::Progress& p) {
    std::cerr << "\r" << (p.index + 1) << "/" << p.chunk_count << " " << p.key << (p.skipped ? " (present)" : "")
              << "          " << std::flush;
  });
  std::cerr << "\n";
  if (!manifest.ok()) return Fail(manifest.status());
  std::cout << "data set: " << manifest->chunk_count << " chunks of " << FormatBytes(manifest->chunk_bytes) << " ("
            << FormatBytes(manifest->total_bytes) << ", seed " << manifest->seed << ") in s3://" << manifest->bucket
            << "/" << manifest->prefix << "/, manifest " << dataset::ManifestKey(manifest->prefix) << "\n";
  return kExitOk;
}

}  // namespace

void AddDatasetCommand(CLI::App& app, Action* action) {
  auto* ds = app.add_subcommand("dataset", "The paper's synthetic data set (Amazon Fine Food Reviews-shaped CSV)");
  ds->require_subcommand(1);
  auto* make = ds->add_subcommand("make", "Generate the data set deterministically and upload it as chunk objects "
                                          "plus a manifest; re-running skips chunks already there");
  auto f = std::make_shared<MakeFlags>();
  make->add_option("--endpoint", f->endpoint, "S3 endpoint URL")->capture_default_str();
  make->add_option("--bucket", f->bucket, "Bucket (created if missing)")->required();
  make->add_option("--size", f->size, "Total size (MB = 10^6 bytes)")->capture_default_str();
  make->add_option("--chunk", f->chunk, "Chunk size; the paper used 10, 20, 50, 100 and 200 MB")->capture_default_str();
  make->add_option("--seed", f->seed, "Generator seed: same seed, same bytes")->capture_default_str();
  make->add_option("--prefix", f->prefix, "Key prefix (default: reviews-<chunk>)");
  make->add_option("--credentials", f->credentials,
                   "AWS shared-credentials file (default: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, then "
                   "AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)");
  make->add_option("--profile", f->profile, "Profile in the credentials file")->capture_default_str();
  make->add_option("--region", f->region, "Signing region")->capture_default_str();
  make->callback([f, action] { *action = [f] { return Make(*f); }; });
}

}  // namespace faasnet::cli
