#ifndef PARLEY_RTP_CORE_H
#define PARLEY_RTP_CORE_H

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "payload_encoder.h"
#include "realtime.h"
#include "session.h"

namespace parley::rtp {

/**
 * Frames due within this much of a wake-up go out with it, up to 1 ms early (far below any
 * jitter buffer's notice): the thread wakes at most about once a millisecond however many calls
 * it carries, instead of once per call per frame.
 */
constexpr int64_t kCoalesceNs = 1000000;

/**
 * The pacing threads and the sessions they pace. Each thread keeps its own compact schedule (due
 * time and session, contiguous) and rebuilds it from the sessions when JavaScript says something
 * moved (a stream started, a talkspurt, a session went). JavaScript wakes them through an eventfd
 * each, so the two sides never wait on a lock of the other's outside a session's own
 * (priority-inheriting) one.
 *
 * With two threads, each pinned to its own CPU, both wake for every frame and whichever gets to a
 * session first sends it (a session counts its frames by slot, so the other finds nothing due).
 * A kernel that cannot preempt its own code (preempt=none, common on VMs) or a hypervisor that
 * pauses a vCPU can hold up one CPU for several ms; a frame is then late only if both CPUs are
 * held up at once.
 */
class Core {
 public:
  explicit Core(std::shared_ptr<const Tables> tables);
  ~Core();

  /**
   * Starts `threads` pacing threads (pinned one per CPU of the process's when more than one, spread
   * evenly over them) and waits until each has taken the priority it could get.
   */
  void Start(const std::string& priority, int threads);

  int threads() const { return int(threads_.size()); }

  void Stop();

  const std::string& Policy() const { return policy_; }

  /** Every session's socket is registered here for reading (data: session id << 32 | fd). */
  int epoll() const { return epoll_; }

  /** A bound socket as a new session, or the errno of the failure. */
  std::shared_ptr<Session> Open(const std::string& host, int port, Codec codec, bool dtx, bool echo, int* error);

  /** The session leaves the schedule; it is freed once the thread can no longer be ticking it. */
  void Remove(const std::shared_ptr<Session>& session);

  /**
   * When a new stream of `ptimeMs` frames should start, within the next ptime: at the 1 ms phase
   * the fewest running streams fall on, so calls that start together do not all want the thread
   * in the same millisecond of every frame (FrameClock.quietestStart).
   */
  int64_t QuietestStart(int ptimeMs);

  /** Something in the schedule moved: every thread rebuilds its own before it sleeps on. */
  void Wake();

  uint64_t wakeups() const { return wakeups_.load(); }
  /** Wake-ups the kernel delivered more than kLateMs after the frame they were for. */
  uint64_t lateWakeups() const { return wakeLateness_.lateCount(); }
  /** Longest the kernel let a thread oversleep its next frame, and the longest round of sending (ms). */
  double maxWakeLateMs() const { return wakeLateness_.maxMs(); }
  double maxBusyMs() const { return double(maxBusyNs_.load()) / 1e6; }
  double maxLockWaitMs() const { return double(maxLockWaitNs_.load()) / 1e6; }

 private:
  struct Slot {
    int64_t due;
    Session* session;
  };

  void Run(int index, int cpu, std::string priority, std::promise<std::string>& taken);

  std::shared_ptr<const Tables> tables_;
  PiMutex mu_;
  std::vector<std::shared_ptr<Session>> sessions_;
  std::vector<std::shared_ptr<Session>> graveyard_;
  std::vector<std::thread> threads_;
  std::vector<int> wakeFds_;
  std::string policy_;
  std::atomic<bool> stopping_{false};
  /** Bumped by every Wake(): a thread that has not seen the latest rebuilds its schedule. */
  std::atomic<uint64_t> generation_{0};
  uint32_t nextId_ = 1;
  int epoll_ = -1;
  std::atomic<uint64_t> wakeups_{0};
  WakeLateness wakeLateness_;
  std::atomic<int64_t> maxBusyNs_{0};
  std::atomic<int64_t> maxLockWaitNs_{0};
};

}  // namespace parley::rtp

#endif
