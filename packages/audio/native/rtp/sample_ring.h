#ifndef PARLEY_RTP_SAMPLE_RING_H
#define PARLEY_RTP_SAMPLE_RING_H

#include <string.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "audio_format.h"

namespace parley::rtp {

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

}  // namespace parley::rtp

#endif
