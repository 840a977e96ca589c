#ifndef PARLEY_RTP_WAKE_PROBE_H
#define PARLEY_RTP_WAKE_PROBE_H

#include <atomic>
#include <cstdint>
#include <future>
#include <string>
#include <thread>

#include "realtime.h"

namespace parley::rtp {

/**
 * A thread that does nothing but wake every millisecond on an absolute schedule, at the priority
 * the engine takes: how late the machine itself lets a realtime thread run. The benchmark runs it
 * beside the engine as the baseline for the engine's late frames.
 */
class WakeProbe {
 public:
  static constexpr int64_t kPeriodNs = 1000000;

  explicit WakeProbe(const std::string& priority);
  ~WakeProbe() { Stop(); }

  void Stop();

  const std::string& Policy() const { return policy_; }
  uint64_t wakeups() const { return wakeups_.load(); }
  uint64_t lateWakeups() const { return lateness_.lateCount(); }
  double maxLateMs() const { return lateness_.maxMs(); }

 private:
  void Run(const std::string& priority, std::promise<std::string>& taken);

  std::thread thread_;
  std::string policy_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> wakeups_{0};
  WakeLateness lateness_;
};

}  // namespace parley::rtp

#endif
