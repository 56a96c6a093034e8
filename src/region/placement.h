// Where a new sandbox goes: binpack (fill a host's memory before the next, as
// Lambda packs hosts), spread (the host with the most free memory), random
// (seeded, so runs repeat), or a host named by the caller (experiments pin).
//
// Thread-safety: a Placer is not thread-safe (the region calls it under its lock).
#ifndef FAASNET_REGION_PLACEMENT_H_
#define FAASNET_REGION_PLACEMENT_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "region/config.h"

namespace faasnet::region {

struct HostLoad {
  std::string id;
  int capacity_mb = 0;
  int used_mb = 0;
  int sandboxes = 0;
  int free_mb() const { return capacity_mb - used_mb; }
};

class Placer {
 public:
  Placer(Placement policy, uint64_t seed) : policy_(policy), rng_(seed) {}
  // Index of the chosen host, or nullopt when no host (or not the pinned one)
  // has `memory_mb` free.
  std::optional<size_t> Pick(const std::vector<HostLoad>& hosts, int memory_mb, const std::string& pinned_host = "");

 private:
  Placement policy_;
  std::mt19937_64 rng_;
};

}  // namespace faasnet::region

#endif  // FAASNET_REGION_PLACEMENT_H_
