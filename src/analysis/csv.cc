#include "analysis/csv.h"

#include <optional>
#include <set>

namespace faasnet::analysis {

namespace {

std::string Opt(const std::optional<double>& v) {
  if (!v) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", *v);
  return buf;
}

std::string Row(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + CsvField(fields[i]);
  return out + "\n";
}

// The params keys of `objects`, sorted, as "param_<key>" columns.
template <typename T>
std::vector<std::string> ParamKeys(const std::vector<T>& objects) {
  std::set<std::string> keys;
  for (const auto& o : objects) {
    for (auto it = o.params.begin(); it != o.params.end(); ++it) keys.insert(it.key());
  }
  return {keys.begin(), keys.end()};
}

template <typename T>
void AddParams(const T& o, const std::vector<std::string>& keys, std::vector<std::string>* row) {
  for (const auto& k : keys) {
    auto it = o.params.find(k);
    row->push_back(it == o.params.end() ? "" : ParamText(*it));
  }
}

std::optional<double> Q(const std::optional<Quartiles>& q, double Quartiles::*f) {
  if (!q) return std::nullopt;
  return (*q).*f;
}

}  // namespace

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string InvocationsCsv(const ResultSet& rs) {
  auto keys = ParamKeys(rs.invocations);
  std::vector<std::string> header = {"scenario",
                                     "experiment",
                                     "cell_id",
                                     "rep",
                                     "worker",
                                     "seq",
                                     "request_id",
                                     "host_id",
                                     "sandbox_id",
                                     "memory_mb",
                                     "ok",
                                     "error_type",
                                     "action",
                                     "direction",
                                     "cold",
                                     "start_unix_ms",
                                     "client_ms",
                                     "init_duration_ms",
                                     "duration_ms",
                                     "billed_duration_ms_1ms",
                                     "billed_duration_ms_100ms",
                                     "max_memory_used_mb",
                                     "cpu_time_ms",
                                     "cpu_throttled_ms",
                                     "net_rx_bytes",
                                     "net_tx_bytes",
                                     "bytes",
                                     "elapsed_ms",
                                     "mb_per_s"};
  for (const auto& k : keys) header.push_back("param_" + k);
  std::string out = Row(header);
  for (const auto& i : rs.invocations) {
    std::vector<std::string> r = {i.scenario,
                                  i.experiment,
                                  i.cell_id,
                                  std::to_string(i.rep),
                                  std::to_string(i.worker),
                                  std::to_string(i.seq),
                                  i.request_id,
                                  i.host_id,
                                  i.sandbox_id,
                                  Opt(i.memory_mb),
                                  i.ok() ? "true" : "false",
                                  i.error_type,
                                  i.action,
                                  i.direction,
                                  i.cold ? (*i.cold ? "true" : "false") : "",
                                  Opt(i.start_unix_ms),
                                  Opt(i.client_ms),
                                  Opt(i.init_duration_ms),
                                  Opt(i.duration_ms),
                                  Opt(i.BilledMs(BillingRule::k1ms)),
                                  Opt(i.BilledMs(BillingRule::k100ms)),
                                  Opt(i.max_memory_used_mb),
                                  Opt(i.cpu_time_ms),
                                  Opt(i.cpu_throttled_ms),
                                  Opt(i.net_rx_bytes),
                                  Opt(i.net_tx_bytes),
                                  Opt(i.bytes),
                                  Opt(i.elapsed_ms),
                                  Opt(i.MbPerS())};
    AddParams(i, keys, &r);
    out += Row(r);
  }
  return out;
}

std::string CellsCsv(const std::vector<CellStats>& cells) {
  auto keys = ParamKeys(cells);
  std::vector<std::string> header = {"scenario",
                                     "experiment",
                                     "cell_id",
                                     "memory_mb",
                                     "per_host",
                                     "invocations",
                                     "errors",
                                     "mb_per_s_median",
                                     "mb_per_s_p25",
                                     "mb_per_s_p75",
                                     "mb_per_s_mean",
                                     "transfer_s_median",
                                     "transfer_s_p25",
                                     "transfer_s_p75",
                                     "duration_ms_median",
                                     "client_ms_median",
                                     "total_bytes",
                                     "response_time_s",
                                     "aggregate_mb_per_s",
                                     "aggregated_time_s",
                                     "mb_ms_billed_1ms",
                                     "mb_ms_billed_100ms",
                                     "cost_usd_1ms",
                                     "cost_usd_100ms"};
  for (const auto& k : keys) header.push_back("param_" + k);
  std::string out = Row(header);
  for (const auto& c : cells) {
    std::vector<std::string> r = {c.scenario,
                                  c.experiment,
                                  c.cell_id,
                                  Opt(c.memory_mb),
                                  Opt(c.per_host),
                                  std::to_string(c.invocations),
                                  std::to_string(c.errors),
                                  Opt(Q(c.mb_per_s, &Quartiles::median)),
                                  Opt(Q(c.mb_per_s, &Quartiles::p25)),
                                  Opt(Q(c.mb_per_s, &Quartiles::p75)),
                                  Opt(Q(c.mb_per_s, &Quartiles::mean)),
                                  Opt(Q(c.transfer_s, &Quartiles::median)),
                                  Opt(Q(c.transfer_s, &Quartiles::p25)),
                                  Opt(Q(c.transfer_s, &Quartiles::p75)),
                                  Opt(Q(c.run_ms, &Quartiles::median)),
                                  Opt(Q(c.client_ms, &Quartiles::median)),
                                  Opt(c.total_bytes),
                                  Opt(c.wall_s),
                                  Opt(c.aggregate_mb_per_s),
                                  Opt(c.aggregated_s),
                                  c.priced ? Opt(c.mb_ms_1ms) : "",
                                  c.priced ? Opt(c.mb_ms_100ms) : "",
                                  c.priced ? Opt(c.usd_1ms) : "",
                                  c.priced ? Opt(c.usd_100ms) : ""};
    AddParams(c, keys, &r);
    out += Row(r);
  }
  return out;
}

}  // namespace faasnet::analysis
