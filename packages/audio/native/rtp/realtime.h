// Keeping time on the engine's threads: the monotonic clock, the thread priority they ask for, a
// mutex that lends them that priority, and the record of how late their wake-ups came.
#ifndef PARLEY_RTP_REALTIME_H
#define PARLEY_RTP_REALTIME_H

#include <pthread.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace parley::rtp {

/** A frame or a wake-up later than this is late. */
constexpr double kLateMs = 5;

inline int64_t MonoNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

/** Raises a shared maximum: both pacing threads write these, and a plain load-then-store could lose the larger. */
inline void RaiseTo(std::atomic<int64_t>& max, int64_t value) {
  int64_t seen = max.load(std::memory_order_relaxed);
  while (value > seen && !max.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

/** How late timed wake-ups came, as the engine's threads and the wake probe record them. */
struct WakeLateness {
  /** Wake-ups more than kLateMs after the time asked for. */
  std::atomic<uint64_t> late{0};
  std::atomic<int64_t> maxNs{0};

  void Record(int64_t lateNs) {
    RaiseTo(maxNs, lateNs);
    if (lateNs > int64_t(kLateMs * 1e6)) late.fetch_add(1, std::memory_order_relaxed);
  }
  uint64_t lateCount() const { return late.load(); }
  double maxMs() const { return double(maxNs.load()) / 1e6; }
};

/**
 * Asks for the calling thread's priority: realtime (SCHED_FIFO 10, where RLIMIT_RTPRIO or
 * CAP_SYS_NICE allow it), else high (nice -10), else it stays normal. Returns what it got.
 */
std::string TakeThreadPriority(const std::string& priority);

/**
 * A mutex with priority inheritance: a normal-priority JavaScript thread holding a session's
 * lock runs at the engine thread's priority until it lets go, so nothing in between can keep the
 * engine waiting.
 */
class PiMutex {
 public:
  PiMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&mutex_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~PiMutex() { pthread_mutex_destroy(&mutex_); }
  PiMutex(const PiMutex&) = delete;
  PiMutex& operator=(const PiMutex&) = delete;
  void lock() { pthread_mutex_lock(&mutex_); }
  bool try_lock() { return pthread_mutex_trylock(&mutex_) == 0; }
  void unlock() { pthread_mutex_unlock(&mutex_); }

 private:
  pthread_mutex_t mutex_;
};

}  // namespace parley::rtp

#endif
