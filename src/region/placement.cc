#include "region/placement.h"

namespace faasnet::region {

std::optional<size_t> Placer::Pick(const std::vector<HostLoad>& hosts, int memory_mb, const std::string& pinned_host) {
  if (!pinned_host.empty()) {
    for (size_t i = 0; i < hosts.size(); ++i) {
      if (hosts[i].id == pinned_host) {
        if (hosts[i].free_mb() >= memory_mb) return i;
        return std::nullopt;
      }
    }
    return std::nullopt;
  }
  std::vector<size_t> fit;
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].free_mb() >= memory_mb) fit.push_back(i);
  }
  if (fit.empty()) return std::nullopt;
  switch (policy_) {
    case Placement::kBinpack:
      return fit.front();
    case Placement::kSpread: {
      size_t best = fit.front();
      for (size_t i : fit) {
        const auto& h = hosts[i];
        const auto& b = hosts[best];
        if (h.free_mb() > b.free_mb() || (h.free_mb() == b.free_mb() && h.sandboxes < b.sandboxes)) best = i;
      }
      return best;
    }
    case Placement::kRandom: {
      // Modulo of a 64-bit draw: the bias is negligible and, unlike
      // std::uniform_int_distribution, the sequence is the same everywhere.
      return fit[rng_() % fit.size()];
    }
  }
  return std::nullopt;
}

}  // namespace faasnet::region
