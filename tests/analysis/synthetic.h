// Synthetic result directories for the analysis tests, generated from a
// simple known model so that tests derive the expected answers instead of
// hard-coding them:
//
//   iperf per function  = min(NIC / n, iperf_mb_per_s_per_gb x memory)   (0 = untied to memory)
//   S3 per function     = min(client_mb_per_s_per_mb x memory, client_cap, NIC / n)   (CPU-bound client)
//   run time            = bytes / bandwidth + overhead_ms; the runner sees + client_extra_ms
//   policies/proportional: functions share the NIC in proportion to memory
//
// with multiplicative noise (uniform +-noise, seeded). n is the number of
// functions sharing one host. Jobs pull chunks from a queue with n workers,
// simulated exactly, so wall times follow from the model.
#ifndef FAASNET_TESTS_ANALYSIS_SYNTHETIC_H_
#define FAASNET_TESTS_ANALYSIS_SYNTHETIC_H_

#include <cstdint>
#include <string>
#include <vector>

namespace faasnet::analysis::testing {

struct World {
  double nic_mb_per_s = 70.0;                 // host NIC goodput (586 Mbit HTB rate x 0.956 / 8)
  double client_mb_per_s_per_mb = 9.5 / 128;  // CPU-bound S3 client
  double client_cap_mb_per_s = 66.0;
  // When not empty: the S3 client's MB/s at these memory sizes (linear in
  // between) instead of min(client_mb_per_s_per_mb x memory, client_cap),
  // e.g. the paper's Fig. 4a medians (PaperFig4a()).
  std::vector<std::pair<double, double>> client_table;
  double upload_factor = 0.8;        // S3 upload vs download
  double iperf_mb_per_s_per_gb = 0;  // > 0: a shaper ties iperf to memory
  double overhead_ms = 30;
  double first_byte_ms = 0;  // S3 latency inside the transfer time (makes MB/s depend on chunk size)
  bool shared_nic = true;    // false: co-located functions do not share the NIC
  double client_extra_ms = 5;
  double noise = 0.05;
  uint32_t seed = 1;
  int reps = 5;              // invocations per non-job cell
  int job_chunks = 100;      // chunks per job (10 MB each)
  bool proportional = true;  // the policies scenario's "proportional" cells share by memory
  // > 0: run.json's NIC (the last region's, when regions change between cells) differs from the
  // policies cells' own; cell_nic_param: those cells record their NIC (params.nic_download_bps).
  double run_nic_bps = 0;
  bool cell_nic_param = false;

  // Noise-free bandwidth (MB/s) of one function.
  double S3MbPerS(double memory_mb, double per_host, bool upload = false) const;
  double IperfMbPerS(double memory_mb, double per_host) const;
};

// The paper's Fig. 4a S3 download medians (PAPER.md): 9.5 ... 60.6 MB/s over 128 ... 3008 MB.
std::vector<std::pair<double, double>> PaperFig4a();

// Which scenarios to write (all by default).
struct Selection {
  std::vector<std::string> scenarios = {
      "fig2-iperf-memory", "fig3-chunk-size",       "fig4-memory-s3", "fig5-colocated-iperf",
      "fig6-colocated-s3", "fig7-concurrency-cost", "policies",       "client-comparison"};
  std::vector<double> memories = {128, 256, 512, 1024, 2048, 3008};
  std::vector<double> colocated = {1, 2, 4, 8, 16, 26};
};

// Writes run.json, invocations.jsonl, cells.jsonl and telemetry.jsonl into
// `dir` (created). `platform_kind` goes to run.json (overlay labels).
void WriteSyntheticResults(const std::string& dir, const World& world, const Selection& sel = {},
                           const std::string& platform_kind = "local");

// A fresh directory under the test temp dir (removed by the destructor).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes `text` to `path` (creating parent directories).
void WriteFile(const std::string& path, const std::string& text);
std::string ReadFile(const std::string& path);

}  // namespace faasnet::analysis::testing

#endif  // FAASNET_TESTS_ANALYSIS_SYNTHETIC_H_
