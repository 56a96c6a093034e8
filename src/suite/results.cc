#include "suite/results.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

namespace faasnet::suite {

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

nlohmann::json Summarize(std::vector<double> values) {
  if (values.empty())
    return {{"median", nullptr}, {"p5", nullptr}, {"p25", nullptr}, {"p75", nullptr}, {"p95", nullptr},
            {"p99", nullptr},    {"mean", nullptr}, {"n", 0}};
  double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  return {{"median", Percentile(values, 0.5)}, {"p5", Percentile(values, 0.05)}, {"p25", Percentile(values, 0.25)},
          {"p75", Percentile(values, 0.75)},    {"p95", Percentile(values, 0.95)}, {"p99", Percentile(values, 0.99)},
          {"mean", mean},                       {"n", values.size()}};
}

Result<std::unique_ptr<ResultsWriter>> ResultsWriter::Open(const std::string& dir, bool resume) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("results directory " + dir + ": " + ec.message());
  std::unique_ptr<ResultsWriter> w(new ResultsWriter());
  w->dir_ = dir;
  if (resume) {
    std::ifstream in(dir + "/cells.jsonl");
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty()) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("cell_id"))
        return Status::InvalidArgument(dir + "/cells.jsonl: line " + std::to_string(n) + ": not a cell row");
      w->done_.insert(j["cell_id"].get<std::string>());
    }
    // Rows of a cell that did not finish (killed mid-cell) go: the cell runs again whole.
    for (const char* name : {"invocations.jsonl", "telemetry.jsonl"}) {
      std::string path = dir + "/" + name;
      std::ifstream rows(path);
      if (!rows) continue;
      std::string kept, row;
      size_t dropped = 0;
      while (std::getline(rows, row)) {
        auto j = nlohmann::json::parse(row, nullptr, false);
        if (j.is_object() && w->done_.count(j.value("cell_id", ""))) kept += row + "\n";
        else ++dropped;
      }
      rows.close();
      if (dropped == 0) continue;
      std::ofstream tmp(path + ".tmp", std::ios::trunc);
      tmp << kept;
      tmp.close();
      if (!tmp) return Status::IoError("rewrite " + path);
      fs::rename(path + ".tmp", path, ec);
      if (ec) return Status::IoError("rename " + path + ".tmp: " + ec.message());
    }
  } else if (fs::exists(dir + "/cells.jsonl")) {
    return Status::AlreadyExists("results directory " + dir +
                                 " already holds a run: give another --out, or --resume " + dir);
  }
  const char* mode = resume ? "a" : "w";
  w->invocations_ = std::fopen((dir + "/invocations.jsonl").c_str(), mode);
  w->cells_ = std::fopen((dir + "/cells.jsonl").c_str(), mode);
  w->telemetry_ = std::fopen((dir + "/telemetry.jsonl").c_str(), mode);
  if (!w->invocations_ || !w->cells_ || !w->telemetry_)
    return Status::FromErrno(errno, "open results files", dir);
  return w;
}

ResultsWriter::~ResultsWriter() {
  for (std::FILE* f : {invocations_, cells_, telemetry_})
    if (f) std::fclose(f);
}

Status ResultsWriter::WriteRun(const nlohmann::json& run) {
  std::lock_guard lock(mu_);
  std::string tmp = dir_ + "/run.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << run.dump(2) << "\n";
    if (!out) return Status::IoError("write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, dir_ + "/run.json", ec);
  if (ec) return Status::IoError("rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

Status ResultsWriter::Append(std::FILE* f, const nlohmann::json& row, const char* name) {
  std::string line = row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mu_);
  if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fflush(f) != 0)
    return Status::FromErrno(errno, "append", dir_ + "/" + name);
  return Status::Ok();
}

Status ResultsWriter::AppendInvocation(const nlohmann::json& row) { return Append(invocations_, row, "invocations.jsonl"); }
Status ResultsWriter::AppendCell(const nlohmann::json& row) {
  if (auto st = Append(cells_, row, "cells.jsonl"); !st.ok()) return st;
  std::lock_guard lock(mu_);
  done_.insert(row.value("cell_id", ""));
  return Status::Ok();
}
Status ResultsWriter::AppendTelemetry(const nlohmann::json& row) { return Append(telemetry_, row, "telemetry.jsonl"); }

}  // namespace faasnet::suite
