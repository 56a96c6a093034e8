#include "suite/runner.h"

#include <time.h>

#include <barrier>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>

namespace faasnet::suite {
namespace {

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json NumOrNull(const nlohmann::json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number()) return j[key];
  return nullptr;
}

bool NeedsData(const Cell& c) {
  return c.action == "s3-get" || (c.action == "s3-put" && c.params.value("fetch", false));
}

}  // namespace

nlohmann::json BuildEvent(const Cell& cell, const std::string& bucket, const std::vector<std::string>& keys, int index,
                          int worker, int rep, const std::string& run_id) {
  nlohmann::json e = {{"action", cell.action}};
  const std::string source = keys.empty() ? "" : keys[static_cast<size_t>(index) % keys.size()];
  if (cell.action == "s3-get") {
    e["bucket"] = bucket;
    e["keys"] = {source};
  } else if (cell.action == "s3-put") {
    e["bucket"] = bucket;
    e["key"] = "out/" + run_id + "/" + cell.experiment + "/" + std::to_string(rep) + "-" + std::to_string(index) +
               "-" + std::to_string(worker);
    e["bytes"] = static_cast<uint64_t>(std::llround(cell.chunk_mb * 1e6));
    if (cell.params.value("fetch", false)) {
      e["fetch"] = true;
      e["source_key"] = source;
    }
  } else if (cell.action == "iperf") {
    e["direction"] = cell.params.value("direction", "down");
    // Whole seconds (the probe's iperf takes an integer; iperf3 -t does too).
    e["duration_s"] = std::max(1, static_cast<int>(std::lround(cell.params.value("duration_s", 10.0))));
  }
  return e;
}

nlohmann::json BuildInvocationRow(const Cell& cell, int rep, int worker, int seq, const std::string& function,
                                  int memory_mb, int64_t start_unix_ms, const lambdaclient::InvokeOutput& out,
                                  const nlohmann::json& rec) {
  nlohmann::json row = {{"schema_version", kResultsSchemaVersion},
                        {"scenario", cell.scenario},
                        {"experiment", cell.experiment},
                        {"cell_id", cell.id},
                        {"params", cell.params},
                        {"rep", rep},
                        {"worker", worker},
                        {"seq", seq},
                        {"request_id", out.request_id},
                        {"function", function},
                        {"memory_mb", memory_mb},
                        {"start_unix_ms", start_unix_ms},
                        {"client_ms", out.client_ms}};
  auto report = lambdaclient::ParseReportLine(out.log_tail);
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  bool have_rec = rec.is_object() && !rec.empty();
  if (have_rec) {
    row["host_id"] = rec.value("host_id", "");
    row["sandbox_id"] = rec.value("sandbox_id", "");
    row["cold"] = rec.value("cold", false);
    for (const char* k : {"init_duration_ms", "duration_ms", "billed_duration_ms_1ms", "billed_duration_ms_100ms",
                          "cpu_time_ms", "cpu_throttled_ms", "net_rx_bytes", "net_tx_bytes"})
      row[k] = NumOrNull(rec, k);
    if (rec.contains("max_memory_used_bytes") && rec["max_memory_used_bytes"].is_number())
      row["max_memory_used_mb"] = rec["max_memory_used_bytes"].get<double>() / 1e6;
    else
      row["max_memory_used_mb"] = nullptr;
    if (row["cold"].get<bool>() == false) row["init_duration_ms"] = nullptr;
    row["error_type"] = rec.value("error_type", "");
    row["platform_record"] = rec;
  } else {
    // Only what the REPORT line says (cloud platforms).
    row["host_id"] = nullptr;
    row["sandbox_id"] = nullptr;
    row["cold"] = report ? nlohmann::json(report->init_duration_ms.has_value()) : nlohmann::json(nullptr);
    row["init_duration_ms"] = report ? opt(report->init_duration_ms) : nullptr;
    row["duration_ms"] = report ? opt(report->duration_ms) : nullptr;
    if (report && report->duration_ms) {
      row["billed_duration_ms_1ms"] = std::ceil(*report->duration_ms);
      row["billed_duration_ms_100ms"] = std::ceil(*report->duration_ms / 100.0) * 100.0;
    } else {
      row["billed_duration_ms_1ms"] = report ? opt(report->billed_duration_ms) : nullptr;
      row["billed_duration_ms_100ms"] = nullptr;
    }
    row["max_memory_used_mb"] =
        report && report->max_memory_used_mb ? nlohmann::json(*report->max_memory_used_mb) : nlohmann::json(nullptr);
    for (const char* k : {"cpu_time_ms", "cpu_throttled_ms", "net_rx_bytes", "net_tx_bytes"}) row[k] = nullptr;
    row["error_type"] = "";
  }
  auto result = nlohmann::json::parse(out.payload, nullptr, false);
  if (result.is_discarded()) result = nlohmann::json{{"ok", false}, {"error", "response is not JSON"}};
  if (!out.function_error.empty()) {
    if (row["error_type"].get<std::string>().empty())
      row["error_type"] = result.is_object() ? result.value("errorType", "Unhandled") : "Unhandled";
  } else if (result.is_object() && result.contains("ok") && !result.value("ok", true) &&
             row["error_type"].get<std::string>().empty()) {
    row["error_type"] = "Workload.Error";
  }
  // The workload's own view of where it ran (host-id action) stays in result.
  row["result"] = result;
  return row;
}

nlohmann::json BuildCellRow(const Cell& cell, const std::vector<nlohmann::json>& rows, int64_t started, int64_t finished,
                            const std::vector<double>& job_wall_ms, bool timed_out) {
  std::vector<double> mbps, dur, client;
  double billed1 = 0, billed100 = 0, gbs1 = 0, gbs100 = 0, bytes = 0, aggregated_ms = 0;
  int64_t first_start = INT64_MAX, last_end = 0;
  int errors = 0;
  for (const auto& r : rows) {
    if (!r.value("error_type", "").empty()) {
      ++errors;
      continue;
    }
    const auto& res = r["result"];
    if (res.is_object() && res.contains("mb_per_s") && res["mb_per_s"].is_number() && res.value("bytes", 0.0) > 0)
      mbps.push_back(res["mb_per_s"].get<double>());
    if (r["duration_ms"].is_number()) {
      dur.push_back(r["duration_ms"].get<double>());
      aggregated_ms += r["duration_ms"].get<double>();
    }
    client.push_back(r.value("client_ms", 0.0));
    if (res.is_object() && res.contains("bytes") && res["bytes"].is_number()) bytes += res["bytes"].get<double>();
    int64_t st = r.value("start_unix_ms", int64_t{0});
    first_start = std::min(first_start, st);
    last_end = std::max(last_end, st + static_cast<int64_t>(r.value("client_ms", 0.0)));
    double mem_gb = r.value("memory_mb", 0) / 1024.0;
    if (r["billed_duration_ms_1ms"].is_number()) {
      billed1 += r["billed_duration_ms_1ms"].get<double>();
      gbs1 += mem_gb * r["billed_duration_ms_1ms"].get<double>() / 1000.0;
    }
    if (r["billed_duration_ms_100ms"].is_number()) {
      billed100 += r["billed_duration_ms_100ms"].get<double>();
      gbs100 += mem_gb * r["billed_duration_ms_100ms"].get<double>() / 1000.0;
    }
  }
  nlohmann::json row = {{"schema_version", kResultsSchemaVersion},
                        {"scenario", cell.scenario},
                        {"experiment", cell.experiment},
                        {"cell_id", cell.id},
                        {"params", cell.params},
                        {"started_unix_ms", started},
                        {"finished_unix_ms", finished},
                        {"repetitions", cell.repetitions},
                        {"invocations", rows.size()},
                        {"errors", errors},
                        {"timed_out", timed_out},
                        {"mb_per_s", Summarize(mbps)},
                        {"duration_ms", Summarize(dur)},
                        {"client_ms", Summarize(client)},
                        {"billed_ms_sum", {{"1ms", billed1}, {"100ms", billed100}}},
                        {"aggregated_ms", aggregated_ms},
                        {"bytes", bytes},
                        // bytes / (first start to last end) over the whole cell, repetitions included
                        {"aggregate_mb_per_s", last_end > first_start && bytes > 0
                                                   ? nlohmann::json(bytes / 1e6 / (static_cast<double>(last_end - first_start) / 1000.0))
                                                   : nlohmann::json(nullptr)},
                        {"gb_s", {{"1ms", gbs1}, {"100ms", gbs100}}}};
  if (cell.chunks > 0) {
    row["job"] = {{"chunks", cell.chunks},
                  {"chunk_bytes", static_cast<uint64_t>(std::llround(cell.chunk_mb * 1e6))},
                  {"concurrency", cell.concurrency},
                  {"wall_ms", job_wall_ms.empty() ? nlohmann::json(nullptr) : nlohmann::json(Percentile(job_wall_ms, 0.5))},
                  {"wall_ms_reps", job_wall_ms}};
  }
  return row;
}

namespace {

struct CellRun {
  Cell cell;  // a copy: the platform adds the parameters it decided
  Platform& platform;
  ResultsWriter& out;
  const RunOptions& opts;
  std::string run_id;
  std::vector<std::string> functions;  // one per slot
  std::vector<std::string> keys;
  std::mutex mu;
  std::vector<nlohmann::json> rows;
  std::atomic<int> errors_seen{0};
  int64_t started = NowUnixMs();
  std::atomic<int64_t> harness_cpu_ns{0};  // the workers' own CPU (invoking, parsing, writing)

  bool Stopped() const { return opts.stop && opts.stop->load(); }

  // Warm: one sleeping noop per worker at once, so every worker finds its own sandbox.
  Status Warm() {
    std::vector<std::thread> ts;
    std::vector<Status> st(cell.concurrency);
    for (int w = 0; w < cell.concurrency; ++w) {
      ts.emplace_back([&, w] {
        auto c = platform.NewInvoker();
        if (!c.ok()) {
          st[w] = c.status();
          return;
        }
        auto r = (*c)->Invoke(functions[w % functions.size()], R"({"action":"noop","sleep_ms":300})");
        if (!r.ok()) st[w] = r.status();
        else if (!r->function_error.empty()) st[w] = Status::FailedPrecondition("warm-up of " + functions[w % functions.size()] + " failed: " + r->payload.substr(0, 300));
      });
    }
    for (auto& t : ts) t.join();
    for (auto& s : st)
      if (!s.ok()) return s;
    return Status::Ok();
  }

  // One repetition: workers pull chunk indices until the queue is empty.
  // Returns the job's wall time (first start to last end).
  double Rep(int rep, std::chrono::steady_clock::time_point deadline, bool* timed_out) {
    const int items = cell.chunks > 0 ? cell.chunks : cell.concurrency;
    std::atomic<int> next{0};
    std::barrier sync(cell.concurrency);
    std::atomic<int64_t> first{INT64_MAX}, last{0};
    std::vector<std::thread> ts;
    for (int w = 0; w < cell.concurrency; ++w) {
      ts.emplace_back([&, w] {
        auto client = platform.NewInvoker();
        if (cell.colocated) sync.arrive_and_wait();
        if (!client.ok()) {
          errors_seen++;
          return;
        }
        const std::string& fn = functions[w % functions.size()];
        int memory = cell.memories[w % cell.memories.size()];
        while (!Stopped()) {
          if (std::chrono::steady_clock::now() > deadline) {
            *timed_out = true;
            break;
          }
          int i = next.fetch_add(1);
          if (i >= items) break;
          nlohmann::json ev = BuildEvent(cell, platform.bucket(), keys, i, w, rep, run_id);
          ev.update(platform.EventExtras(cell, w));
          int64_t start = NowUnixMs();
          auto t0 = std::chrono::steady_clock::now();
          auto r = (*client)->Invoke(fn, ev.dump());
          int64_t end = start + static_cast<int64_t>(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
          int64_t f = first.load();
          while (start < f && !first.compare_exchange_weak(f, start)) {}
          int64_t l = last.load();
          while (end > l && !last.compare_exchange_weak(l, end)) {}
          lambdaclient::InvokeOutput o;
          nlohmann::json rec;
          if (r.ok()) {
            o = std::move(*r);
            rec = platform.RecordFor(o.request_id).record;
          } else {
            o.payload = nlohmann::json{{"ok", false}, {"error", r.status().ToString()}}.dump();
            o.function_error = "Invoke";
          }
          nlohmann::json row = BuildInvocationRow(cell, rep, w, i, fn, memory, start, o, rec);
          if (!r.ok()) row["error_type"] = "Invoke." + std::string(Status::CodeName(r.status().code()));
          if (!row["error_type"].get<std::string>().empty()) errors_seen++;
          (void)out.AppendInvocation(row);
          std::lock_guard lock(mu);
          rows.push_back(std::move(row));
        }
        timespec cpu{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
        harness_cpu_ns += static_cast<int64_t>(cpu.tv_sec) * 1'000'000'000 + cpu.tv_nsec;
      });
    }
    for (auto& t : ts) t.join();
    int64_t f = first.load(), l = last.load();
    return l >= f ? static_cast<double>(l - f) : 0.0;
  }

  Status Go(RunSummary* sum) {
    if (auto st = platform.PrepareRegion(cell); !st.ok()) return st;
    const nlohmann::json decided = platform.CellParams();
    for (const auto& [k, v] : decided.items())
      if (!cell.params.contains(k)) cell.params[k] = v;
    if (NeedsData(cell)) {
      int count = std::max({cell.chunks, cell.concurrency, 1});
      auto k = platform.EnsureData(static_cast<uint64_t>(std::llround(cell.chunk_mb * 1e6)), count);
      if (!k.ok()) return k.status();
      keys = std::move(*k);
    }
    int slots = cell.params.contains("memory_mix") ? static_cast<int>(cell.memories.size()) : 1;
    for (int s = 0; s < slots; ++s) {
      auto name = platform.EnsureFunction({cell.workload, s, cell.memories[s], cell.timeout_s, cell.colocated});
      if (!name.ok()) return name.status();
      functions.push_back(*name);
    }
    started = NowUnixMs();
    if (!cell.cold)
      if (auto st = Warm(); !st.ok()) return st;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::seconds(static_cast<int64_t>(cell.repetitions) * cell.timeout_s + 60);
    bool timed_out = false;
    std::vector<double> walls;
    for (int rep = 0; rep < cell.repetitions && !Stopped() && !timed_out; ++rep) {
      if (cell.cold)
        for (auto& f : functions)
          if (auto st = platform.ForceCold(f); !st.ok()) return st;
      walls.push_back(Rep(rep, deadline, &timed_out));
    }
    int64_t finished = NowUnixMs();
    if (auto st = platform.CellDone(); !st.ok()) return st;
    for (auto& t : platform.TelemetryBetween(started, finished)) {
      t["cell_id"] = cell.id;
      (void)out.AppendTelemetry(t);
    }
    if (Stopped()) return Status::Cancelled("interrupted");
    nlohmann::json row = BuildCellRow(cell, rows, started, finished, walls, timed_out);
    // The harness's own CPU beside the functions and the store (target <= 5 % of one core).
    double wall_ms = static_cast<double>(std::max<int64_t>(finished - started, 1));
    row["harness_cpu_ms"] = static_cast<double>(harness_cpu_ns.load()) / 1e6;
    row["harness_cpu_share"] = static_cast<double>(harness_cpu_ns.load()) / 1e6 / wall_ms;
    sum->invocations += static_cast<int>(rows.size());
    sum->errors += row["errors"].get<int>();
    return out.AppendCell(row);
  }
};

std::string RunId() {
  auto t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::gmtime(&t));
  return buf;
}

}  // namespace

Result<RunSummary> Run(const std::vector<Scenario>& scenarios, Platform& platform, ResultsWriter& out,
                       const RunOptions& opts) {
  std::vector<Cell> cells;
  nlohmann::json files = nlohmann::json::object();
  std::vector<std::string> names;
  for (const auto& s : scenarios) {
    auto c = s.Cells();
    if (!c.ok()) return c.status();
    cells.insert(cells.end(), c->begin(), c->end());
    files[s.name] = s.text;
    names.push_back(s.name);
  }
  nlohmann::json run = {{"schema_version", kResultsSchemaVersion},
                        {"status", "running"},
                        {"started_unix_ms", NowUnixMs()},
                        {"finished_unix_ms", nullptr},
                        {"size", SizeName(opts.size)},
                        {"scenarios", names},
                        {"scenario_refs", opts.scenario_refs},
                        {"scenario_files", files},
                        {"platform", platform.Describe()}};
  if (opts.extra_run.is_object()) run.update(opts.extra_run);
  if (auto st = out.WriteRun(run); !st.ok()) return st;
  RunSummary sum;
  std::string run_id = RunId();
  Status failure;
  double done_seconds = 0;
  int timed_cells = 0;
  for (size_t i = 0; i < cells.size(); ++i) {
    const Cell& cell = cells[i];
    if (opts.stop && opts.stop->load()) break;
    if (out.done_cells().count(cell.id)) {
      ++sum.cells_skipped;
      continue;
    }
    if (opts.log) {
      std::string eta;
      if (timed_cells > 0) {
        int left = static_cast<int>(done_seconds / timed_cells * static_cast<double>(cells.size() - i));
        char buf[32];
        std::snprintf(buf, sizeof buf, "  (ETA %d:%02d)", left / 60, left % 60);
        eta = buf;
      }
      opts.log("[" + std::to_string(i + 1) + "/" + std::to_string(cells.size()) + "] " + cell.id + eta);
    }
    auto cell_t0 = std::chrono::steady_clock::now();
    CellRun cr{cell, platform, out, opts, run_id};
    Status st = cr.Go(&sum);
    run["platform"] = platform.Describe();
    if (st.code() == Status::Code::kCancelled) break;
    if (!st.ok()) {
      // The cell could not run (region, data, deploy or warm-up failed): its row
      // says why, and the run goes on with the next cell.
      ++sum.cells_failed;
      if (opts.log) opts.log("  cell failed: " + st.ToString());
      nlohmann::json row = BuildCellRow(cell, cr.rows, cr.started, NowUnixMs(), {}, false);
      row["failed"] = true;
      row["error"] = st.ToString();
      (void)platform.CellDone();
      if (auto w = out.AppendCell(row); !w.ok()) {
        failure = w;
        break;
      }
      continue;
    }
    ++sum.cells_run;
    done_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - cell_t0).count();
    ++timed_cells;
    if (opts.log && cr.errors_seen > 0)
      opts.log("  " + std::to_string(cr.errors_seen.load()) + " invocation(s) failed (see invocations.jsonl error_type)");
  }
  sum.status = !failure.ok() ? "failed" : (opts.stop && opts.stop->load()) ? "interrupted" : "complete";
  run["status"] = sum.status;
  run["finished_unix_ms"] = NowUnixMs();
  if (!failure.ok()) run["error"] = failure.ToString();
  (void)out.WriteRun(run);
  if (!failure.ok()) return failure;
  return sum;
}

}  // namespace faasnet::suite
