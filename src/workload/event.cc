#include "workload/event.h"

#include <initializer_list>
#include <nlohmann/json.hpp>

#include "base/units.h"

namespace faasnet::workload {
namespace {

using nlohmann::json;

Status Bad(std::string_view action, const std::string& what) {
  return Status::InvalidArgument("event: " + std::string(action) + ": " + what);
}

// Every field of `event` must be one of `known` (plus "action").
Status CheckFields(const json& event, std::string_view action, std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : event.items()) {
    if (name == "action") continue;
    bool found = false;
    for (std::string_view k : known) found = found || name == k;
    if (found) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return Bad(action, "unknown field \"" + name + "\" (takes: " + (list.empty() ? "nothing" : list) + ")");
  }
  return Status::Ok();
}

Result<std::string> String(const json& event, std::string_view action, const char* name, bool required) {
  auto it = event.find(name);
  if (it == event.end()) {
    if (required) return Bad(action, std::string("missing \"") + name + "\"");
    return std::string();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty())
    return Bad(action, std::string("\"") + name + "\" must be a non-empty string, not " + it->dump());
  return it->get<std::string>();
}

// An integer field in [lo, hi]; `fallback` when absent.
Result<int64_t> Integer(const json& event, std::string_view action, const char* name, int64_t lo, int64_t hi,
                        int64_t fallback) {
  auto it = event.find(name);
  if (it == event.end()) return fallback;
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX)) ||
      it->get<int64_t>() < lo || it->get<int64_t>() > hi)
    return Bad(action, std::string("\"") + name + "\" must be an integer in [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "], not " + it->dump());
  return it->get<int64_t>();
}

// A byte count: an integer or a size string ("10MB", "4MiB").
Result<uint64_t> Bytes(const json& value, std::string_view action) {
  uint64_t n = 0;
  if (value.is_number_unsigned()) {
    n = value.get<uint64_t>();
  } else if (value.is_string()) {
    auto parsed = ParseBytes(value.get<std::string>());
    if (!parsed.ok()) return Bad(action, "\"bytes\": " + parsed.status().message());
    n = *parsed;
  } else {
    return Bad(action, "\"bytes\" must be a positive integer or a size like \"10MB\", not " + value.dump());
  }
  if (n == 0 || n > kMaxPutBytes)
    return Bad(action, "\"bytes\" must be in [1, " + std::to_string(kMaxPutBytes) + "], not " + std::to_string(n));
  return n;
}

Result<S3GetEvent> ParseS3Get(const json& e, std::string_view a) {
  RETURN_IF_ERROR(CheckFields(e, a, {"bucket", "keys", "endpoint"}));
  S3GetEvent out;
  ASSIGN_OR_RETURN(out.bucket, String(e, a, "bucket", true));
  ASSIGN_OR_RETURN(out.endpoint, String(e, a, "endpoint", false));
  auto keys = e.find("keys");
  if (keys == e.end()) return Bad(a, "missing \"keys\" (a list of object keys)");
  if (!keys->is_array() || keys->empty() || keys->size() > kMaxKeys)
    return Bad(a, "\"keys\" must be a list of 1 to " + std::to_string(kMaxKeys) + " keys");
  for (const json& k : *keys) {
    if (!k.is_string() || k.get_ref<const std::string&>().empty())
      return Bad(a, "every key must be a non-empty string, not " + k.dump());
    out.keys.push_back(k.get<std::string>());
  }
  return out;
}

Result<S3PutEvent> ParseS3Put(const json& e, std::string_view a) {
  RETURN_IF_ERROR(CheckFields(e, a, {"bucket", "key", "bytes", "seed", "fetch", "source_key", "endpoint"}));
  S3PutEvent out;
  ASSIGN_OR_RETURN(out.bucket, String(e, a, "bucket", true));
  ASSIGN_OR_RETURN(out.key, String(e, a, "key", true));
  ASSIGN_OR_RETURN(out.endpoint, String(e, a, "endpoint", false));
  if (auto f = e.find("fetch"); f != e.end()) {
    if (!f->is_boolean()) return Bad(a, "\"fetch\" must be true or false, not " + f->dump());
    out.fetch = f->get<bool>();
  }
  if (out.fetch) {
    if (e.contains("seed")) return Bad(a, "with \"fetch\": true the body is the source object: drop \"seed\"");
    if (auto b = e.find("bytes"); b != e.end()) RETURN_IF_ERROR(Bytes(*b, a).status());  // checked, not used
    ASSIGN_OR_RETURN(out.source_key, String(e, a, "source_key", true));
    return out;
  }
  if (e.contains("source_key")) return Bad(a, "\"source_key\" needs \"fetch\": true");
  auto b = e.find("bytes");
  if (b == e.end()) return Bad(a, "missing \"bytes\" (or \"fetch\": true with \"source_key\")");
  ASSIGN_OR_RETURN(out.bytes, Bytes(*b, a));
  if (auto s = e.find("seed"); s != e.end()) {
    if (!s->is_number_unsigned()) return Bad(a, "\"seed\" must be a non-negative integer, not " + s->dump());
    out.seed = s->get<uint64_t>();
  }
  return out;
}

Result<IperfEvent> ParseIperf(const json& e, std::string_view a) {
  RETURN_IF_ERROR(CheckFields(e, a, {"direction", "duration_s", "interval_s", "host", "port"}));
  IperfEvent out;
  ASSIGN_OR_RETURN(std::string direction, String(e, a, "direction", false));
  if (direction == "down") {
    out.direction = Direction::kDown;
  } else if (direction.empty() || direction == "up") {
    out.direction = Direction::kUp;
  } else {
    return Bad(a, "\"direction\" must be \"up\" or \"down\", not \"" + direction + "\"");
  }
  ASSIGN_OR_RETURN(int64_t duration, Integer(e, a, "duration_s", 1, kMaxDurationS, out.duration_s));
  out.duration_s = static_cast<int>(duration);
  if (auto i = e.find("interval_s"); i != e.end()) {
    if (!i->is_number() || i->get<double>() < 0.1 || i->get<double>() > 60)
      return Bad(a, "\"interval_s\" must be a number in [0.1, 60], not " + i->dump());
    out.interval_s = i->get<double>();
  }
  ASSIGN_OR_RETURN(out.host, String(e, a, "host", false));
  ASSIGN_OR_RETURN(int64_t port, Integer(e, a, "port", 1, 65535, 0));
  out.port = static_cast<int>(port);
  return out;
}

}  // namespace

const char* ActionName(Action action) {
  switch (action) {
    case Action::kS3Get:
      return "s3-get";
    case Action::kS3Put:
      return "s3-put";
    case Action::kIperf:
      return "iperf";
    case Action::kHostId:
      return "host-id";
    case Action::kNoop:
      return "noop";
  }
  return "?";
}

const char* DirectionName(Direction direction) { return direction == Direction::kDown ? "down" : "up"; }

Result<Event> ParseEvent(std::string_view json_text) {
  Event out;
  if (json_text.find_first_not_of(" \t\r\n") == std::string_view::npos) return out;  // empty: noop
  json e = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (e.is_discarded()) return Status::InvalidArgument("event: not valid JSON");
  if (!e.is_object()) return Status::InvalidArgument("event: must be a JSON object with \"action\", not " + e.dump());
  auto action = e.find("action");
  if (action == e.end() || !action->is_string())
    return Status::InvalidArgument(
        "event: missing \"action\" (one of \"s3-get\", \"s3-put\", \"iperf\", \"host-id\", \"noop\")");
  const std::string& a = action->get_ref<const std::string&>();
  if (a == "s3-get") {
    out.action = Action::kS3Get;
    ASSIGN_OR_RETURN(out.s3_get, ParseS3Get(e, a));
  } else if (a == "s3-put") {
    out.action = Action::kS3Put;
    ASSIGN_OR_RETURN(out.s3_put, ParseS3Put(e, a));
  } else if (a == "iperf") {
    out.action = Action::kIperf;
    ASSIGN_OR_RETURN(out.iperf, ParseIperf(e, a));
  } else if (a == "host-id") {
    out.action = Action::kHostId;
    RETURN_IF_ERROR(CheckFields(e, a, {}));
  } else if (a == "noop") {
    out.action = Action::kNoop;
    RETURN_IF_ERROR(CheckFields(e, a, {"sleep_ms"}));
    ASSIGN_OR_RETURN(out.sleep_ms, Integer(e, a, "sleep_ms", 0, kMaxSleepMs, 0));
  } else {
    return Status::InvalidArgument("event: unknown action \"" + a +
                                   "\" (one of \"s3-get\", \"s3-put\", \"iperf\", \"host-id\", \"noop\")");
  }
  return out;
}

}  // namespace faasnet::workload
