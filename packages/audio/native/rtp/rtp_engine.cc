// The RTP engine: every call's outgoing audio of one process paced, encoded and sent by one native
// thread, at realtime priority where the system allows it, so that no garbage collection, no
// model inference and no busy event loop can make a frame late. JavaScript hands each call's
// agent audio over as 16 kHz PCM (write) and reads back what was sent (poll); the caller's
// packets stay in the kernel's socket buffers until JavaScript drains all of them at once
// (receive), with their kernel arrival times, for its jitter buffers.
//
// The encoders mirror the TypeScript ones byte for byte (src/codec.ts, src/g722.ts): G.722
// through g722_core.h, the 16 -> 8 kHz filter of narrowband legs with the filter bank JavaScript
// computed, and G.711 through JavaScript's own tables. The tests hold the two to each other.
#include <napi.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../g722/g722_core.h"

namespace {

constexpr int kRate = 16000;
constexpr int kMinPtimeMs = 10;
constexpr int kMaxPtimeMs = 60;
constexpr int kMaxFrameSamples = kMaxPtimeMs * kRate / 1000;
/** RTP clock units per ms (8000 Hz for all three codecs; G.722 keeps the 8000 Hz clock). */
constexpr int kUnitsPerMs = 8;
/** Most frames sent back to back after a stall; older slots are skipped (as FramePacer does). */
constexpr int kMaxBurstFrames = 3;
/** With DTX, silent packets still sent after speech before transmission pauses (as RtpSession). */
constexpr int kDtxHangoverPackets = 10;
constexpr double kLateMs = 5;
/**
 * Frames due within this much of a wake-up go out with it, up to 1 ms early (far below any
 * jitter buffer's notice): the thread wakes at most about once a millisecond however many calls
 * it carries, instead of once per call per frame.
 */
constexpr int64_t kCoalesceNs = 1000000;
/** What was sent, kept for poll(): 2 s, far more than JavaScript ever leaves between polls. */
constexpr size_t kEchoCapacity = 2 * kRate;
constexpr int kRecvBatch = 32;
constexpr size_t kMaxDatagram = 2048;

int64_t MonoNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

/** Raises a shared maximum: both pacing threads write these, and a plain load-then-store could lose the larger. */
void RaiseTo(std::atomic<int64_t>& max, int64_t value) {
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
std::string TakeThreadPriority(const std::string& priority) {
  if (priority == "realtime") {
    sched_param param{};
    param.sched_priority = 10;
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0) return "realtime (SCHED_FIFO 10)";
  }
  if (priority != "normal" && setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), -10) == 0) return "high (nice -10)";
  return "normal";
}

/** JavaScript's Math.round: halves go up. */
double RoundHalfUp(double x) {
  double f = std::floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

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

/** What every session's encoders share, handed over by JavaScript once. */
struct Tables {
  std::vector<uint8_t> ulaw;  // 65536 entries, indexed by sample & 0xffff
  std::vector<uint8_t> alaw;
  int up = 1, down = 2, taps = 0;
  std::vector<float> bank;  // bank[p * taps + j] multiplies x[n - j] for output phase p
  int settlePackets = 8;
};

/** The 16 -> 8 kHz filter of a narrowband leg: Resampler.processInto of src/resample.ts. */
class Decimator {
 public:
  void Init(const Tables* t) {
    t_ = t;
    history_ = t->taps - 1;
    work_.assign(history_ + kMaxFrameSamples, 0.0f);
    position_ = history_;
    phase_ = 0;
  }

  int Process(const int16_t* in, int n, int16_t* out) {
    const int needed = history_ + n;
    for (int i = 0; i < n; i++) work_[history_ + i] = float(in[i]);
    const int up = t_->up, down = t_->down, taps = t_->taps;
    const float* bank = t_->bank.data();
    int position = position_, phase = phase_, written = 0;
    while (position < needed) {
      const float* b = bank + phase * taps;
      double acc = 0;
      for (int j = 0; j < taps; j++) acc += double(b[j]) * double(work_[position - j]);
      out[written++] = acc >= 32767 ? 32767 : acc <= -32768 ? -32768 : int16_t(RoundHalfUp(acc));
      phase += down;
      while (phase >= up) {
        phase -= up;
        position++;
      }
    }
    memmove(work_.data(), work_.data() + n, history_ * sizeof(float));
    position_ = position - n;
    phase_ = phase;
    return written;
  }

 private:
  const Tables* t_ = nullptr;
  std::vector<float> work_;
  int history_ = 0, position_ = 0, phase_ = 0;
};

enum class Codec { G722, Ulaw, Alaw };

struct Mark {
  uint64_t position;
  double id;
};

struct SentMark {
  double id;
  double sentMs;
};

/** Growable ring of 16 kHz samples (the agent audio still to send). */
class SampleRing {
 public:
  size_t size() const { return size_; }

  void Append(const int16_t* pcm, size_t n) {
    if (size_ + n > buf_.size()) Grow(size_ + n);
    const size_t cap = buf_.size();
    size_t tail = (head_ + size_) % cap;
    size_t first = std::min(n, cap - tail);
    memcpy(buf_.data() + tail, pcm, first * sizeof(int16_t));
    memcpy(buf_.data(), pcm + first, (n - first) * sizeof(int16_t));
    size_ += n;
  }

  size_t Take(int16_t* out, size_t n) {
    n = std::min(n, size_);
    if (n == 0) return 0;
    const size_t cap = buf_.size();
    size_t first = std::min(n, cap - head_);
    memcpy(out, buf_.data() + head_, first * sizeof(int16_t));
    memcpy(out + first, buf_.data(), (n - first) * sizeof(int16_t));
    head_ = (head_ + n) % cap;
    size_ -= n;
    return n;
  }

  void Clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  void Grow(size_t need) {
    size_t cap = std::max<size_t>(buf_.size() * 2, kRate);
    while (cap < need) cap *= 2;
    std::vector<int16_t> next(cap);
    const size_t n = size_;
    Take(next.data(), n);
    buf_.swap(next);
    head_ = 0;
    size_ = n;
  }

  std::vector<int16_t> buf_;
  size_t head_ = 0, size_ = 0;
};

/** One call leg: its socket, its outgoing stream's clock, codec state and RTP header fields. */
class Session {
 public:
  Session(uint32_t id, int fd, Codec codec, bool dtx, bool echo, std::shared_ptr<const Tables> tables)
      : id(id), fd_(fd), codec_(codec), dtx_(dtx), echoOn_(echo), tables_(std::move(tables)) {
    // Random SSRC, first sequence number and timestamp, as RFC 3550 asks.
    uint8_t r[10];
    if (getrandom(r, sizeof(r), 0) != ssize_t(sizeof(r))) {
      const int64_t t = MonoNs();
      for (size_t i = 0; i < sizeof(r); i++) r[i] = uint8_t((t >> (8 * (i % 8))) ^ (id * 131 + i));
    }
    ssrc_ = (uint32_t(r[0]) << 24) | (uint32_t(r[1]) << 16) | (uint32_t(r[2]) << 8) | r[3];
    seq_ = uint16_t((r[4] << 8) | r[5]);
    ts_ = (uint32_t(r[6]) << 24) | (uint32_t(r[7]) << 16) | (uint32_t(r[8]) << 8) | r[9];
    payloadType_ = codec == Codec::G722 ? 9 : codec == Codec::Ulaw ? 0 : 8;
    memset(g722_, 0, sizeof(g722_));
    g722_[LOWER + DET] = 32;
    g722_[UPPER + DET] = 8;
    g722_[POS] = QMF_TAPS - 2;
    if (codec != Codec::G722) decimator_.Init(tables_.get());
    if (echoOn_) echo_.assign(kEchoCapacity, 0);
    sentMarks_.reserve(64);
  }

  const uint32_t id;
  std::atomic<bool> running{false};
  std::atomic<int64_t> nextDue{INT64_MAX};

  int fd() const { return fd_; }

  /** Starts the clock: frame 0 at `atNs`. */
  void Start(int64_t atNs) {
    std::lock_guard<PiMutex> lock(mu_);
    if (closed_ || running.load()) return;
    startNs_ = atNs;
    index_ = 0;
    nextDue.store(atNs);
    running.store(true, std::memory_order_release);
  }

  int Ptime() {
    std::lock_guard<PiMutex> lock(mu_);
    return ptimeMs_;
  }

  /** The far end's ptime: packets of that length from the next frame on. */
  void SetPtime(int ms) {
    std::lock_guard<PiMutex> lock(mu_);
    if (ms < kMinPtimeMs || ms > kMaxPtimeMs || ms == ptimeMs_) return;
    ptimeMs_ = ms;
    if (running.load()) {
      startNs_ = nextDue.load();
      index_ = 0;
    }
  }

  /** Where to send; `latch`: Asterisk sends from there, so connect the socket to it (strict RTP). */
  bool SetRemote(const sockaddr_in& remote, bool latch) {
    std::lock_guard<PiMutex> lock(mu_);
    if (closed_) return false;
    remote_ = remote;
    hasRemote_ = true;
    if (latch) {
      heard_ = true;
      connected_ = connect(fd_, reinterpret_cast<const sockaddr*>(&remote), sizeof(remote)) == 0;
    }
    return true;
  }

  /**
   * Queues agent audio. Audio arriving while silence goes out starts a talkspurt at once instead
   * of at the next slot (RtpSession.talkspurt): returns true when the schedule moved to now.
   */
  bool Write(const int16_t* pcm, size_t n, double markId) {
    std::lock_guard<PiMutex> lock(mu_);
    if (closed_ || n == 0) return false;
    const bool idle = ring_.size() == 0;
    if (markId != 0) marks_.push_back({written_, markId});
    ring_.Append(pcm, n);
    written_ += n;
    if (!idle || !running.load() || !lastSentSilence_ || !hasRemote_) return false;
    const int64_t now = MonoNs();
    const int64_t since = now - lastTickNs_;
    const int64_t period = int64_t(ptimeMs_) * 1000000;
    if (since < 0 || since >= period) return false;
    const double sinceMs = double(since) / 1e6;
    TrimEcho(size_t(RoundHalfUp((ptimeMs_ - sinceMs) * (kRate / 1000))));
    ts_ += uint32_t(RoundHalfUp(sinceMs * kUnitsPerMs));
    marker_ = true;
    startNs_ = now;
    index_ = 0;
    nextDue.store(now);
    return true;
  }

  /** Drops the audio not yet sent (barge-in). */
  void Flush() {
    std::lock_guard<PiMutex> lock(mu_);
    written_ -= ring_.size();
    ring_.Clear();
    marks_.clear();
  }

  enum Status {
    kQueued = 0,
    kEchoSamples,
    kTrim,
    kPacketsOut,
    kTicks,
    kLateFrames,
    kMaxLatenessMs,
    kSuppressed,
    kSkipped,
    kPtime,
    kSendErrors,
    kEchoDropped,
    kMarks,
    kFirstMark = 16
  };

  /**
   * What happened since the last poll, into `status` (see Status; then [id, sentMs] per mark
   * that went out) and the audio sent since then (or silence for slots without audio) into `echo`.
   * Returns the samples copied into echo.
   */
  size_t Poll(double* status, size_t statusLen, int16_t* echo, size_t echoLen) {
    std::lock_guard<PiMutex> lock(mu_);
    size_t n = std::min(echoSize_, echoLen);
    for (size_t i = 0; i < n;) {
      size_t run = std::min(n - i, kEchoCapacity - echoHead_);
      memcpy(echo + i, echo_.data() + echoHead_, run * sizeof(int16_t));
      echoHead_ = (echoHead_ + run) % kEchoCapacity;
      i += run;
    }
    echoSize_ -= n;
    status[kQueued] = double(ring_.size());
    status[kEchoSamples] = double(n);
    status[kTrim] = double(trim_);
    trim_ = 0;
    status[kPacketsOut] = double(packetsOut_);
    status[kTicks] = double(ticks_);
    status[kLateFrames] = double(lateFrames_);
    status[kMaxLatenessMs] = maxLatenessMs_;
    status[kSuppressed] = double(suppressed_);
    status[kSkipped] = double(skipped_);
    status[kPtime] = ptimeMs_;
    status[kSendErrors] = double(sendErrors_);
    status[kEchoDropped] = double(echoDropped_);
    size_t room = statusLen > kFirstMark ? (statusLen - kFirstMark) / 2 : 0;
    size_t k = std::min(room, sentMarks_.size());
    for (size_t i = 0; i < k; i++) {
      status[kFirstMark + 2 * i] = sentMarks_[i].id;
      status[kFirstMark + 2 * i + 1] = sentMarks_[i].sentMs;
    }
    sentMarks_.erase(sentMarks_.begin(), sentMarks_.begin() + k);
    status[kMarks] = double(k);
    return n;
  }

  void Close() {
    std::lock_guard<PiMutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    running.store(false);
    close(fd_);
    fd_ = -1;
  }

  /** Tick's answer when the session was locked by someone else (the other pacing thread, or JavaScript). */
  static constexpr int64_t kBusy = -1;

  /** On a pacing thread: sends every frame that is due by `horizon`; returns when the next one is. */
  int64_t Tick(int64_t horizon, std::atomic<int64_t>& maxLockWaitNs) {
    const int64_t asked = MonoNs();
    std::lock_guard<PiMutex> lock(mu_);
    const int64_t waited = MonoNs() - asked;
    RaiseTo(maxLockWaitNs, waited);
    return TickLocked(horizon);
  }

  /** Tick without waiting: kBusy when the session is locked. */
  int64_t TryTick(int64_t horizon) {
    std::unique_lock<PiMutex> lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) return kBusy;
    return TickLocked(horizon);
  }

 private:
  /** Frames are counted by slot, so a second call for the same slots (the other thread's) sends nothing. */
  int64_t TickLocked(int64_t horizon) {
    if (closed_ || !running.load()) return INT64_MAX;
    const int64_t period = int64_t(ptimeMs_) * 1000000;
    if (horizon < startNs_) return startNs_;
    const int64_t due = (horizon - startNs_) / period + 1;
    if (due - index_ > kMaxBurstFrames) {
      const int64_t skip = due - index_ - kMaxBurstFrames;
      index_ += skip;
      skipped_ += uint64_t(skip);
      ts_ += uint32_t(skip * ptimeMs_ * kUnitsPerMs);
      marker_ = true;
    }
    while (index_ < due) {
      const int64_t scheduled = startNs_ + index_ * period;
      index_++;
      const int64_t sentAt = MonoNs();
      const double lateness = std::max(0.0, double(sentAt - scheduled) / 1e6);
      ticks_++;
      if (lateness > kLateMs) lateFrames_++;
      if (lateness > maxLatenessMs_) maxLatenessMs_ = lateness;
      lastTickNs_ = sentAt;
      SendFrame(sentAt);
    }
    const int64_t next = startNs_ + index_ * period;
    nextDue.store(next, std::memory_order_release);
    return next;
  }

  void SendFrame(int64_t nowNs) {
    const int samples = ptimeMs_ * kRate / 1000;
    const size_t took = ring_.Take(frame_, size_t(samples));
    const bool audio = took > 0;
    if (audio) {
      if (took < size_t(samples)) memset(frame_ + took, 0, (samples - took) * sizeof(int16_t));
      const uint64_t end = played_ + took;
      while (!marks_.empty() && marks_.front().position < end) {
        sentMarks_.push_back({marks_.front().id, double(nowNs) / 1e6});
        marks_.pop_front();
      }
      played_ = end;
    }
    lastSentSilence_ = !audio;
    silentPackets_ = audio ? 0 : silentPackets_ + 1;
    AppendEcho(audio ? frame_ : nullptr, size_t(samples));
    if (!audio && dtx_ && heard_ && silentPackets_ > kDtxHangoverPackets) {
      ts_ += uint32_t(ptimeMs_ * kUnitsPerMs);
      marker_ = true;
      suppressed_++;
      return;
    }
    if (!hasRemote_) return;
    const size_t bytes = Encode(audio ? frame_ : nullptr, samples, packet_ + 12);
    packet_[0] = 0x80;
    packet_[1] = uint8_t((marker_ ? 0x80 : 0) | payloadType_);
    packet_[2] = uint8_t(seq_ >> 8);
    packet_[3] = uint8_t(seq_);
    packet_[4] = uint8_t(ts_ >> 24);
    packet_[5] = uint8_t(ts_ >> 16);
    packet_[6] = uint8_t(ts_ >> 8);
    packet_[7] = uint8_t(ts_);
    packet_[8] = uint8_t(ssrc_ >> 24);
    packet_[9] = uint8_t(ssrc_ >> 16);
    packet_[10] = uint8_t(ssrc_ >> 8);
    packet_[11] = uint8_t(ssrc_);
    marker_ = false;
    seq_++;
    ts_ += uint32_t(ptimeMs_ * kUnitsPerMs);
    ssize_t sent = connected_ ? send(fd_, packet_, 12 + bytes, MSG_DONTWAIT)
                              : sendto(fd_, packet_, 12 + bytes, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&remote_), sizeof(remote_));
    if (sent < 0) sendErrors_++;
    packetsOut_++;
  }

  /** One payload: `pcm` (16 kHz) encoded, or silence when null. */
  size_t Encode(const int16_t* pcm, int samples, uint8_t* out) {
    if (codec_ == Codec::G722) {
      const size_t bytes = size_t(samples / 2);
      if (pcm) {
        resting_ = false;
        g722_encode(g722_, pcm, size_t(samples), out);
      } else if (resting_) {
        memset(out, G722_REST_CODE, bytes);
      } else {
        resting_ = !g722_rest(g722_, bytes, out);
      }
      return bytes;
    }
    const uint8_t* law = codec_ == Codec::Ulaw ? tables_->ulaw.data() : tables_->alaw.data();
    if (!pcm && settled_ >= tables_->settlePackets) {
      memset(out, law[0], size_t(samples / 2));
      return size_t(samples / 2);
    }
    if (pcm) {
      settled_ = 0;
    } else {
      // Zeros go through the filter until the tail of the last speech has left its memory.
      settled_++;
      memset(silence_, 0, samples * sizeof(int16_t));
      pcm = silence_;
    }
    const int n = decimator_.Process(pcm, samples, narrow_);
    for (int i = 0; i < n; i++) out[i] = law[uint16_t(narrow_[i])];
    return size_t(n);
  }

  void AppendEcho(const int16_t* pcm, size_t n) {
    if (!echoOn_) return;
    if (echoSize_ + n > kEchoCapacity) {
      const size_t drop = echoSize_ + n - kEchoCapacity;
      echoHead_ = (echoHead_ + drop) % kEchoCapacity;
      echoSize_ -= drop;
      echoDropped_ += drop;
    }
    size_t tail = (echoHead_ + echoSize_) % kEchoCapacity;
    for (size_t i = 0; i < n;) {
      size_t run = std::min(n - i, kEchoCapacity - tail);
      if (pcm) memcpy(echo_.data() + tail, pcm + i, run * sizeof(int16_t));
      else memset(echo_.data() + tail, 0, run * sizeof(int16_t));
      tail = (tail + run) % kEchoCapacity;
      i += run;
    }
    echoSize_ += n;
  }

  /** A talkspurt cut the last silent frame short: its unplayed samples come off the echo (later from what JS took). */
  void TrimEcho(size_t samples) {
    if (!echoOn_) return;
    const size_t here = std::min(samples, echoSize_);
    echoSize_ -= here;
    trim_ += samples - here;
  }

  PiMutex mu_;
  int fd_;
  const Codec codec_;
  const bool dtx_;
  const bool echoOn_;
  std::shared_ptr<const Tables> tables_;
  bool closed_ = false;
  uint8_t payloadType_;
  // The clock: frame n is due at startNs_ + n * ptime.
  int64_t startNs_ = 0;
  int64_t index_ = 0;
  int64_t lastTickNs_ = 0;
  int ptimeMs_ = 20;
  // RTP header fields.
  uint16_t seq_;
  uint32_t ts_;
  uint32_t ssrc_;
  bool marker_ = true;
  // Where to send.
  sockaddr_in remote_{};
  bool hasRemote_ = false;
  bool connected_ = false;
  bool heard_ = false;
  // Agent audio and the marks in it (positions in the stream of samples written).
  SampleRing ring_;
  uint64_t written_ = 0;
  uint64_t played_ = 0;
  std::deque<Mark> marks_;
  std::vector<SentMark> sentMarks_;
  bool lastSentSilence_ = true;
  int silentPackets_ = 0;
  // Encoders.
  int32_t g722_[CODEC_STATE_SLOTS];
  bool resting_ = false;
  Decimator decimator_;
  int settled_ = 0;
  // What was sent, for the recording.
  std::vector<int16_t> echo_;
  size_t echoHead_ = 0, echoSize_ = 0;
  uint64_t echoDropped_ = 0;
  uint64_t trim_ = 0;
  // Stats.
  uint64_t ticks_ = 0, packetsOut_ = 0, lateFrames_ = 0, suppressed_ = 0, skipped_ = 0, sendErrors_ = 0;
  double maxLatenessMs_ = 0;
  // Scratch.
  int16_t frame_[kMaxFrameSamples];
  int16_t silence_[kMaxFrameSamples];
  int16_t narrow_[kMaxFrameSamples];
  uint8_t packet_[12 + kMaxFrameSamples];
};

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
  explicit Core(std::shared_ptr<const Tables> tables) : tables_(std::move(tables)) { epoll_ = epoll_create1(EPOLL_CLOEXEC); }

  ~Core() {
    Stop();
    if (epoll_ >= 0) close(epoll_);
    for (int fd : wakeFds_) close(fd);
  }

  /**
   * Starts `threads` pacing threads (pinned one per CPU of the process's when more than one, spread
   * evenly over them) and waits until each has taken the priority it could get.
   */
  void Start(const std::string& priority, int threads) {
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

  int threads() const { return int(threads_.size()); }

  void Stop() {
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

  const std::string& Policy() const { return policy_; }

  int epoll() const { return epoll_; }

  /** A bound socket as a new session, or the errno of the failure. */
  std::shared_ptr<Session> Open(const std::string& host, int port, Codec codec, bool dtx, bool echo, int* error) {
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

  /** The session leaves the schedule; it is freed once the thread can no longer be ticking it. */
  void Remove(const std::shared_ptr<Session>& session) {
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

  /**
   * When a new stream of `ptimeMs` frames should start, within the next ptime: at the 1 ms phase
   * the fewest running streams fall on, so calls that start together do not all want the thread
   * in the same millisecond of every frame (FrameClock.quietestStart).
   */
  int64_t QuietestStart(int ptimeMs) {
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

  /** Something in the schedule moved: every thread rebuilds its own before it sleeps on. */
  void Wake() {
    generation_.fetch_add(1, std::memory_order_acq_rel);
    const uint64_t one = 1;
    for (int fd : wakeFds_) {
      ssize_t ignored = write(fd, &one, sizeof(one));
      (void)ignored;
    }
  }

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

  void Run(int index, int cpu, std::string priority, std::promise<std::string>& taken) {
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

struct AddonData {
  Napi::FunctionReference session;
};

Codec CodecFromPayloadType(int pt) {
  if (pt == 9) return Codec::G722;
  if (pt == 0) return Codec::Ulaw;
  if (pt == 8) return Codec::Alaw;
  throw std::invalid_argument("payload type must be 0 (ulaw), 8 (alaw) or 9 (g722)");
}

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RtpEngineSession",
                       {InstanceAccessor<&SessionWrap::Id>("id"), InstanceMethod<&SessionWrap::StartClock>("start"),
                        InstanceMethod<&SessionWrap::SetRemote>("setRemote"), InstanceMethod<&SessionWrap::SetPtime>("setPtime"),
                        InstanceAccessor<&SessionWrap::PtimeMs>("ptimeMs"), InstanceMethod<&SessionWrap::Write>("write"),
                        InstanceMethod<&SessionWrap::Flush>("flush"), InstanceMethod<&SessionWrap::Poll>("poll"),
                        InstanceMethod<&SessionWrap::Close>("close")});
  }

  SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
    if (info.Length() < 2 || !info[0].IsExternal() || !info[1].IsExternal())
      throw Napi::TypeError::New(info.Env(), "sessions come from RtpEngine.open()");
    session_ = *info[0].As<Napi::External<std::shared_ptr<Session>>>().Data();
    core_ = *info[1].As<Napi::External<std::shared_ptr<Core>>>().Data();
  }

  ~SessionWrap() { CloseSession(); }

 private:
  Napi::Value Id(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), session_->id); }

  Napi::Value PtimeMs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), session_->Ptime()); }

  Napi::Value StartClock(const Napi::CallbackInfo& info) {
    if (closed_) return info.Env().Undefined();
    session_->Start(core_->QuietestStart(session_->Ptime()));
    core_->Wake();
    return info.Env().Undefined();
  }

  Napi::Value SetRemote(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "setRemote(address: string, port: number, latch: boolean)");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(info[1].As<Napi::Number>().Uint32Value()));
    if (inet_pton(AF_INET, info[0].As<Napi::String>().Utf8Value().c_str(), &addr.sin_addr) != 1) throw Napi::RangeError::New(env, "setRemote: not an IPv4 address");
    return Napi::Boolean::New(env, !closed_ && session_->SetRemote(addr, info[2].ToBoolean()));
  }

  Napi::Value SetPtime(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setPtime(ms: number)");
    session_->SetPtime(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array)
      throw Napi::TypeError::New(env, "write(pcm: Int16Array, markId?: number)");
    Napi::Int16Array pcm = info[0].As<Napi::Int16Array>();
    double mark = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
    if (!closed_ && session_->Write(pcm.Data(), pcm.ElementLength(), mark)) core_->Wake();
    return env.Undefined();
  }

  Napi::Value Flush(const Napi::CallbackInfo& info) {
    session_->Flush();
    return info.Env().Undefined();
  }

  Napi::Value Poll(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array)
      throw Napi::TypeError::New(env, "poll(status: Float64Array, echo: Int16Array)");
    Napi::Float64Array status = info[0].As<Napi::Float64Array>();
    Napi::Int16Array echo = info[1].As<Napi::Int16Array>();
    if (status.ElementLength() < Session::kFirstMark) throw Napi::RangeError::New(env, "poll: status needs at least 16 slots");
    return Napi::Number::New(env, double(session_->Poll(status.Data(), status.ElementLength(), echo.Data(), echo.ElementLength())));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseSession();
    return info.Env().Undefined();
  }

  void CloseSession() {
    if (closed_) return;
    closed_ = true;
    core_->Remove(session_);
    session_->Close();
  }

  std::shared_ptr<Session> session_;
  std::shared_ptr<Core> core_;
  bool closed_ = false;
};

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RtpEngine",
                       {InstanceMethod<&EngineWrap::Open>("open"), InstanceMethod<&EngineWrap::Receive>("receive"),
                        InstanceMethod<&EngineWrap::MonotonicMs>("monotonicMs"), InstanceAccessor<&EngineWrap::Policy>("scheduling"),
                        InstanceAccessor<&EngineWrap::Stats>("stats"), InstanceMethod<&EngineWrap::Close>("close")});
  }

  EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "new RtpEngine(options)");
    Napi::Object o = info[0].As<Napi::Object>();
    auto tables = std::make_shared<Tables>();
    tables->ulaw = Bytes(env, o.Get("ulaw"), 65536, "ulaw: Uint8Array(65536)");
    tables->alaw = Bytes(env, o.Get("alaw"), 65536, "alaw: Uint8Array(65536)");
    Napi::Value nb = o.Get("narrowband");
    if (!nb.IsObject()) throw Napi::TypeError::New(env, "narrowband: { up, down, taps, bank: Float32Array }");
    Napi::Object f = nb.As<Napi::Object>();
    tables->up = f.Get("up").ToNumber().Int32Value();
    tables->down = f.Get("down").ToNumber().Int32Value();
    tables->taps = f.Get("taps").ToNumber().Int32Value();
    Napi::Value bank = f.Get("bank");
    if (!bank.IsTypedArray() || bank.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) throw Napi::TypeError::New(env, "narrowband.bank: Float32Array");
    Napi::Float32Array b = bank.As<Napi::Float32Array>();
    if (tables->up < 1 || tables->down < 1 || tables->taps < 1 || b.ElementLength() != size_t(tables->up * tables->taps))
      throw Napi::RangeError::New(env, "narrowband: bank must hold up * taps coefficients");
    tables->bank.assign(b.Data(), b.Data() + b.ElementLength());
    tables->settlePackets = o.Get("settlePackets").ToNumber().Int32Value();
    std::string priority = o.Has("priority") ? o.Get("priority").ToString().Utf8Value() : std::string("realtime");
    const int threads = o.Has("threads") ? o.Get("threads").ToNumber().Int32Value() : 2;
    core_ = std::make_shared<Core>(tables);
    core_->Start(priority, threads);
    // The thread must not outlive the environment (a worker thread's, or the process's at exit).
    env.AddCleanupHook([core = core_] { core->Stop(); });
  }

  ~EngineWrap() {
    if (core_) core_->Stop();
  }

 private:
  static std::vector<uint8_t> Bytes(Napi::Env env, Napi::Value v, size_t length, const char* what) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || v.As<Napi::Uint8Array>().ElementLength() != length)
      throw Napi::TypeError::New(env, what);
    Napi::Uint8Array a = v.As<Napi::Uint8Array>();
    return std::vector<uint8_t>(a.Data(), a.Data() + length);
  }

  /** open({ host, port, payloadType, dtx, echo }): a session, or an Error with the errno's code (EADDRINUSE...). */
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "open({ host, port, payloadType, dtx, echo })");
    Napi::Object o = info[0].As<Napi::Object>();
    Codec codec;
    try {
      codec = CodecFromPayloadType(o.Get("payloadType").ToNumber().Int32Value());
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(env, e.what());
    }
    int error = 0;
    auto session = core_->Open(o.Get("host").ToString().Utf8Value(), o.Get("port").ToNumber().Int32Value(), codec, o.Get("dtx").ToBoolean(),
                               o.Get("echo").ToBoolean(), &error);
    if (!session) {
      Napi::Error err = Napi::Error::New(env, std::string("cannot bind an RTP socket: ") + strerror(error));
      const char* code = error == EADDRINUSE ? "EADDRINUSE" : error == EACCES ? "EACCES" : error == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "EOTHER";
      err.Set("code", Napi::String::New(env, code));
      throw err;
    }
    AddonData* data = env.GetInstanceData<AddonData>();
    return data->session.New({Napi::External<std::shared_ptr<Session>>::New(env, new std::shared_ptr<Session>(session),
                                                                            [](Napi::Env, std::shared_ptr<Session>* p) { delete p; }),
                              Napi::External<std::shared_ptr<Core>>::New(env, new std::shared_ptr<Core>(core_),
                                                                         [](Napi::Env, std::shared_ptr<Core>* p) { delete p; })});
  }

  /**
   * Every datagram waiting on any session's socket, as one buffer of records: u32 session id,
   * u32 source IPv4 address, u16 source port, u16 length, f64 kernel arrival time (ms, the
   * monotonic clock of monotonicMs()), then the datagram. Undefined when nothing is waiting.
   */
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    epoll_event events[512];
    const int ready = epoll_wait(core_->epoll(), events, 512, 0);
    if (ready <= 0) return env.Undefined();
    timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    const double realToMonoMs = (double(mono.tv_sec) - double(rt.tv_sec)) * 1e3 + (double(mono.tv_nsec) - double(rt.tv_nsec)) / 1e6;
    const double nowMs = double(mono.tv_sec) * 1e3 + double(mono.tv_nsec) / 1e6;
    rx_.clear();
    for (int e = 0; e < ready; e++) {
      const uint32_t id = uint32_t(events[e].data.u64 >> 32);
      const int fd = int(uint32_t(events[e].data.u64));
      for (;;) {
        mmsghdr msgs[kRecvBatch];
        iovec iov[kRecvBatch];
        sockaddr_in from[kRecvBatch];
        memset(msgs, 0, sizeof(msgs));
        for (int i = 0; i < kRecvBatch; i++) {
          iov[i].iov_base = buffers_[i];
          iov[i].iov_len = kMaxDatagram;
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
          msgs[i].msg_hdr.msg_name = &from[i];
          msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
          msgs[i].msg_hdr.msg_control = control_[i];
          msgs[i].msg_hdr.msg_controllen = sizeof(control_[i]);
        }
        const int got = recvmmsg(fd, msgs, kRecvBatch, MSG_DONTWAIT, nullptr);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (int i = 0; i < got; i++) {
          if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
          double arrivedMs = nowMs;
          for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
              timespec ts;
              memcpy(&ts, CMSG_DATA(c), sizeof(ts));
              arrivedMs = double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6 + realToMonoMs;
            }
          }
          const uint16_t len = uint16_t(msgs[i].msg_len);
          const size_t at = rx_.size();
          rx_.resize(at + 20 + len);
          uint8_t* p = rx_.data() + at;
          const uint32_t addr = ntohl(from[i].sin_addr.s_addr);
          const uint16_t port = ntohs(from[i].sin_port);
          memcpy(p, &id, 4);
          memcpy(p + 4, &addr, 4);
          memcpy(p + 8, &port, 2);
          memcpy(p + 10, &len, 2);
          memcpy(p + 12, &arrivedMs, 8);
          memcpy(p + 20, buffers_[i], len);
        }
        if (got < kRecvBatch) break;
      }
    }
    if (rx_.empty()) return env.Undefined();
    return Napi::Buffer<uint8_t>::Copy(env, rx_.data(), rx_.size());
  }

  Napi::Value MonotonicMs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(MonoNs()) / 1e6); }

  Napi::Value Policy(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), core_->Policy()); }

  /** { threads, wakeups, lateWakeups, maxWakeLateMs, maxBusyMs, maxLockWaitMs }: how the pacing threads have been keeping time. */
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("threads", core_->threads());
    o.Set("wakeups", double(core_->wakeups()));
    o.Set("lateWakeups", double(core_->lateWakeups()));
    o.Set("maxWakeLateMs", core_->maxWakeLateMs());
    o.Set("maxBusyMs", core_->maxBusyMs());
    o.Set("maxLockWaitMs", core_->maxLockWaitMs());
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    core_->Stop();
    return info.Env().Undefined();
  }

  std::shared_ptr<Core> core_;
  std::vector<uint8_t> rx_;
  uint8_t buffers_[kRecvBatch][kMaxDatagram];
  uint8_t control_[kRecvBatch][CMSG_SPACE(sizeof(timespec))];
};

/**
 * A thread that does nothing but wake every millisecond on an absolute schedule, at the priority
 * the engine takes: how late the machine itself lets a realtime thread run. The benchmark runs it
 * beside the engine as the baseline for the engine's late frames.
 */
class WakeProbe {
 public:
  static constexpr int64_t kPeriodNs = 1000000;

  explicit WakeProbe(const std::string& priority) {
    std::promise<std::string> taken;
    std::future<std::string> policy = taken.get_future();
    thread_ = std::thread([this, priority, p = std::move(taken)]() mutable { Run(priority, p); });
    policy_ = policy.get();
  }

  ~WakeProbe() { Stop(); }

  void Stop() {
    if (stopping_.exchange(true)) return;
    if (thread_.joinable()) thread_.join();
  }

  const std::string& Policy() const { return policy_; }
  uint64_t wakeups() const { return wakeups_.load(); }
  uint64_t lateWakeups() const { return lateness_.lateCount(); }
  double maxLateMs() const { return lateness_.maxMs(); }

 private:
  void Run(const std::string& priority, std::promise<std::string>& taken) {
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

  std::thread thread_;
  std::string policy_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> wakeups_{0};
  WakeLateness lateness_;
};

class WakeProbeWrap : public Napi::ObjectWrap<WakeProbeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "WakeProbe",
                       {InstanceAccessor<&WakeProbeWrap::Policy>("scheduling"), InstanceAccessor<&WakeProbeWrap::Stats>("stats"),
                        InstanceMethod<&WakeProbeWrap::Close>("close")});
  }

  /** new WakeProbe(priority?: 'realtime' | 'high' | 'normal') */
  WakeProbeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WakeProbeWrap>(info) {
    std::string priority = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string("realtime");
    probe_ = std::make_shared<WakeProbe>(priority);
    // The thread must not outlive the environment.
    info.Env().AddCleanupHook([probe = probe_] { probe->Stop(); });
  }

  ~WakeProbeWrap() { probe_->Stop(); }

 private:
  Napi::Value Policy(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), probe_->Policy()); }

  /** { wakeups, lateWakeups (later than 5 ms), maxLateMs }. */
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("wakeups", double(probe_->wakeups()));
    o.Set("lateWakeups", double(probe_->lateWakeups()));
    o.Set("maxLateMs", probe_->maxLateMs());
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    probe_->Stop();
    return info.Env().Undefined();
  }

  std::shared_ptr<WakeProbe> probe_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->session = Napi::Persistent(SessionWrap::Define(env));
  env.SetInstanceData<AddonData>(data);
  exports.Set("RtpEngine", EngineWrap::Define(env));
  exports.Set("WakeProbe", WakeProbeWrap::Define(env));
  exports.Set("stateSlots", Napi::Number::New(env, CODEC_STATE_SLOTS));
  return exports;
}

}  // namespace

NODE_API_MODULE(parley_rtp, Init)
