#include "session.h"

#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

namespace parley::rtp {

Session::Session(uint32_t id, int fd, Codec codec, bool dtx, bool echo, std::shared_ptr<const Tables> tables)
    : id(id), fd_(fd), dtx_(dtx), echoOn_(echo), encoder_(codec, std::move(tables)) {
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
  if (echoOn_) echo_.assign(kEchoCapacity, 0);
  sentMarks_.reserve(64);
}

void Session::Start(int64_t atNs) {
  std::lock_guard<PiMutex> lock(mu_);
  if (closed_ || running.load()) return;
  startNs_ = atNs;
  index_ = 0;
  nextDue.store(atNs);
  running.store(true, std::memory_order_release);
}

int Session::Ptime() {
  std::lock_guard<PiMutex> lock(mu_);
  return ptimeMs_;
}

void Session::SetPtime(int ms) {
  std::lock_guard<PiMutex> lock(mu_);
  if (ms < kMinPtimeMs || ms > kMaxPtimeMs || ms == ptimeMs_) return;
  ptimeMs_ = ms;
  if (running.load()) {
    startNs_ = nextDue.load();
    index_ = 0;
  }
}

bool Session::SetRemote(const sockaddr_in& remote, bool latch) {
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

bool Session::Write(const int16_t* pcm, size_t n, double markId) {
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

void Session::Flush() {
  std::lock_guard<PiMutex> lock(mu_);
  written_ -= ring_.size();
  ring_.Clear();
  marks_.clear();
}

size_t Session::Poll(double* status, size_t statusLen, int16_t* echo, size_t echoLen) {
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

void Session::Close() {
  std::lock_guard<PiMutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  running.store(false);
  close(fd_);
  fd_ = -1;
}

int64_t Session::Tick(int64_t horizon, std::atomic<int64_t>& maxLockWaitNs) {
  const int64_t asked = MonoNs();
  std::lock_guard<PiMutex> lock(mu_);
  const int64_t waited = MonoNs() - asked;
  RaiseTo(maxLockWaitNs, waited);
  return TickLocked(horizon);
}

int64_t Session::TryTick(int64_t horizon) {
  std::unique_lock<PiMutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return kBusy;
  return TickLocked(horizon);
}

/** Frames are counted by slot, so a second call for the same slots (the other thread's) sends nothing. */
int64_t Session::TickLocked(int64_t horizon) {
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

void Session::SendFrame(int64_t nowNs) {
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
  const size_t bytes = encoder_.Encode(audio ? frame_ : nullptr, samples, packet_ + 12);
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

void Session::AppendEcho(const int16_t* pcm, size_t n) {
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
void Session::TrimEcho(size_t samples) {
  if (!echoOn_) return;
  const size_t here = std::min(samples, echoSize_);
  echoSize_ -= here;
  trim_ += samples - here;
}

}  // namespace parley::rtp
