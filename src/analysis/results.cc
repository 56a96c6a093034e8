#include "analysis/results.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace faasnet::analysis {

namespace {

const char* TypeName(const nlohmann::json& v) { return v.type_name(); }

Status FieldError(const std::string& where, const std::string& field, const std::string& want,
                  const nlohmann::json& v) {
  return Status::InvalidArgument(where + ": field '" + field + "': expected " + want + ", got " + TypeName(v));
}

// Walks "a.b" inside `j`; nullptr when a step is missing or null.
const nlohmann::json* Find(const nlohmann::json& j, const std::string& path) {
  const nlohmann::json* cur = &j;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end() || it->is_null()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

// Typed readers: missing or null -> the default / nullopt; a wrong type is an error.
Status Num(const nlohmann::json& j, const std::string& path, const std::string& where, std::optional<double>* out) {
  const nlohmann::json* v = Find(j, path);
  if (!v) return Status::Ok();
  if (!v->is_number()) return FieldError(where, path, "a number", *v);
  *out = v->get<double>();
  return Status::Ok();
}

// Every (path, field) of `fields` through Num.
Status Nums(const nlohmann::json& j, const std::string& where,
            std::initializer_list<std::pair<const char*, std::optional<double>*>> fields) {
  for (const auto& [path, out] : fields) RETURN_IF_ERROR(Num(j, path, where, out));
  return Status::Ok();
}

template <typename T>
Status NumOr(const nlohmann::json& j, const std::string& path, const std::string& where, T* out) {
  std::optional<double> v;
  RETURN_IF_ERROR(Num(j, path, where, &v));
  if (v) *out = static_cast<T>(*v);
  return Status::Ok();
}

Status Str(const nlohmann::json& j, const std::string& path, const std::string& where, std::string* out,
           bool required = false) {
  const nlohmann::json* v = Find(j, path);
  if (!v) {
    if (required) return Status::InvalidArgument(where + ": field '" + path + "' is missing");
    return Status::Ok();
  }
  if (!v->is_string()) return FieldError(where, path, "a string", *v);
  *out = v->get<std::string>();
  return Status::Ok();
}

Status Bool(const nlohmann::json& j, const std::string& path, const std::string& where, std::optional<bool>* out) {
  const nlohmann::json* v = Find(j, path);
  if (!v) return Status::Ok();
  if (!v->is_boolean()) return FieldError(where, path, "true or false", *v);
  *out = v->get<bool>();
  return Status::Ok();
}

Status Schema(const nlohmann::json& j, const std::string& where) {
  std::optional<double> v;
  RETURN_IF_ERROR(Num(j, "schema_version", where, &v));
  if (v && *v != kResultsSchemaVersion) {
    return Status::InvalidArgument(where + ": schema_version " + std::to_string(static_cast<int>(*v)) +
                                   " is not supported (this faasnet reads " + std::to_string(kResultsSchemaVersion) +
                                   ")");
  }
  return Status::Ok();
}

Status Params(const nlohmann::json& j, const std::string& where, nlohmann::json* out) {
  const nlohmann::json* p = Find(j, "params");
  if (!p) {
    *out = nlohmann::json::object();
    return Status::Ok();
  }
  if (!p->is_object()) return FieldError(where, "params", "an object", *p);
  *out = *p;
  return Status::Ok();
}

Status Common(const nlohmann::json& j, const std::string& where, std::string* scenario, std::string* experiment,
              std::string* cell_id, nlohmann::json* params) {
  if (!j.is_object()) return Status::InvalidArgument(where + ": expected a JSON object, got " + TypeName(j));
  RETURN_IF_ERROR(Schema(j, where));
  RETURN_IF_ERROR(Str(j, "scenario", where, scenario));
  RETURN_IF_ERROR(Str(j, "experiment", where, experiment));
  RETURN_IF_ERROR(Str(j, "cell_id", where, cell_id, /*required=*/true));
  return Params(j, where, params);
}

// Calls `parse(json, where)` for each non-empty line of `path`.
template <typename Parse>
Status ForEachLine(const std::string& path, const std::string& shown, std::vector<std::string>* warnings, Parse parse) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  size_t pos = 0, line = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    bool last_unterminated = nl == std::string::npos;
    std::string row = text.substr(pos, last_unterminated ? std::string::npos : nl - pos);
    pos = last_unterminated ? text.size() : nl + 1;
    ++line;
    if (row.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = shown + ": line " + std::to_string(line);
    nlohmann::json j = nlohmann::json::parse(row, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      if (last_unterminated) {
        warnings->push_back(where + ": half-written last line skipped (interrupted run?)");
        continue;
      }
      return Status::InvalidArgument(where + ": not valid JSON");
    }
    RETURN_IF_ERROR(parse(j, where, line));
  }
  return Status::Ok();
}

}  // namespace

std::optional<double> Invocation::MbPerS() const {
  if (mb_per_s) return mb_per_s;
  if (bytes && elapsed_ms && *elapsed_ms > 0) return *bytes / *elapsed_ms * 1000 / 1e6;
  return std::nullopt;
}

std::optional<double> Invocation::RunMs() const { return duration_ms ? duration_ms : client_ms; }

std::optional<double> Invocation::BilledMs(BillingRule rule) const {
  const auto& recorded = rule == BillingRule::k1ms ? billed_ms_1ms : billed_ms_100ms;
  if (recorded) return recorded;
  if (auto run = RunMs()) return analysis::BilledMs(*run, rule);
  return std::nullopt;
}

Result<Invocation> ParseInvocation(const nlohmann::json& j, const std::string& where) {
  Invocation r;
  RETURN_IF_ERROR(Common(j, where, &r.scenario, &r.experiment, &r.cell_id, &r.params));
  RETURN_IF_ERROR(NumOr(j, "rep", where, &r.rep));
  RETURN_IF_ERROR(NumOr(j, "worker", where, &r.worker));
  RETURN_IF_ERROR(NumOr(j, "seq", where, &r.seq));
  RETURN_IF_ERROR(Str(j, "request_id", where, &r.request_id));
  RETURN_IF_ERROR(Str(j, "host_id", where, &r.host_id));
  RETURN_IF_ERROR(Str(j, "sandbox_id", where, &r.sandbox_id));
  RETURN_IF_ERROR(Str(j, "error_type", where, &r.error_type));
  std::optional<double> mem;
  RETURN_IF_ERROR(Num(j, "memory_mb", where, &mem));
  if (!mem) RETURN_IF_ERROR(Num(j, "params.memory_mb", where, &mem));
  if (!mem || *mem <= 0) return Status::InvalidArgument(where + ": field 'memory_mb' is missing or not positive");
  r.memory_mb = *mem;
  RETURN_IF_ERROR(Nums(j, where,
                       {{"start_unix_ms", &r.start_unix_ms},
                        {"client_ms", &r.client_ms},
                        {"init_duration_ms", &r.init_duration_ms},
                        {"duration_ms", &r.duration_ms},
                        {"billed_duration_ms_1ms", &r.billed_ms_1ms},
                        {"billed_duration_ms_100ms", &r.billed_ms_100ms},
                        {"max_memory_used_mb", &r.max_memory_used_mb},
                        {"cpu_time_ms", &r.cpu_time_ms},
                        {"cpu_throttled_ms", &r.cpu_throttled_ms},
                        {"net_rx_bytes", &r.net_rx_bytes},
                        {"net_tx_bytes", &r.net_tx_bytes},
                        {"result.bytes", &r.bytes},
                        {"result.elapsed_ms", &r.elapsed_ms},
                        {"result.mb_per_s", &r.mb_per_s}}));
  RETURN_IF_ERROR(Bool(j, "cold", where, &r.cold));
  const nlohmann::json* result = Find(j, "result");
  if (result && !result->is_object()) return FieldError(where, "result", "an object", *result);
  RETURN_IF_ERROR(Str(j, "result.action", where, &r.action));
  if (r.action.empty()) RETURN_IF_ERROR(Str(j, "params.action", where, &r.action));
  RETURN_IF_ERROR(Str(j, "result.direction", where, &r.direction));
  if (r.direction.empty()) RETURN_IF_ERROR(Str(j, "params.direction", where, &r.direction));
  std::optional<bool> ok;
  RETURN_IF_ERROR(Bool(j, "result.ok", where, &ok));
  // A result without "ok" but with bytes moved counts as a success (older workloads).
  r.result_ok = ok.value_or(result != nullptr && r.bytes.has_value());
  return r;
}

Result<CellRecord> ParseCell(const nlohmann::json& j, const std::string& where) {
  CellRecord c;
  RETURN_IF_ERROR(Common(j, where, &c.scenario, &c.experiment, &c.cell_id, &c.params));
  RETURN_IF_ERROR(NumOr(j, "invocations", where, &c.invocations));
  RETURN_IF_ERROR(NumOr(j, "errors", where, &c.errors));
  std::optional<bool> timed_out;
  RETURN_IF_ERROR(Bool(j, "timed_out", where, &timed_out));
  c.timed_out = timed_out.value_or(false);
  const nlohmann::json* job = Find(j, "job");
  if (job && !job->is_object()) return FieldError(where, "job", "an object", *job);
  RETURN_IF_ERROR(Nums(j, where,
                       {{"started_unix_ms", &c.started_unix_ms},
                        {"finished_unix_ms", &c.finished_unix_ms},
                        {"job.chunks", &c.job_chunks},
                        {"job.chunk_bytes", &c.job_chunk_bytes},
                        {"job.concurrency", &c.job_concurrency},
                        {"job.wall_ms", &c.job_wall_ms},
                        {"mb_per_s.median", &c.mbps_median},
                        {"mb_per_s.p25", &c.mbps_p25},
                        {"mb_per_s.p75", &c.mbps_p75}}));
  return c;
}

Result<RunInfo> ParseRunInfo(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return Status::InvalidArgument(where + ": expected a JSON object, got " + TypeName(j));
  RunInfo r;
  r.raw = j;
  RETURN_IF_ERROR(Schema(j, where));
  RETURN_IF_ERROR(Str(j, "status", where, &r.status));
  RETURN_IF_ERROR(Str(j, "faasnet_version", where, &r.faasnet_version));
  RETURN_IF_ERROR(Str(j, "git_commit", where, &r.git_commit));
  RETURN_IF_ERROR(Str(j, "size", where, &r.size));
  RETURN_IF_ERROR(Str(j, "platform.kind", where, &r.platform_kind));
  RETURN_IF_ERROR(Str(j, "platform.network_profile.name", where, &r.profile_name));
  RETURN_IF_ERROR(Str(j, "platform.cpu_policy", where, &r.cpu_policy));
  RETURN_IF_ERROR(Num(j, "platform.network_profile.nic_download_bps", where, &r.nic_download_bps));
  RETURN_IF_ERROR(Num(j, "platform.network_profile.nic_upload_bps", where, &r.nic_upload_bps));
  if (const nlohmann::json* hosts = Find(j, "platform.hosts"); hosts && hosts->is_array() && !hosts->empty()) {
    RETURN_IF_ERROR(Num((*hosts)[0], "memory_mb", where + ": platform.hosts[0]", &r.host_memory_mb));
  }
  if (const nlohmann::json* s = Find(j, "scenarios")) {
    if (!s->is_array()) return FieldError(where, "scenarios", "a list", *s);
    for (const auto& name : *s) {
      if (!name.is_string()) return FieldError(where, "scenarios[]", "a string", name);
      r.scenarios.push_back(name.get<std::string>());
    }
  }
  return r;
}

std::string RunLabel(const std::string& platform_kind, const std::string& dir_name) {
  const std::string kind = platform_kind.empty() ? "unknown" : platform_kind;
  // The kind is left out when the directory's name already says it ("aws",
  // "run-aws-2"): "aws aws" says nothing twice.
  size_t start = 0;
  while (start <= dir_name.size()) {
    size_t end = dir_name.find_first_of("-_. ", start);
    if (end == std::string::npos) end = dir_name.size();
    if (dir_name.compare(start, end - start, kind) == 0 && end - start == kind.size()) return dir_name;
    start = end + 1;
  }
  return kind + " " + dir_name;
}

Result<ResultSet> ReadResults(const std::string& dir) {
  namespace fs = std::filesystem;
  ResultSet rs;
  rs.dir = dir;
  std::string run_path = (fs::path(dir) / "run.json").string();
  if (!fs::exists(run_path)) {
    return Status::NotFound(run_path + ": missing; is " + dir + " a results directory (faasnet run --out DIR)?");
  }
  ASSIGN_OR_RETURN(std::string run_text, ReadTextFile(run_path));
  nlohmann::json run_json = nlohmann::json::parse(run_text, nullptr, false);
  if (run_json.is_discarded()) return Status::InvalidArgument(run_path + ": not valid JSON");
  ASSIGN_OR_RETURN(rs.run, ParseRunInfo(run_json, run_path));
  std::string name = fs::path(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::path(dir).lexically_normal().parent_path().filename().string();
  rs.label = RunLabel(rs.run.platform_kind, name);

  std::string inv_path = (fs::path(dir) / "invocations.jsonl").string();
  if (!fs::exists(inv_path)) return Status::NotFound(inv_path + ": missing (the run wrote no invocation)");
  RETURN_IF_ERROR(ForEachLine(inv_path, inv_path, &rs.warnings,
                              [&](const nlohmann::json& j, const std::string& where, size_t line) -> Status {
                                ASSIGN_OR_RETURN(Invocation inv, ParseInvocation(j, where));
                                inv.line = line;
                                rs.invocations.push_back(std::move(inv));
                                return Status::Ok();
                              }));
  std::string cells_path = (fs::path(dir) / "cells.jsonl").string();
  if (fs::exists(cells_path)) {
    RETURN_IF_ERROR(ForEachLine(cells_path, cells_path, &rs.warnings,
                                [&](const nlohmann::json& j, const std::string& where, size_t line) -> Status {
                                  ASSIGN_OR_RETURN(CellRecord c, ParseCell(j, where));
                                  c.line = line;
                                  rs.cells.push_back(std::move(c));
                                  return Status::Ok();
                                }));
  } else {
    rs.warnings.push_back(cells_path + ": missing; cells are summarised from invocations.jsonl alone");
  }
  std::string tel_path = (fs::path(dir) / "telemetry.jsonl").string();
  if (fs::exists(tel_path)) {
    RETURN_IF_ERROR(ForEachLine(tel_path, tel_path, &rs.warnings,
                                [&](const nlohmann::json& j, const std::string& where, size_t) -> Status {
                                  if (!j.is_object()) return Status::InvalidArgument(where + ": expected an object");
                                  TelemetrySample s;
                                  std::optional<double> t;
                                  RETURN_IF_ERROR(Str(j, "cell_id", where, &s.cell_id, true));
                                  RETURN_IF_ERROR(Str(j, "host", where, &s.host));
                                  RETURN_IF_ERROR(Str(j, "direction", where, &s.direction));
                                  RETURN_IF_ERROR(Num(j, "t_ms", where, &t));
                                  s.t_ms = t.value_or(0);
                                  RETURN_IF_ERROR(Num(j, "bytes", where, &s.bytes));
                                  RETURN_IF_ERROR(Num(j, "rate_bps", where, &s.rate_bps));
                                  RETURN_IF_ERROR(Num(j, "utilisation", where, &s.utilisation));
                                  rs.telemetry.push_back(std::move(s));
                                  return Status::Ok();
                                }));
  }
  return rs;
}

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, "open", path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError("read " + path);
  return ss.str();
}

std::string ParamText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number()) {
    double d = v.get<double>();
    if (d == static_cast<long long>(d)) return std::to_string(static_cast<long long>(d));
    std::ostringstream os;
    os << d;
    return os.str();
  }
  if (v.is_null()) return "";
  return v.dump();
}

}  // namespace faasnet::analysis
