// In-process CMU pocketsphinx (the 5prealpha API shipped by Debian/Ubuntu). One Decoder holds
// one ps_decoder_t (acoustic model + language model in memory). decode() runs a whole utterance
// on the libuv thread pool so the event loop (RTP pacing) never waits for recognition; calls on
// one Decoder are serialized by a mutex because ps_decoder_t is not thread-safe.
// begin() / feed() / end() recognize one utterance while it is spoken (also on the thread pool):
// the search keeps up with the audio, so end() has little left to do; partial() reads the words so
// far. The caller must not start the next step before the previous one resolved (the pool may run
// queued work out of order).
#include <napi.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <mutex>
#include <string>
#include <vector>

class Decoder : public Napi::ObjectWrap<Decoder> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = DefineClass(env, "Decoder",
                                    {InstanceMethod("decode", &Decoder::Decode), InstanceMethod("begin", &Decoder::Begin), InstanceMethod("feed", &Decoder::Feed),
                                     InstanceMethod("end", &Decoder::End), InstanceMethod("partial", &Decoder::Partial),
                                     InstanceMethod("close", &Decoder::Close)});
    exports.Set("Decoder", fn);
    return exports;
  }

  Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Decoder>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "options object expected");
    Napi::Object o = info[0].As<Napi::Object>();
    std::string hmm = o.Get("hmm").ToString();
    std::string lm = o.Get("lm").ToString();
    std::string dict = o.Get("dict").ToString();
    std::string rate = o.Has("sampleRate") ? o.Get("sampleRate").ToString().Utf8Value() : std::string("16000");
    err_set_logfp(NULL);
    // fwdflat: the second (flat-lexicon) search pass at the end of an utterance, the bulk of its cost when streamed.
    std::string fwdflat = o.Has("fwdflat") && !o.Get("fwdflat").ToBoolean().Value() ? "no" : "yes";
    config_ = cmd_ln_init(NULL, ps_args(), TRUE, "-hmm", hmm.c_str(), "-lm", lm.c_str(), "-dict", dict.c_str(), "-samprate", rate.c_str(), "-fwdflat", fwdflat.c_str(), NULL);
    if (config_ == NULL) throw Napi::Error::New(env, "pocketsphinx: invalid configuration");
    ps_ = ps_init(config_);
    if (ps_ == NULL) {
      cmd_ln_free_r(config_);
      config_ = NULL;
      throw Napi::Error::New(env, "pocketsphinx: could not load the model (hmm " + hmm + ", lm " + lm + ", dict " + dict + ")");
    }
  }

  ~Decoder() { Free(); }

  std::mutex mutex;
  ps_decoder_t* ps_ = NULL;
  cmd_ln_t* config_ = NULL;

 private:
  void Free() {
    std::lock_guard<std::mutex> lock(mutex);
    if (ps_) ps_free(ps_);
    if (config_) cmd_ln_free_r(config_);
    ps_ = NULL;
    config_ = NULL;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Free();
    return info.Env().Undefined();
  }

  Napi::Value Decode(const Napi::CallbackInfo& info);
  Napi::Value Begin(const Napi::CallbackInfo& info);
  Napi::Value Feed(const Napi::CallbackInfo& info);
  Napi::Value End(const Napi::CallbackInfo& info);
  Napi::Value Partial(const Napi::CallbackInfo& info);
};

/**
 * One step on a decoder: a whole utterance at once (decode), or one step of a streamed one (start it, search more
 * audio, read the hypothesis so far, or end it and read the result).
 */
class DecoderStep : public Napi::AsyncWorker {
 public:
  enum class Step { kWhole, kBegin, kFeed, kPartial, kEnd };
  DecoderStep(Napi::Env env, Decoder* decoder, Napi::Object keep, Step step, std::vector<int16_t>&& pcm)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), decoder_(decoder), step_(step), pcm_(std::move(pcm)) {
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::lock_guard<std::mutex> lock(decoder_->mutex);
    ps_decoder_t* ps = decoder_->ps_;
    if (!ps) return SetError("decoder closed");
    switch (step_) {
      case Step::kWhole:
        if (ps_start_utt(ps) < 0) return SetError("ps_start_utt failed");
        // full_utt: the whole utterance is here, so cepstral mean normalization uses all of it.
        if (!pcm_.empty() && ps_process_raw(ps, pcm_.data(), pcm_.size(), FALSE, TRUE) < 0) {
          ps_end_utt(ps);
          return SetError("ps_process_raw failed");
        }
        ReadHypothesis(ps, true);
        return;
      case Step::kBegin:
        if (ps_start_utt(ps) < 0) SetError("ps_start_utt failed");
        return;
      case Step::kFeed:
        if (!pcm_.empty() && ps_process_raw(ps, pcm_.data(), pcm_.size(), FALSE, FALSE) < 0) SetError("ps_process_raw failed");
        return;
      case Step::kPartial:
        // Mid-utterance: the hypothesis of the forward search so far.
        ReadHypothesis(ps, false);
        return;
      case Step::kEnd:
        ReadHypothesis(ps, true);
        return;
    }
  }

  /** Ends the utterance first (the final passes run) when `end`, then reads its best hypothesis. */
  void ReadHypothesis(ps_decoder_t* ps, bool end) {
    if (end && ps_end_utt(ps) < 0) return SetError("ps_end_utt failed");
    int32 score = 0;
    const char* hyp = ps_get_hyp(ps, &score);
    text_ = hyp ? hyp : "";
    score_ = score;
  }
  void OnOK() override {
    if (step_ == Step::kBegin || step_ == Step::kFeed) return deferred_.Resolve(Env().Undefined());
    Napi::Object r = Napi::Object::New(Env());
    r.Set("text", text_);
    r.Set("score", score_);
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  Decoder* decoder_;
  Step step_;
  std::vector<int16_t> pcm_;
  std::string text_;
  int32 score_ = 0;
};

static Napi::Promise QueueStep(const Napi::CallbackInfo& info, Decoder* d, DecoderStep::Step step, std::vector<int16_t>&& pcm) {
  auto* worker = new DecoderStep(info.Env(), d, info.This().As<Napi::Object>(), step, std::move(pcm));
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

Napi::Value Decoder::Begin(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kBegin, {}); }

static std::vector<int16_t> Samples(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) throw Napi::TypeError::New(info.Env(), "Int16Array expected");
  Napi::Int16Array a = info[0].As<Napi::Int16Array>();
  return std::vector<int16_t>(a.Data(), a.Data() + a.ElementLength());
}

Napi::Value Decoder::Decode(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kWhole, Samples(info)); }

Napi::Value Decoder::Feed(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kFeed, Samples(info)); }

Napi::Value Decoder::End(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kEnd, {}); }

Napi::Value Decoder::Partial(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kPartial, {}); }

Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return Decoder::Init(env, exports); }
NODE_API_MODULE(pocketsphinx_binding, InitAll)
