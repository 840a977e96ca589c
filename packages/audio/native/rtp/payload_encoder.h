// A session's encoder: its frames of 16 kHz PCM (or silence) as G.722, G.711 u-law or A-law
// payloads, byte for byte what the TypeScript encoders make of them (src/codec.ts, src/g722.ts):
// G.722 through g722_core.h, the 16 -> 8 kHz filter of narrowband legs with the filter bank
// JavaScript computed, and G.711 through JavaScript's own tables.
#ifndef PARLEY_RTP_PAYLOAD_ENCODER_H
#define PARLEY_RTP_PAYLOAD_ENCODER_H

#include <cstdint>
#include <memory>
#include <vector>

#include "../g722/g722_core.h"
#include "audio_format.h"

namespace parley::rtp {

enum class Codec { G722, Ulaw, Alaw };

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
  void Init(const Tables* t);
  int Process(const int16_t* in, int n, int16_t* out);

 private:
  const Tables* t_ = nullptr;
  std::vector<float> work_;
  int history_ = 0, position_ = 0, phase_ = 0;
};

class PayloadEncoder {
 public:
  PayloadEncoder(Codec codec, std::shared_ptr<const Tables> tables);

  /** One payload: `pcm` (16 kHz) encoded, or silence when null. */
  size_t Encode(const int16_t* pcm, int samples, uint8_t* out);

 private:
  const Codec codec_;
  std::shared_ptr<const Tables> tables_;
  int32_t g722_[CODEC_STATE_SLOTS];
  bool resting_ = false;
  Decimator decimator_;
  int settled_ = 0;
  int16_t silence_[kMaxFrameSamples];
  int16_t narrow_[kMaxFrameSamples];
};

}  // namespace parley::rtp

#endif
