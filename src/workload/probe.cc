#include "workload/probe.h"

#include <charconv>
#include <chrono>
#include <functional>
#include <thread>

#include "base/strings.h"
#include "dataset/reviews.h"
#include "workload/iperf.h"

namespace faasnet::workload {
namespace {

using Clock = s3client::Clock;

double MsSince(Clock::time_point t0, Clock::time_point t) {
  if (t == Clock::time_point{}) return 0;
  return std::chrono::duration<double, std::milli>(t - t0).count();
}

ObjectTiming Timing(std::string key, uint64_t bytes, const s3client::RequestInfo& info, Clock::time_point t0,
                    bool download) {
  const s3client::TransferTimings& t = info.timings;
  ObjectTiming o;
  o.key = std::move(key);
  o.bytes = bytes;
  o.t_start_ms = MsSince(t0, t.start);
  Clock::time_point first = download && t.first_body_byte != Clock::time_point{} ? t.first_body_byte : t.first_byte;
  o.t_first_byte_ms = MsSince(t0, first == Clock::time_point{} ? t.last_byte : first);
  o.t_last_byte_ms = MsSince(t0, t.last_byte);
  o.http_status = info.http_status;
  o.new_connections = t.new_connections;
  o.retries = t.retries;
  return o;
}

void Fail(Response* r, const Status& st, std::string error_class) {
  r->ok = false;
  r->error = st.message();
  r->error_class = std::move(error_class);
}

void FailS3(Response* r, const Status& st, const s3client::Client& client) {
  Fail(r, st, s3client::ErrorClassName(client.last_request().error_class));
}

// The span of the objects: the first start to the last last byte.
void SetElapsed(Response* r) {
  if (r->objects.empty()) return;
  r->elapsed_ms = r->objects.back().t_last_byte_ms - r->objects.front().t_start_ms;
}

std::optional<NetDevCounters> ReadNetDev(const Environment& env) {
  auto text = env.ReadFile("/proc/net/dev");
  if (!text.ok()) return std::nullopt;
  auto counters = ParseNetDev(*text);
  if (!counters.ok()) return std::nullopt;
  return *counters;
}

// s3-get: each key in turn, the body counted and dropped; stops at the first failure.
void Download(s3client::Client& s3, const S3GetEvent& e, Clock::time_point t0, Response* r) {
  r->bucket = e.bucket;
  for (const std::string& key : e.keys) {
    uint64_t received = 0;
    const s3client::BodySink sink = [&received](std::string_view chunk) {
      received += chunk.size();
      return true;
    };
    auto got = s3.GetObject(e.bucket, key, sink);
    r->bytes += received;
    r->objects.push_back(Timing(key, received, s3.last_request(), t0, /*download=*/true));
    if (!got.ok()) {
      FailS3(r, got.status(), s3);
      break;
    }
  }
  SetElapsed(r);
}

// s3-put: the body is generated or fetched first; `before_upload` runs just before the timed PUT.
void Upload(s3client::Client& s3, const S3PutEvent& e, Clock::time_point t0, Response* r,
            const std::function<void()>& before_upload) {
  r->bucket = e.bucket;
  std::string body;
  if (e.fetch) {
    auto got = s3.GetObject(e.bucket, e.source_key);
    r->fetched = Timing(e.source_key, got.ok() ? got->body.size() : 0, s3.last_request(), t0, /*download=*/true);
    if (!got.ok()) return FailS3(r, got.status(), s3);
    body = std::move(got->body);
  } else {
    body = dataset::GenerateChunk(e.seed, 0, e.bytes);
  }
  before_upload();
  auto put = s3.PutObject(e.bucket, e.key, body);
  r->objects.push_back(Timing(e.key, put.ok() ? body.size() : 0, s3.last_request(), t0, /*download=*/false));
  if (put.ok()) {
    r->bytes = body.size();
  } else {
    FailS3(r, put.status(), s3);
  }
  SetElapsed(r);
}

// The event's server, else $FAASNET_IPERF_HOST and the first of $FAASNET_IPERF_PORTS (else 5201).
Result<IperfEvent> IperfTarget(IperfEvent e, const Environment& env) {
  if (e.host.empty()) e.host = env.GetEnv("FAASNET_IPERF_HOST").value_or("");
  if (e.host.empty())
    return Status::InvalidArgument("iperf: no server: give \"host\" in the event or set FAASNET_IPERF_HOST");
  if (e.port != 0) return e;
  const std::string ports = env.GetEnv("FAASNET_IPERF_PORTS").value_or("");
  const std::string_view first = Trim(Split(ports, ',').front());
  e.port = 5201;  // iperf3's default
  if (first.empty()) return e;
  auto [end, ec] = std::from_chars(first.data(), first.data() + first.size(), e.port);
  if (ec != std::errc() || end != first.data() + first.size() || e.port < 1 || e.port > 65535)
    return Status::InvalidArgument("iperf: FAASNET_IPERF_PORTS=\"" + ports + "\" is not a list of ports");
  return e;
}

// iperf: one test; a test that fails is a failed row, bad options an error.
Status Iperf(const IperfEvent& e, Response* r) {
  IperfOptions o;
  o.host = e.host;
  o.port = e.port;
  o.direction = e.direction;
  o.duration_s = e.duration_s;
  o.interval_s = e.interval_s;
  auto result = RunIperfClient(o);
  if (!result.ok()) {
    if (result.status().code() == Status::Code::kInvalidArgument) return result.status();
    Fail(r, result.status(), "iperf");
    return Status::Ok();
  }
  r->bytes = result->bytes;
  r->elapsed_ms = result->seconds * 1000.0;
  r->intervals = std::move(result->intervals);
  r->retransmits = result->retransmits;
  return Status::Ok();
}

}  // namespace

Probe::Probe(Environment& env) : env_(env) {}
Probe::~Probe() = default;

S3Target ResolveS3Endpoint(const std::string& event_endpoint, const Environment& env) {
  for (const std::string& e : {event_endpoint, env.GetEnv("AWS_ENDPOINT_URL_S3").value_or(""),
                               env.GetEnv("FAASNET_S3_ENDPOINT").value_or("")}) {
    if (!e.empty()) return {e, true};
  }
  std::string region = env.GetEnv("AWS_REGION").value_or("");
  return {"https://s3." + (region.empty() ? std::string("us-east-1") : region) + ".amazonaws.com", false};
}

Result<s3client::Client*> Probe::S3(const std::string& event_endpoint, std::string* endpoint_used) {
  const S3Target target = ResolveS3Endpoint(event_endpoint, env_);
  const std::string& endpoint = target.endpoint;
  *endpoint_used = endpoint;
  if (auto it = clients_.find(endpoint); it != clients_.end()) return it->second.get();
  s3client::Options o;
  o.endpoint = endpoint;
  o.path_style = target.path_style;
  o.region = env_.GetEnv("AWS_REGION").value_or("us-east-1");
  o.credentials.access_key_id = env_.GetEnv("AWS_ACCESS_KEY_ID").value_or("");
  o.credentials.secret_access_key = env_.GetEnv("AWS_SECRET_ACCESS_KEY").value_or("");
  o.credentials.session_token = env_.GetEnv("AWS_SESSION_TOKEN").value_or("");
  o.user_agent = "faasnet-probe";
  // https with a private CA (the local region's TLS store endpoint), as the AWS tools read it.
  o.ca_file = env_.GetEnv("AWS_CA_BUNDLE").value_or("");
  auto client = s3client::Client::Create(std::move(o));
  if (!client.ok()) return Status::InvalidArgument("S3 endpoint " + endpoint + ": " + client.status().message());
  auto owned = std::make_unique<s3client::Client>(std::move(*client));
  s3client::Client* raw = owned.get();
  clients_.emplace(endpoint, std::move(owned));
  return raw;
}

Result<Response> Probe::Run(const Event& event) {
  const Clock::time_point t0 = Clock::now();
  CpuUsage cpu0 = env_.Cpu();
  std::optional<NetDevCounters> net0 = ReadNetDev(env_);

  Response r;
  r.action = event.action;
  r.ids.host_id = env_.GetEnv("FAASNET_HOST_ID");
  r.ids.sandbox_id = env_.GetEnv("FAASNET_SANDBOX_ID");
  const Result<std::string> cgroup_text = env_.ReadFile("/proc/self/cgroup");
  const std::vector<CgroupLine> cgroup = cgroup_text.ok() ? ParseCgroup(*cgroup_text) : std::vector<CgroupLine>{};
  if (!cgroup.empty()) r.ids.cgroup = cgroup.front().text;

  switch (event.action) {
    case Action::kS3Get: {
      ASSIGN_OR_RETURN(s3client::Client * s3, S3(event.s3_get.endpoint, &r.endpoint));
      Download(*s3, event.s3_get, t0, &r);
      break;
    }
    case Action::kS3Put: {
      ASSIGN_OR_RETURN(s3client::Client * s3, S3(event.s3_put.endpoint, &r.endpoint));
      // CPU and network counters cover the timed upload only, not the body's preparation.
      Upload(*s3, event.s3_put, t0, &r, [&] {
        cpu0 = env_.Cpu();
        net0 = ReadNetDev(env_);
      });
      break;
    }
    case Action::kIperf: {
      ASSIGN_OR_RETURN(IperfEvent e, IperfTarget(event.iperf, env_));
      r.iperf = e;
      RETURN_IF_ERROR(Iperf(e, &r));
      break;
    }
    case Action::kHostId: {
      for (const CgroupLine& c : cgroup) r.cgroup_lines.push_back(c.text);
      std::string key = PaperHostKey(cgroup);
      if (!key.empty()) r.paper_host_key = std::move(key);
      break;
    }
    case Action::kNoop:
      if (event.sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(event.sleep_ms));
      break;
  }

  const CpuUsage cpu1 = env_.Cpu();
  r.cpu = {cpu1.user_ms - cpu0.user_ms, cpu1.system_ms - cpu0.system_ms};
  const std::optional<NetDevCounters> net1 = ReadNetDev(env_);
  if (net0 && net1 && net1->rx_bytes >= net0->rx_bytes && net1->tx_bytes >= net0->tx_bytes) {
    r.netdev = NetDevCounters{net1->rx_bytes - net0->rx_bytes, net1->tx_bytes - net0->tx_bytes, net1->interfaces};
  }
  return r;
}

Result<std::string> Probe::Handle(std::string_view payload) {
  ASSIGN_OR_RETURN(Event event, ParseEvent(payload));
  ASSIGN_OR_RETURN(Response response, Run(event));
  return ResponseJson(response);
}

}  // namespace faasnet::workload
