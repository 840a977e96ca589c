// The audio a session sends: 16 kHz PCM from JavaScript, in frames of the far end's ptime.
#ifndef PARLEY_RTP_AUDIO_FORMAT_H
#define PARLEY_RTP_AUDIO_FORMAT_H

#include <cmath>

namespace parley::rtp {

constexpr int kRate = 16000;
constexpr int kMinPtimeMs = 10;
constexpr int kMaxPtimeMs = 60;
constexpr int kMaxFrameSamples = kMaxPtimeMs * kRate / 1000;
/** RTP clock units per ms (8000 Hz for all three codecs; G.722 keeps the 8000 Hz clock). */
constexpr int kUnitsPerMs = 8;

/** JavaScript's Math.round: halves go up. */
inline double RoundHalfUp(double x) {
  double f = std::floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

}  // namespace parley::rtp

#endif
