#include "analysis/cells.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <unordered_map>

namespace faasnet::analysis {

std::optional<double> Quantile(std::vector<double> values, double q) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  double pos = q * (values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - lo);
}

std::optional<Quartiles> Summarize(const std::vector<double>& values) {
  if (values.empty()) return std::nullopt;
  Quartiles s;
  s.n = static_cast<int>(values.size());
  s.median = *Quantile(values, 0.5);
  s.p25 = *Quantile(values, 0.25);
  s.p75 = *Quantile(values, 0.75);
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  return s;
}

std::string CellStats::Param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? "" : ParamText(*it);
}

namespace {

std::optional<double> NumParam(const nlohmann::json& params, const char* key) {
  auto it = params.find(key);
  if (it == params.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

void FromParams(CellStats* c) {
  c->memory_mb = NumParam(c->params, "memory_mb").value_or(c->memory_mb);
  c->concurrency = NumParam(c->params, "concurrency").value_or(1);
  c->per_host = NumParam(c->params, "colocated").value_or(c->concurrency);
  c->chunk_mb = NumParam(c->params, "chunk_mb");
  c->direction = c->Param("direction");
  c->policy = c->Param("policy");
  c->workload = c->Param("workload");
  c->action = c->Param("action");
}

}  // namespace

std::vector<CellStats> SummarizeCells(const ResultSet& rs, const PriceSheet& prices) {
  std::vector<CellStats> out;
  std::unordered_map<std::string, size_t> index;
  std::unordered_map<std::string, std::vector<const Invocation*>> by_cell;
  auto cell_for = [&](const std::string& id, const std::string& scenario, const std::string& experiment,
                      const nlohmann::json& params) -> CellStats& {
    auto [it, inserted] = index.try_emplace(id, out.size());
    if (inserted) {
      CellStats c;
      c.cell_id = id;
      c.scenario = scenario;
      c.experiment = experiment;
      c.params = params;
      out.push_back(std::move(c));
    }
    return out[it->second];
  };
  for (const auto& cell : rs.cells) cell_for(cell.cell_id, cell.scenario, cell.experiment, cell.params);
  for (const auto& inv : rs.invocations) {
    CellStats& c = cell_for(inv.cell_id, inv.scenario, inv.experiment, inv.params);
    if (c.memory_mb == 0) c.memory_mb = inv.memory_mb;
    by_cell[inv.cell_id].push_back(&inv);
  }
  std::unordered_map<std::string, const CellRecord*> records;
  for (const auto& cell : rs.cells) records[cell.cell_id] = &cell;

  for (auto& c : out) {
    FromParams(&c);
    std::vector<double> mbps, transfer, run, client;
    std::map<double, std::vector<double>> mbps_by_mem;
    std::optional<double> first_start, last_end;
    std::map<std::string, std::set<int>> workers_by_host;
    for (const Invocation* inv : by_cell[c.cell_id]) {
      ++c.invocations;
      if (!inv->host_id.empty()) workers_by_host[inv->host_id].insert(inv->worker);
      if (!inv->ok()) ++c.errors;
      // Every invocation is billed, failed or not.
      auto b1 = inv->BilledMs(BillingRule::k1ms);
      auto b100 = inv->BilledMs(BillingRule::k100ms);
      if (b1 && b100) {
        c.mb_ms_1ms += inv->memory_mb * *b1;
        c.mb_ms_100ms += inv->memory_mb * *b100;
        c.usd_1ms += InvocationCost(prices, inv->memory_mb, *b1).total();
        c.usd_100ms += InvocationCost(prices, inv->memory_mb, *b100).total();
      } else {
        c.priced = false;
      }
      if (auto r = inv->RunMs()) c.aggregated_s += *r / 1000;
      if (inv->start_unix_ms) {
        double end = *inv->start_unix_ms + inv->client_ms.value_or(inv->RunMs().value_or(0));
        first_start = std::min(first_start.value_or(*inv->start_unix_ms), *inv->start_unix_ms);
        last_end = std::max(last_end.value_or(end), end);
      }
      if (!inv->ok()) continue;
      if (auto m = inv->MbPerS()) {
        mbps.push_back(*m);
        mbps_by_mem[inv->memory_mb].push_back(*m);
      }
      if (inv->elapsed_ms) transfer.push_back(*inv->elapsed_ms / 1000);
      if (inv->duration_ms) run.push_back(*inv->duration_ms);
      if (inv->client_ms) client.push_back(*inv->client_ms);
      if (inv->bytes) c.total_bytes += *inv->bytes;
    }
    if (!c.params.contains("colocated") && !workers_by_host.empty()) {
      size_t most = 0;
      for (const auto& [host, workers] : workers_by_host) most = std::max(most, workers.size());
      c.per_host = static_cast<double>(most);
    }
    c.mb_per_s = Summarize(mbps);
    c.transfer_s = Summarize(transfer);
    c.run_ms = Summarize(run);
    c.client_ms = Summarize(client);
    if (mbps_by_mem.size() > 1) {
      for (const auto& [mem, v] : mbps_by_mem) c.mb_per_s_by_memory[mem] = *Summarize(v);
    }
    auto rec = records.find(c.cell_id);
    if (rec != records.end()) {
      const CellRecord& r = *rec->second;
      if (r.job_wall_ms) c.wall_s = *r.job_wall_ms / 1000;
      c.job_chunks = r.job_chunks;
      c.job_chunk_bytes = r.job_chunk_bytes;
      if (c.invocations == 0) {
        c.invocations = r.invocations;
        c.errors = r.errors;
        if (r.mbps_median)
          c.mb_per_s = Quartiles{*r.mbps_median, r.mbps_p25.value_or(*r.mbps_median),
                                 r.mbps_p75.value_or(*r.mbps_median), *r.mbps_median, 0};
      }
    }
    if (!c.wall_s && first_start && last_end && *last_end > *first_start) c.wall_s = (*last_end - *first_start) / 1000;
    if (c.wall_s && *c.wall_s > 0 && c.total_bytes > 0) c.aggregate_mb_per_s = c.total_bytes / 1e6 / *c.wall_s;
  }
  return out;
}

std::vector<const CellStats*> Select(const std::vector<CellStats>& cells, const std::string& scenario,
                                     const std::string& experiment) {
  std::vector<const CellStats*> out;
  for (const auto& c : cells) {
    if (c.scenario == scenario && (experiment.empty() || c.experiment == experiment)) out.push_back(&c);
  }
  return out;
}

}  // namespace faasnet::analysis
