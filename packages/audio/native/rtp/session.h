#ifndef PARLEY_RTP_SESSION_H
#define PARLEY_RTP_SESSION_H

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "audio_format.h"
#include "payload_encoder.h"
#include "realtime.h"
#include "sample_ring.h"

namespace parley::rtp {

/** Most frames sent back to back after a stall; older slots are skipped (as FramePacer does). */
constexpr int kMaxBurstFrames = 3;
/** With DTX, silent packets still sent after speech before transmission pauses (as RtpSession). */
constexpr int kDtxHangoverPackets = 10;
/** What was sent, kept for poll(): 2 s, far more than JavaScript ever leaves between polls. */
constexpr size_t kEchoCapacity = 2 * kRate;

struct Mark {
  uint64_t position;
  double id;
};

struct SentMark {
  double id;
  double sentMs;
};

/** One call leg: its socket, its outgoing stream's clock, codec state and RTP header fields. */
class Session {
 public:
  Session(uint32_t id, int fd, Codec codec, bool dtx, bool echo, std::shared_ptr<const Tables> tables);

  const uint32_t id;
  std::atomic<bool> running{false};
  std::atomic<int64_t> nextDue{INT64_MAX};

  int fd() const { return fd_; }

  /** Starts the clock: frame 0 at `atNs`. */
  void Start(int64_t atNs);

  int Ptime();

  /** The far end's ptime: packets of that length from the next frame on. */
  void SetPtime(int ms);

  /** Where to send; `latch`: Asterisk sends from there, so connect the socket to it (strict RTP). */
  bool SetRemote(const sockaddr_in& remote, bool latch);

  /**
   * Queues agent audio. Audio arriving while silence goes out starts a talkspurt at once instead
   * of at the next slot (RtpSession.talkspurt): returns true when the schedule moved to now.
   */
  bool Write(const int16_t* pcm, size_t n, double markId);

  /** Drops the audio not yet sent (barge-in). */
  void Flush();

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
  size_t Poll(double* status, size_t statusLen, int16_t* echo, size_t echoLen);

  void Close();

  /** Tick's answer when the session was locked by someone else (the other pacing thread, or JavaScript). */
  static constexpr int64_t kBusy = -1;

  /** On a pacing thread: sends every frame that is due by `horizon`; returns when the next one is. */
  int64_t Tick(int64_t horizon, std::atomic<int64_t>& maxLockWaitNs);

  /** Tick without waiting: kBusy when the session is locked. */
  int64_t TryTick(int64_t horizon);

 private:
  int64_t TickLocked(int64_t horizon);
  void SendFrame(int64_t nowNs);
  void AppendEcho(const int16_t* pcm, size_t n);
  void TrimEcho(size_t samples);

  PiMutex mu_;
  int fd_;
  const bool dtx_;
  const bool echoOn_;
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
  PayloadEncoder encoder_;
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
  uint8_t packet_[12 + kMaxFrameSamples];
};

}  // namespace parley::rtp

#endif
