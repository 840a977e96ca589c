#include "receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>

namespace parley::rtp {

const std::vector<uint8_t>& Receiver::Drain(int epoll) {
  records_.clear();
  epoll_event events[512];
  const int ready = epoll_wait(epoll, events, 512, 0);
  if (ready <= 0) return records_;
  timespec rt, mono;
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  const double realToMonoMs = (double(mono.tv_sec) - double(rt.tv_sec)) * 1e3 + (double(mono.tv_nsec) - double(rt.tv_nsec)) / 1e6;
  const double nowMs = double(mono.tv_sec) * 1e3 + double(mono.tv_nsec) / 1e6;
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
        const size_t at = records_.size();
        records_.resize(at + 20 + len);
        uint8_t* p = records_.data() + at;
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
  return records_;
}

}  // namespace parley::rtp
