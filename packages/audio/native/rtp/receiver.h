#ifndef PARLEY_RTP_RECEIVER_H
#define PARLEY_RTP_RECEIVER_H

#include <sys/socket.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley::rtp {

constexpr int kRecvBatch = 32;
constexpr size_t kMaxDatagram = 2048;

/**
 * The caller's side: the packets that arrived on every session's socket, left in the kernel's
 * buffers until JavaScript takes all of them at once, with their kernel arrival times, for its
 * jitter buffers. Used from JavaScript's thread only.
 */
class Receiver {
 public:
  /**
   * Every datagram waiting on any socket registered with `epoll` (data: session id << 32 | fd), as
   * records: u32 session id, u32 source IPv4 address, u16 source port, u16 length, f64 kernel
   * arrival time (ms, the monotonic clock of MonoNs()), then the datagram. Empty when nothing is
   * waiting; valid until the next Drain.
   */
  const std::vector<uint8_t>& Drain(int epoll);

 private:
  std::vector<uint8_t> records_;
  uint8_t buffers_[kRecvBatch][kMaxDatagram];
  uint8_t control_[kRecvBatch][CMSG_SPACE(sizeof(timespec))];
};

}  // namespace parley::rtp

#endif
