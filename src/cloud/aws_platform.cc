#include "cloud/aws_platform.h"

#include <cstdlib>
#include <regex>

#include "cloud/package.h"
#include "dataset/make.h"
#include "s3client/client.h"

namespace faasnet::cloud {
namespace {

constexpr const char* kTag = "faasnet";

Result<s3client::Client> S3(const AwsOptions& o) {
  s3client::Options so;
  so.endpoint = ResolveEndpoint(o.s3_endpoint, "AWS_ENDPOINT_URL_S3", "https://s3." + o.region + ".amazonaws.com");
  so.region = o.region;
  so.credentials = o.credentials;
  so.ca_file = o.ca_file;
  so.verify_tls = o.verify_tls;
  return s3client::Client::Create(so);
}

Result<lambdaclient::Client> LambdaOf(const AwsOptions& o) {
  lambdaclient::Options lo;
  lo.endpoint =
      ResolveEndpoint(o.lambda_endpoint, "AWS_ENDPOINT_URL_LAMBDA", "https://lambda." + o.region + ".amazonaws.com");
  lo.region = o.region;
  lo.credentials = o.credentials;
  lo.ca_file = o.ca_file;
  lo.verify_tls = o.verify_tls;
  return lambdaclient::Client::Create(lo);
}

Status EmptyAndDeleteBucket(s3client::Client& s3, const std::string& bucket) {
  auto objects = s3.ListAllObjects(bucket, "");
  if (!objects.ok()) return objects.status().code() == Status::Code::kNotFound ? Status::Ok() : objects.status();
  for (const auto& obj : *objects)
    if (auto d = s3.DeleteObject(bucket, obj.key); !d.ok()) return d.status();
  auto d = s3.DeleteBucket(bucket);
  return d.ok() || d.status().code() == Status::Code::kNotFound ? Status::Ok() : d.status();
}

}  // namespace

std::string ResolveEndpoint(const std::string& explicit_url, const char* service_env, const std::string& public_url) {
  if (!explicit_url.empty()) return explicit_url;
  if (const char* e = std::getenv(service_env); e && *e) return e;
  if (const char* e = std::getenv("AWS_ENDPOINT_URL"); e && *e) return e;
  return public_url;
}

Result<std::unique_ptr<AwsPlatform>> AwsPlatform::Create(AwsOptions o) {
  if (!std::regex_match(o.run_id, std::regex("[a-z0-9][a-z0-9-]{0,30}")))
    return Status::InvalidArgument("run id '" + o.run_id + "': 1-31 of [a-z0-9-]");
  if (o.credentials.access_key_id.empty())
    return Status::InvalidArgument("aws: no credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or "
                                   "~/.aws/credentials)");
  if (o.role_arn.empty())
    return Status::InvalidArgument("aws: no execution role: give --role ARN (or FAASNET_AWS_ROLE); it must allow "
                                   "s3:GetObject/PutObject on the run's bucket and CloudWatch Logs");
  if (o.architecture != "x86_64" && o.architecture != "arm64")
    return Status::InvalidArgument("--arch " + o.architecture + ": x86_64 or arm64");
  std::vector<std::pair<std::string, int>> iperf_servers;
  for (const auto& server : o.iperf_servers) {
    auto colon = server.rfind(':');
    int port = colon == std::string::npos ? 0 : std::atoi(server.c_str() + colon + 1);
    if (colon == 0 || colon == std::string::npos || port < 1 || port > 65535 ||
        server.find_first_not_of("0123456789", colon + 1) != std::string::npos)
      return Status::InvalidArgument("--iperf-server " + server + ": expected HOST:PORT");
    iperf_servers.emplace_back(server.substr(0, colon), port);
  }
  if (!o.probe_dir.empty())  // a probe for the wrong CPU is refused before anything is created
    if (auto st = CheckProbe(o.probe_dir, o.architecture); !st.ok()) return st;
  std::unique_ptr<AwsPlatform> p(new AwsPlatform(std::move(o)));
  p->iperf_servers_ = std::move(iperf_servers);
  auto l = p->Lambda();
  if (!l.ok()) return l.status();
  return p;
}

AwsPlatform::~AwsPlatform() { (void)Close(); }

Result<lambdaclient::Client> AwsPlatform::Lambda() const { return LambdaOf(o_); }

nlohmann::json AwsPlatform::Describe() const {
  return {{"kind", "aws"},
          {"region", o_.region},
          {"endpoint", ResolveEndpoint(o_.lambda_endpoint, "AWS_ENDPOINT_URL_LAMBDA",
                                       "https://lambda." + o_.region + ".amazonaws.com")},
          {"isolation", "cloud"},
          {"oversubscribed", nullptr},
          {"hosts", nullptr},
          {"cpu_policy", "lambda"},
          {"architecture", o_.architecture},
          {"run_id", o_.run_id},
          {"network_profile", nullptr}};
}

Status AwsPlatform::PrepareRegion(const suite::Cell& cell) {
  if (cell.action == "iperf") {  // refused before anything is invoked: every row would fail
    size_t need = static_cast<size_t>(std::max(1, cell.concurrency));
    if (iperf_servers_.size() < need)
      return Status::FailedPrecondition(
          "aws: this iperf cell runs " + std::to_string(need) + " function(s) at once and needs as many iperf3 "
          "servers they can reach (`iperf3 -s` on a host with a public address, TCP port open); --iperf-server "
          "HOST:PORT gave " + std::to_string(iperf_servers_.size()));
  }
  bool local_only = !cell.profile.empty() || !cell.cpu_policy.empty() || !cell.placement.empty() || cell.hosts ||
                    cell.host_vcpus > 0 || cell.host_memory_mb;
  if (local_only && !warned_local_ && o_.log) {
    o_.log("  aws: profile/cpu_policy/placement/hosts are local-region settings; the cloud decides them");
    warned_local_ = true;
  }
  return Status::Ok();
}

nlohmann::json AwsPlatform::EventExtras(const suite::Cell& cell, int worker) {
  if (cell.action != "iperf" || iperf_servers_.empty()) return nlohmann::json::object();
  const auto& [host, port] = iperf_servers_[static_cast<size_t>(worker) % iperf_servers_.size()];
  return {{"host", host}, {"port", port}};
}

Result<std::vector<std::string>> AwsPlatform::EnsureData(uint64_t chunk_bytes, int count) {
  auto& have = data_[chunk_bytes];
  if (static_cast<int>(have.size()) >= count) return have;
  auto s3 = S3(o_);
  if (!s3.ok()) return s3.status();
  dataset::MakeOptions mo;
  mo.bucket = bucket();
  mo.chunk_bytes = chunk_bytes;
  mo.total_bytes = chunk_bytes * static_cast<uint64_t>(count);
  if (auto st = dataset::ValidateMakeOptions(mo); !st.ok()) return st;
  bucket_made_ = true;
  auto manifest = dataset::MakeDataset(mo, *s3);
  if (!manifest.ok()) return manifest.status().WithContext("data set in s3://" + bucket());
  have.clear();
  for (const auto& c : manifest->chunks) have.push_back(c.key);
  return have;
}

Result<std::string> AwsPlatform::EnsureFunction(const suite::FunctionNeed& need) {
  std::string name = "faasnet-" + o_.run_id + "-" + need.workload + "-" + std::to_string(need.slot);
  auto l = Lambda();
  if (!l.ok()) return l.status();
  auto it = functions_.find(name);
  if (it == functions_.end()) {
    auto& zip = zips_[need.workload];
    if (zip.empty()) {
      auto z = PackageWorkload(need.workload, need.workload == "boto3" ? o_.boto3_dir : o_.probe_dir,
                               o_.architecture);
      if (!z.ok()) return z.status().WithContext("workload " + need.workload);
      zip = std::move(*z);
    }
    lambdaclient::FunctionSpec spec;
    spec.name = name;
    spec.memory_mb = need.memory_mb;
    spec.timeout_s = need.timeout_s;
    spec.role = o_.role_arn;
    spec.architecture = o_.architecture;
    spec.zip_file = zip;
    spec.tags = {{kTag, o_.run_id}};
    if (need.workload == "boto3") {
      spec.runtime = o_.python_runtime;
      spec.handler = "app.handler";
    }
    if (o_.log) o_.log("  aws: create " + name + " (" + std::to_string(zip.size()) + " B zip)");
    functions_[name] = {need.memory_mb, need.timeout_s};  // remove it at Close even if creation half-failed
    if (auto r = l->CreateFunction(spec); !r.ok()) return r.status();
    if (auto st = l->WaitActive(name); !st.ok()) return st;
    return name;
  }
  if (it->second != std::make_pair(need.memory_mb, need.timeout_s)) {
    if (auto r = l->UpdateFunctionConfiguration(name, need.memory_mb, need.timeout_s); !r.ok()) return r.status();
    it->second = {need.memory_mb, need.timeout_s};
  }
  return name;
}

Status AwsPlatform::ForceCold(const std::string& name) {
  auto l = Lambda();
  if (!l.ok()) return l.status();
  auto it = functions_.find(name);
  if (it == functions_.end()) return Status::NotFound("function " + name);
  // A changed environment gives new execution environments (Lambda recycles on every update).
  std::map<std::string, std::string> env = {{"FAASNET_EPOCH", std::to_string(++epoch_)}};
  return l->UpdateFunctionConfiguration(name, it->second.first, it->second.second, std::chrono::seconds(300), &env)
      .status();
}

Result<std::unique_ptr<suite::Invoker>> AwsPlatform::NewInvoker() {
  auto l = Lambda();
  if (!l.ok()) return l.status();
  return std::unique_ptr<suite::Invoker>(new suite::LambdaInvoker(std::move(*l)));
}

Status AwsPlatform::Close() {
  if (o_.keep) return Status::Ok();
  Status first;
  if (!functions_.empty()) {
    auto l = Lambda();
    if (!l.ok()) return l.status();
    for (const auto& [name, _] : functions_) {
      Status st = l->DeleteFunction(name);
      if (!st.ok() && st.code() != Status::Code::kNotFound && first.ok()) first = st;
      if (o_.log) o_.log("  aws: deleted " + name);
    }
    functions_.clear();
  }
  if (bucket_made_) {
    auto s3 = S3(o_);
    if (!s3.ok()) return s3.status();
    if (Status st = EmptyAndDeleteBucket(*s3, bucket()); !st.ok() && first.ok()) first = st;
    else if (o_.log) o_.log("  aws: deleted s3://" + bucket());
    bucket_made_ = false;
  }
  return first;
}

Result<std::vector<std::string>> AwsPlatform::CleanupLeftovers(const AwsOptions& o) {
  std::vector<std::string> removed;
  auto l = LambdaOf(o);
  if (!l.ok()) return l.status();
  auto fns = l->ListFunctions();
  if (!fns.ok()) return fns.status();
  for (const auto& f : *fns) {
    std::string name = f.value("FunctionName", "");
    if (!name.starts_with("faasnet-")) continue;
    auto full = l->GetFunction(name);
    if (!full.ok()) continue;
    if (!full->contains("Tags") || !(*full)["Tags"].contains(kTag)) continue;
    if (auto st = l->DeleteFunction(name); !st.ok() && st.code() != Status::Code::kNotFound) return st;
    removed.push_back("function " + name);
  }
  auto s3 = S3(o);
  if (!s3.ok()) return s3.status();
  auto buckets = s3->ListBuckets();
  if (!buckets.ok()) return buckets.status();
  for (const auto& b : *buckets) {
    if (!std::regex_match(b, std::regex("faasnet-[a-z0-9][a-z0-9-]{0,30}"))) continue;
    if (b == "faasnet-data") continue;  // the local suite's own data set, not a cloud run's
    if (auto st = EmptyAndDeleteBucket(*s3, b); !st.ok()) return st;
    removed.push_back("bucket " + b);
  }
  return removed;
}

}  // namespace faasnet::cloud
