#include "synthetic.h"

#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>

namespace faasnet::analysis::testing {

std::vector<std::pair<double, double>> PaperFig4a() {
  return {{128, 9.5}, {256, 17.4}, {512, 32.4}, {1024, 52.8}, {2048, 66.0}, {3008, 60.6}};
}

double World::S3MbPerS(double memory_mb, double per_host, bool upload) const {
  double client = std::min(client_mb_per_s_per_mb * memory_mb, client_cap_mb_per_s);
  if (!client_table.empty()) {
    client = memory_mb <= client_table.front().first ? client_table.front().second : client_table.back().second;
    for (size_t i = 0; i + 1 < client_table.size(); ++i) {
      const auto& [m0, b0] = client_table[i];
      const auto& [m1, b1] = client_table[i + 1];
      if (memory_mb >= m0 && memory_mb <= m1) client = b0 + (b1 - b0) * (memory_mb - m0) / (m1 - m0);
    }
  }
  client *= upload ? upload_factor : 1;
  return std::min(client, nic_mb_per_s / (shared_nic ? per_host : 1));
}

double World::IperfMbPerS(double memory_mb, double per_host) const {
  double b = nic_mb_per_s / (shared_nic ? per_host : 1);
  if (iperf_mb_per_s_per_gb > 0) b = std::min(b, iperf_mb_per_s_per_gb * memory_mb / 1024);
  return b;
}

namespace {

using nlohmann::json;

struct Writer {
  const World& w;
  std::mt19937 rng;
  std::ofstream inv, cells, tel;
  double clock_ms = 1.7e12;
  int request = 0;

  double Noisy(double v) {
    std::uniform_real_distribution<double> d(1 - w.noise, 1 + w.noise);
    return v * d(rng);
  }

  // One invocation moving `bytes` at `mbps`; returns its client-side end time.
  double Invocation(const std::string& scenario, const std::string& experiment, const std::string& cell_id,
                    const json& params, double memory_mb, const std::string& action, const std::string& direction,
                    double bytes, double mbps, double start_ms, int worker, int seq, const std::string& host) {
    double elapsed = bytes / 1e6 / mbps * 1000 + (action == "iperf" ? 0 : w.first_byte_ms);
    double duration = elapsed + w.overhead_ms;
    double client = duration + w.client_extra_ms;
    json r = {{"schema_version", 1},
              {"scenario", scenario},
              {"experiment", experiment},
              {"cell_id", cell_id},
              {"params", params},
              {"rep", 0},
              {"worker", worker},
              {"seq", seq},
              {"request_id", "req-" + std::to_string(++request)},
              {"function", "fn-" + scenario},
              {"memory_mb", memory_mb},
              {"start_unix_ms", start_ms},
              {"client_ms", client},
              {"host_id", host},
              {"sandbox_id", "sb-" + std::to_string(worker)},
              {"cold", false},
              {"init_duration_ms", nullptr},
              {"duration_ms", duration},
              {"billed_duration_ms_1ms", std::ceil(duration)},
              {"billed_duration_ms_100ms", std::ceil(duration / 100) * 100},
              {"max_memory_used_mb", 40.0},
              {"cpu_time_ms", nullptr},
              {"cpu_throttled_ms", 0.0},
              {"net_rx_bytes", bytes},
              {"net_tx_bytes", 1000},
              {"error_type", ""},
              {"result",
               {{"action", action},
                {"ok", true},
                {"error", ""},
                {"bytes", bytes},
                {"elapsed_ms", elapsed},
                {"mb_per_s", bytes / elapsed * 1000 / 1e6},
                {"direction", direction}}}};
    inv << r.dump() << "\n";
    return start_ms + client;
  }

  void Cell(const std::string& scenario, const std::string& experiment, const std::string& cell_id, const json& params,
            double start, double end, int n, const json* job) {
    json c = {{"schema_version", 1}, {"scenario", scenario},     {"experiment", experiment}, {"cell_id", cell_id},
              {"params", params},    {"started_unix_ms", start}, {"finished_unix_ms", end},  {"invocations", n},
              {"errors", 0},         {"timed_out", false}};
    if (job) c["job"] = *job;
    cells << c.dump() << "\n";
    for (double t = 100; start + t < end && t <= 300; t += 100) {
      tel << json{{"cell_id", cell_id}, {"t_ms", t},       {"host", "h0"},      {"direction", "download"},
                  {"bytes", 1000000},   {"rate_bps", 8e7}, {"utilisation", 0.5}}
                 .dump()
          << "\n";
    }
  }

  // `reps` rounds of `n` simultaneous functions of memory `mems[i % size]`.
  void Simultaneous(const std::string& scenario, const std::string& experiment, const std::string& cell_id, json params,
                    const std::vector<double>& mems, int n, const std::string& action, const std::string& direction,
                    double bytes, const std::function<double(double, int)>& mbps) {
    double start = clock_ms, end = start;
    for (int r = 0; r < w.reps; ++r) {
      double round_end = clock_ms;
      for (int i = 0; i < n; ++i) {
        double m = mems[i % mems.size()];
        double rate = Noisy(mbps(m, i));
        // iperf runs for a fixed 10 s: the bytes follow from the rate.
        double moved = action == "iperf" ? rate * 1e6 * 10 : bytes;
        round_end = std::max(round_end, Invocation(scenario, experiment, cell_id, params, m, action, direction, moved,
                                                   rate, clock_ms, i, r, "h0"));
      }
      clock_ms = round_end + 10;
    }
    end = clock_ms;
    Cell(scenario, experiment, cell_id, params, start, end, n * w.reps, nullptr);
  }

  // A job of w.job_chunks chunks of `chunk_bytes`, pulled by `n` workers from a queue.
  void Job(const std::string& scenario, const std::string& experiment, const std::string& cell_id, json params,
           double memory_mb, int n, bool upload) {
    double chunk = 10e6;
    using Slot = std::pair<double, int>;  // (free at, worker)
    std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> free;
    for (int i = 0; i < n; ++i) free.push({clock_ms, i});
    double start = clock_ms, end = start;
    for (int seq = 0; seq < w.job_chunks; ++seq) {
      auto [at, worker] = free.top();
      free.pop();
      double mbps = Noisy(w.S3MbPerS(memory_mb, n, upload));
      double done = Invocation(scenario, experiment, cell_id, params, memory_mb, upload ? "s3-put" : "s3-get",
                               upload ? "up" : "down", chunk, mbps, at, worker, seq, "h0");
      end = std::max(end, done);
      free.push({done, worker});
    }
    json job = {{"chunks", w.job_chunks}, {"chunk_bytes", chunk}, {"concurrency", n}, {"wall_ms", end - start}};
    Cell(scenario, experiment, cell_id, params, start, end, w.job_chunks, &job);
    clock_ms = end + 10;
  }
};

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/faasnet-analysis-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  path_ = made ? made : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void WriteFile(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

namespace {

std::string Id(const std::string& sc, const std::string& e, const std::string& kv) { return sc + "/" + e + "/" + kv; }

}  // namespace

void WriteSyntheticResults(const std::string& dir, const World& world, const Selection& sel,
                           const std::string& platform_kind) {
  std::filesystem::create_directories(dir);
  Writer wr{world, std::mt19937(world.seed), {}, {}, {}};
  wr.inv.open(dir + "/invocations.jsonl");
  wr.cells.open(dir + "/cells.jsonl");
  wr.tel.open(dir + "/telemetry.jsonl");
  auto has = [&](const char* s) {
    return std::find(sel.scenarios.begin(), sel.scenarios.end(), s) != sel.scenarios.end();
  };
  double nic_bps = world.nic_mb_per_s * 1e6 * 8 / 0.956;
  json run = {
      {"schema_version", 1},
      {"faasnet_version", "0.1.0"},
      {"git_commit", "synthetic"},
      {"status", "complete"},
      {"started_unix_ms", wr.clock_ms},
      {"finished_unix_ms", nullptr},
      {"size", "quick"},
      {"scenarios", sel.scenarios},
      {"platform",
       {{"kind", platform_kind},
        {"endpoint", "http://127.0.0.1:9001"},
        {"isolation", "full"},
        {"hosts", {{{"id", "h0"}, {"vcpus", 2}, {"memory_mb", 3840}}}},
        {"cpu_policy", "paper-2019"},
        {"network_profile",
         {{"name", "lambda-2019"},
          {"nic_download_bps", world.run_nic_bps > 0 ? world.run_nic_bps : nic_bps},
          {"nic_upload_bps", nic_bps}}}}},
      {"machine", {{"cpus", 2}, {"cpu_model", "synthetic"}, {"kernel", "6.1.0"}, {"memory_bytes", 8e9}}}};

  auto iperf = [&](double per_host) {
    return [&world, per_host](double m, int) { return world.IperfMbPerS(m, per_host); };
  };
  if (has("fig2-iperf-memory")) {
    for (std::string dir_name : {"up", "down"}) {
      for (double m : sel.memories) {
        json p = {
            {"memory_mb", m}, {"workload", "probe"}, {"action", "iperf"}, {"concurrency", 1}, {"direction", dir_name}};
        std::string id = Id("fig2-iperf-memory", dir_name, "memory_mb=" + std::to_string(int(m)));
        wr.Simultaneous("fig2-iperf-memory", dir_name, id, p, {m}, 1, "iperf", dir_name, 1e9, iperf(1));
      }
    }
  }
  if (has("fig3-chunk-size")) {
    for (std::string d : {"down", "up"}) {
      for (double chunk : {10, 20, 50, 100, 200}) {
        json p = {{"memory_mb", 1024}, {"workload", "boto3"}, {"action", d == "up" ? "s3-put" : "s3-get"},
                  {"concurrency", 1},  {"chunk_mb", chunk},   {"direction", d}};
        std::string id = Id("fig3-chunk-size", d, "chunk_mb=" + std::to_string(int(chunk)));
        wr.Simultaneous("fig3-chunk-size", d == "up" ? "upload" : "download", id, p, {1024}, 1,
                        d == "up" ? "s3-put" : "s3-get", d, chunk * 1e6,
                        [&world, d](double m, int) { return world.S3MbPerS(m, 1, d == "up"); });
      }
    }
  }
  if (has("fig4-memory-s3")) {
    for (std::string e : {"download", "upload"}) {
      for (double m : sel.memories) {
        json p = {{"memory_mb", m},   {"workload", "boto3"}, {"action", e == "upload" ? "s3-put" : "s3-get"},
                  {"concurrency", 1}, {"chunk_mb", 10},      {"colocated", 1}};
        wr.Job("fig4-memory-s3", e, Id("fig4-memory-s3", e, "memory_mb=" + std::to_string(int(m))), p, m, 1,
               e == "upload");
      }
    }
  }
  if (has("fig5-colocated-iperf")) {
    for (double n : sel.colocated) {
      json p = {{"memory_mb", 128}, {"workload", "probe"}, {"action", "iperf"},
                {"concurrency", n}, {"colocated", n},      {"direction", "down"}};
      wr.Simultaneous("fig5-colocated-iperf", "download",
                      Id("fig5-colocated-iperf", "download", "colocated=" + std::to_string(int(n))), p, {128},
                      static_cast<int>(n), "iperf", "down", 1e9, iperf(n));
    }
  }
  for (const char* sc : {"fig6-colocated-s3", "fig7-concurrency-cost"}) {
    if (!has(sc)) continue;
    for (double n : sel.colocated) {
      json p = {{"memory_mb", 128}, {"workload", "boto3"}, {"action", "s3-get"},
                {"concurrency", n}, {"colocated", n},      {"chunk_mb", 10}};
      wr.Job(sc, "download", Id(sc, "download", "colocated=" + std::to_string(int(n))), p, 128, static_cast<int>(n),
             false);
    }
  }
  if (has("policies")) {
    std::vector<double> mems = {128, 256, 512, 1024};
    double sum = 1920;
    for (std::string policy : {"shared", "proportional"}) {
      json p = {{"memory_mb", mems}, {"workload", "probe"}, {"action", "iperf"},  {"concurrency", 4},
                {"colocated", 4},    {"policy", policy},    {"direction", "down"}};
      if (world.cell_nic_param) p["nic_download_bps"] = nic_bps;
      bool prop = policy == "proportional" && world.proportional;
      wr.Simultaneous("policies", "mixed-memory", Id("policies", "mixed-memory", "policy=" + policy), p, mems, 4,
                      "iperf", "down", 1e9, [&world, prop, sum](double m, int) {
                        return prop ? world.nic_mb_per_s * m / sum : world.nic_mb_per_s / 4;
                      });
    }
  }
  if (has("client-comparison")) {
    for (std::string wl : {"iperf", "probe", "boto3"}) {
      for (double m : sel.memories) {
        json p = {{"memory_mb", m},
                  {"workload", wl},
                  {"action", wl == "iperf" ? "iperf" : "s3-get"},
                  {"concurrency", 1},
                  {"direction", "down"}};
        wr.Simultaneous("client-comparison", "download",
                        Id("client-comparison", "download", "workload=" + wl + ",memory_mb=" + std::to_string(int(m))),
                        p, {m}, 1, wl == "iperf" ? "iperf" : "s3-get", "down", 1e8, [&world, wl](double m, int) {
                          if (wl == "iperf") return world.IperfMbPerS(m, 1);
                          if (wl == "probe") return std::min(world.nic_mb_per_s, 4 * world.S3MbPerS(m, 1));
                          return world.S3MbPerS(m, 1);
                        });
      }
    }
  }
  run["finished_unix_ms"] = wr.clock_ms;
  std::ofstream(dir + "/run.json") << run.dump(2) << "\n";
}

}  // namespace faasnet::analysis::testing
