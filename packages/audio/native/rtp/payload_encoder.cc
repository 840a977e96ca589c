#include "payload_encoder.h"

#include <string.h>

namespace parley::rtp {

void Decimator::Init(const Tables* t) {
  t_ = t;
  history_ = t->taps - 1;
  work_.assign(history_ + kMaxFrameSamples, 0.0f);
  position_ = history_;
  phase_ = 0;
}

int Decimator::Process(const int16_t* in, int n, int16_t* out) {
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

PayloadEncoder::PayloadEncoder(Codec codec, std::shared_ptr<const Tables> tables) : codec_(codec), tables_(std::move(tables)) {
  memset(g722_, 0, sizeof(g722_));
  g722_[LOWER + DET] = 32;
  g722_[UPPER + DET] = 8;
  g722_[POS] = QMF_TAPS - 2;
  if (codec != Codec::G722) decimator_.Init(tables_.get());
}

size_t PayloadEncoder::Encode(const int16_t* pcm, int samples, uint8_t* out) {
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

}  // namespace parley::rtp
