#include "core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

namespace parley::rtp {

Core::Core(std::shared_ptr<const Tables> tables) : tables_(std::move(tables)) { epoll_ = epoll_create1(EPOLL_CLOEXEC); }

Core::~Core() {
  Stop();
  if (epoll_ >= 0) close(epoll_);
  for (int fd : wakeFds_) close(fd);
}

void Core::Start(const std::string& priority, int threads) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0)
    for (int c = 0; c < CPU_SETSIZE; c++)
      if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
  threads = std::max(1, std::min(threads, std::max(1, int(cpus.size()))));
  // Spread over the CPUs, from a start that depends on the process: media processes sharing a large host do not
  // all pin their threads to the same two CPUs.
  const size_t first = cpus.empty() ? 0 : size_t(getpid()) % cpus.size();
  for (int i = 0; i < threads; i++) wakeFds_.push_back(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  for (int i = 0; i < threads; i++) {
    std::promise<std::string> policy;
    std::future<std::string> taken = policy.get_future();
    const int cpu = threads > 1 ? cpus[(first + size_t(i) * cpus.size() / size_t(threads)) % cpus.size()] : -1;
    threads_.emplace_back([this, i, cpu, priority, p = std::move(policy)]() mutable { Run(i, cpu, priority, p); });
    const std::string got = taken.get();
    if (i == 0) policy_ = got;
  }
}

void Core::Stop() {
  if (stopping_.exchange(true)) return;
  Wake();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard<PiMutex> lock(mu_);
    all.swap(sessions_);
    graveyard_.clear();
  }
  for (auto& s : all) s->Close();
}

std::shared_ptr<Session> Core::Open(const std::string& host, int port, Codec codec, bool dtx, bool echo, int* error) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    *error = EINVAL;
    return nullptr;
  }
  if (stopping_.load()) {
    *error = ESHUTDOWN;
    return nullptr;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno;
    return nullptr;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = errno;
    close(fd);
    return nullptr;
  }
  std::lock_guard<PiMutex> lock(mu_);
  auto session = std::make_shared<Session>(nextId_++, fd, codec, dtx, echo, tables_);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = (uint64_t(session->id) << 32) | uint32_t(fd);
  epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  sessions_.push_back(session);
  return session;
}

void Core::Remove(const std::shared_ptr<Session>& session) {
  {
    std::lock_guard<PiMutex> lock(mu_);
    if (session->fd() >= 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, session->fd(), nullptr);
    for (size_t i = 0; i < sessions_.size(); i++) {
      if (sessions_[i] == session) {
        graveyard_.push_back(session);
        sessions_[i] = sessions_.back();
        sessions_.pop_back();
        break;
      }
    }
  }
  Wake();
}

int64_t Core::QuietestStart(int ptimeMs) {
  std::lock_guard<PiMutex> lock(mu_);
  const int64_t now = MonoNs();
  const int64_t period = int64_t(ptimeMs) * 1000000;
  std::vector<int> bins(size_t(ptimeMs), 0);
  for (auto& s : sessions_) {
    if (!s->running.load()) continue;
    int64_t offset = ((s->nextDue.load() - now) % period + period) % period;
    bins[size_t(offset / 1000000) % bins.size()]++;
  }
  size_t best = 0;
  for (size_t i = 1; i < bins.size(); i++)
    if (bins[i] < bins[best]) best = i;
  return now + int64_t(best) * 1000000;
}

void Core::Wake() {
  generation_.fetch_add(1, std::memory_order_acq_rel);
  const uint64_t one = 1;
  for (int fd : wakeFds_) {
    ssize_t ignored = write(fd, &one, sizeof(one));
    (void)ignored;
  }
}

void Core::Run(int index, int cpu, std::string priority, std::promise<std::string>& taken) {
  pthread_setname_np(pthread_self(), index == 0 ? "parley-rtp" : "parley-rtp2");
  if (cpu >= 0) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
  }
  taken.set_value(TakeThreadPriority(priority));
  const int wake = wakeFds_[size_t(index)];
  // The second thread goes through a round's sessions from the other end: the two meet in the
  // middle instead of queueing on the same locks.
  const bool reverse = index % 2 == 1;
  uint64_t seen = UINT64_MAX;
  std::vector<Slot> schedule;
  std::vector<size_t> due;
  std::vector<size_t> busy;
  // Holds the sessions the schedule points to, so that none is freed while it is being ticked.
  std::vector<std::shared_ptr<Session>> held;
  schedule.reserve(1024);
  due.reserve(1024);
  while (!stopping_.load(std::memory_order_acquire)) {
    const uint64_t generation = generation_.load(std::memory_order_acquire);
    if (generation != seen) {
      seen = generation;
      std::lock_guard<PiMutex> lock(mu_);
      held = sessions_;
      graveyard_.clear();
      schedule.clear();
      for (auto& s : held)
        if (s->running.load(std::memory_order_acquire)) schedule.push_back({s->nextDue.load(std::memory_order_acquire), s.get()});
    }
    const int64_t now = MonoNs();
    int64_t earliest = now + 1000000000LL;
    due.clear();
    for (size_t i = 0; i < schedule.size(); i++) {
      if (schedule[i].due <= now + kCoalesceNs) due.push_back(i);
      else if (schedule[i].due < earliest) earliest = schedule[i].due;
    }
    if (!due.empty()) {
      wakeups_.fetch_add(1, std::memory_order_relaxed);
      const int64_t horizon = now + kCoalesceNs;
      busy.clear();
      for (size_t k = 0; k < due.size(); k++) {
        const size_t i = due[reverse ? due.size() - 1 - k : k];
        const int64_t next = schedule[i].session->TryTick(horizon);
        if (next == Session::kBusy) {
          busy.push_back(i);
          continue;
        }
        schedule[i].due = next;
        if (next < earliest) earliest = next;
      }
      // Locked a moment ago, by the other thread (which is sending it) or by JavaScript: waited
      // for now, unless the other thread has already sent what was due.
      for (size_t i : busy) {
        Session* session = schedule[i].session;
        const int64_t sentBy = session->nextDue.load(std::memory_order_acquire);
        const int64_t next = sentBy > horizon ? sentBy : session->Tick(horizon, maxLockWaitNs_);
        schedule[i].due = next;
        if (next < earliest) earliest = next;
      }
    }
    const int64_t busyUntil = MonoNs();
    if (!due.empty()) {
      const int64_t took = busyUntil - now;
      RaiseTo(maxBusyNs_, took);
    }
    const int64_t wait = earliest - busyUntil;
    if (wait <= 0) continue;
    pollfd pfd{wake, POLLIN, 0};
    timespec timeout{time_t(wait / 1000000000LL), long(wait % 1000000000LL)};
    if (ppoll(&pfd, 1, &timeout, nullptr) > 0) {
      uint64_t count;
      ssize_t ignored = read(wake, &count, sizeof(count));
      (void)ignored;
    } else {
      // Woken by the timeout: how late the kernel let us run.
      wakeLateness_.Record(MonoNs() - earliest);
    }
  }
}

}  // namespace parley::rtp
