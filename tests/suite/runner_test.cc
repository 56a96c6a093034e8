#include "suite/runner.h"

#include <gtest/gtest.h>

namespace faasnet::suite {
namespace {

Cell CellOf(const char* yaml) {
  auto s = Scenario::FromYaml(yaml, Size::kQuick, "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s->Cells()->front();
}

TEST(BuildEvent, EachActionCarriesWhatItsWorkloadNeeds) {
  std::vector<std::string> keys = {"k0", "k1", "k2"};
  Cell get = CellOf("name: t\nexperiments:\n  - name: e\n    action: s3-get\n");
  auto e = BuildEvent(get, "b", keys, 4, 0, 0, "r");
  EXPECT_EQ(e["action"], "s3-get");
  EXPECT_EQ(e["bucket"], "b");
  EXPECT_EQ(e["keys"], nlohmann::json::array({"k1"}));  // index 4 wraps onto 3 keys

  Cell put = CellOf("name: t\nexperiments:\n  - name: e\n    action: s3-put\n    chunk_mb: 2.5\n    fetch: true\n");
  auto p = BuildEvent(put, "b", keys, 2, 1, 3, "r");
  EXPECT_EQ(p["bytes"], 2500000u);
  EXPECT_EQ(p["fetch"], true);
  EXPECT_EQ(p["source_key"], "k2");
  auto p2 = BuildEvent(put, "b", keys, 2, 0, 3, "r");
  EXPECT_NE(p["key"], p2["key"]);  // workers never overwrite each other

  Cell iperf = CellOf("name: t\nexperiments:\n  - name: e\n    action: iperf\n    direction: up\n    duration_s: 3\n");
  auto i = BuildEvent(iperf, "b", {}, 0, 0, 0, "r");
  EXPECT_EQ(i["direction"], "up");
  EXPECT_EQ(i["duration_s"], 3);
  EXPECT_TRUE(i["duration_s"].is_number_integer());
}

lambdaclient::InvokeOutput Out(std::string payload, std::string log = "", std::string fe = "") {
  lambdaclient::InvokeOutput o;
  o.payload = std::move(payload);
  o.log_tail = std::move(log);
  o.function_error = std::move(fe);
  o.request_id = "rid";
  o.client_ms = 12.5;
  return o;
}

TEST(BuildInvocationRow, PlatformRecordWins) {
  Cell c = CellOf("name: t\nexperiments:\n  - name: e\n    action: s3-get\n    memory_mb: 512\n");
  nlohmann::json rec = {{"host_id", "h1"}, {"sandbox_id", "s9"}, {"cold", false}, {"init_duration_ms", 0.0},
                        {"duration_ms", 101.5}, {"billed_duration_ms_1ms", 102}, {"billed_duration_ms_100ms", 200},
                        {"max_memory_used_bytes", 41000000}, {"cpu_time_ms", 30.0}, {"cpu_throttled_ms", 4.0},
                        {"net_rx_bytes", 10}, {"net_tx_bytes", 20}, {"error_type", ""}};
  auto row = BuildInvocationRow(c, 1, 2, 3, "fn", 512, 1000, Out(R"({"ok":true,"bytes":5,"mb_per_s":9})"), rec);
  EXPECT_EQ(row["host_id"], "h1");
  EXPECT_TRUE(row["init_duration_ms"].is_null());  // warm
  EXPECT_DOUBLE_EQ(row["max_memory_used_mb"].get<double>(), 41.0);
  EXPECT_EQ(row["billed_duration_ms_100ms"], 200);
  EXPECT_EQ(row["result"]["mb_per_s"], 9);
  EXPECT_EQ(row["error_type"], "");
  EXPECT_EQ(row["cell_id"], c.id);
  EXPECT_EQ(row["seq"], 3);
}

TEST(BuildInvocationRow, WithoutARecordTheReportLineFillsWhatItCan) {
  Cell c = CellOf("name: t\nexperiments:\n  - name: e\n    action: noop\n");
  auto row = BuildInvocationRow(
      c, 0, 0, 0, "fn", 128, 0,
      Out("{}", "START\nREPORT RequestId: rid\tDuration: 250.31 ms\tBilled Duration: 251 ms\tMemory Size: 128 MB\t"
                "Max Memory Used: 60 MB\tInit Duration: 120.5 ms\t\n"),
      nullptr);
  EXPECT_DOUBLE_EQ(row["duration_ms"].get<double>(), 250.31);
  EXPECT_DOUBLE_EQ(row["billed_duration_ms_1ms"].get<double>(), 251);
  EXPECT_DOUBLE_EQ(row["billed_duration_ms_100ms"].get<double>(), 300);
  EXPECT_EQ(row["cold"], true);
  EXPECT_TRUE(row["host_id"].is_null());
  EXPECT_TRUE(row["cpu_time_ms"].is_null());  // unknown, not zero
}

TEST(BuildInvocationRow, FunctionErrorsAreTyped) {
  Cell c = CellOf("name: t\nexperiments:\n  - name: e\n    action: noop\n");
  auto row = BuildInvocationRow(c, 0, 0, 0, "fn", 128, 0,
                                Out(R"({"errorType":"Runtime.ExitError","errorMessage":"x"})", "", "Unhandled"), nullptr);
  EXPECT_EQ(row["error_type"], "Runtime.ExitError");
  auto soft = BuildInvocationRow(c, 0, 0, 0, "fn", 128, 0, Out(R"({"ok":false,"error":"no such key"})"), nullptr);
  EXPECT_EQ(soft["error_type"], "Workload.Error");
  auto junk = BuildInvocationRow(c, 0, 0, 0, "fn", 128, 0, Out("not json"), nullptr);
  EXPECT_EQ(junk["result"]["ok"], false);
}

TEST(BuildCellRow, SummarisesSuccessesAndCountsErrors) {
  Cell c = CellOf("name: t\nexperiments:\n  - name: e\n    action: s3-get\n    chunks: 3\n    memory_mb: 1024\n");
  std::vector<nlohmann::json> rows;
  for (double mbps : {10.0, 20.0, 30.0}) {
    nlohmann::json rec = {{"duration_ms", 1000.0 / mbps}, {"billed_duration_ms_1ms", 100}, {"billed_duration_ms_100ms", 100}};
    rows.push_back(BuildInvocationRow(c, 0, 0, 0, "fn", 1024, 0,
                                      Out(nlohmann::json{{"ok", true}, {"bytes", 10}, {"mb_per_s", mbps}}.dump()), rec));
  }
  rows.push_back(BuildInvocationRow(c, 0, 0, 0, "fn", 1024, 0, Out("{}", "", "Unhandled"), nullptr));
  auto cell = BuildCellRow(c, rows, 0, 10, {5000, 7000}, false);
  EXPECT_EQ(cell["invocations"], 4);
  EXPECT_EQ(cell["errors"], 1);
  EXPECT_DOUBLE_EQ(cell["mb_per_s"]["median"].get<double>(), 20);
  EXPECT_DOUBLE_EQ(cell["mb_per_s"]["p25"].get<double>(), 15);
  EXPECT_DOUBLE_EQ(cell["billed_ms_sum"]["1ms"].get<double>(), 300);
  EXPECT_DOUBLE_EQ(cell["gb_s"]["100ms"].get<double>(), 0.3);  // 3 x 1 GB x 0.1 s
  EXPECT_DOUBLE_EQ(cell["job"]["wall_ms"].get<double>(), 6000);
  EXPECT_EQ(cell["job"]["chunks"], 3);
}

}  // namespace
}  // namespace faasnet::suite
