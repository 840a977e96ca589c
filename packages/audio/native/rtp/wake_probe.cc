#include "wake_probe.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

namespace parley::rtp {

WakeProbe::WakeProbe(const std::string& priority) {
  std::promise<std::string> taken;
  std::future<std::string> policy = taken.get_future();
  thread_ = std::thread([this, priority, p = std::move(taken)]() mutable { Run(priority, p); });
  policy_ = policy.get();
}

void WakeProbe::Stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
}

void WakeProbe::Run(const std::string& priority, std::promise<std::string>& taken) {
  pthread_setname_np(pthread_self(), "parley-probe");
  taken.set_value(TakeThreadPriority(priority));
  int64_t next = MonoNs() + kPeriodNs;
  while (!stopping_.load(std::memory_order_acquire)) {
    timespec at{time_t(next / 1000000000LL), long(next % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nullptr) == EINTR) {
    }
    const int64_t now = MonoNs();
    const int64_t late = now - next;
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    lateness_.Record(late);
    // Slots slept through are not made up for: the next wake-up is the next slot still ahead.
    next += kPeriodNs;
    if (next <= now) next += ((now - next) / kPeriodNs + 1) * kPeriodNs;
  }
}

}  // namespace parley::rtp
