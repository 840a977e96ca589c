// In-process CMU pocketsphinx (the 5prealpha API shipped by Debian/Ubuntu). One Decoder holds
// one ps_decoder_t (acoustic model + language model in memory). decode() runs a whole utterance
// on the libuv thread pool so the event loop (RTP pacing) never waits for recognition; calls on
// one Decoder are serialized by a mutex because ps_decoder_t is not thread-safe.
// begin() / feed() / end() recognize one utterance while it is spoken (also on the thread pool):
// the search keeps up with the audio, so end() has little left to do; partial() reads the words so
// far. The caller must not start the next step before the previous one resolved (the pool may run
// queued work out of order).
// Cepstral mean (CMN): pocketsphinx normalizes features with a live mean it carries from one utterance to the next,
// whole or streamed. A pooled decoder serves many calls, so decode() and begin() take the CMN state the call's
// previous utterance ended with (undefined: the model's initial cmninit, saved when the decoder was made) and decode()
// and end() return the state this utterance ended with: the caller keeps it per call, and no call inherits another's.
// The state is opaque to JavaScript: a Float64Array of the mean, the running sum and the frame count.
// A call's first utterance has no state of its own yet, and the model's initial mean can be far from a channel's: begin()
// then takes the utterance's first audio (`meanFrom`) and starts from the mean of its cepstra, as a whole-utterance
// decode takes the mean of all of them.
// load() (a decoder made with deferLoad) reads the models on a thread of its own at the lowest priority (nice 19), not
// on the thread pool: a pool growing while callers speak takes only the CPU their recognition leaves, and no
// recognition waits in the pool's queue behind a quarter-second load.
#include <sphinxbase/fe.h>
#include <sphinxbase/ckd_alloc.h>
#include <napi.h>
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/feat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

class Decoder : public Napi::ObjectWrap<Decoder> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function fn = DefineClass(env, "Decoder",
                                    {InstanceMethod("decode", &Decoder::Decode), InstanceMethod("begin", &Decoder::Begin), InstanceMethod("feed", &Decoder::Feed),
                                     InstanceMethod("end", &Decoder::End), InstanceMethod("partial", &Decoder::Partial), InstanceMethod("load", &Decoder::Load),
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
    // Every option as pocketsphinx's command line takes it: ours, then `args` ({"-beam": "1e-40", ...}), which win.
    std::vector<std::string> words = {"-hmm", hmm, "-lm", lm, "-dict", dict, "-samprate", rate, "-fwdflat", fwdflat};
    if (o.Has("args") && o.Get("args").IsObject()) {
      Napi::Object args = o.Get("args").As<Napi::Object>();
      Napi::Array names = args.GetPropertyNames();
      for (uint32_t i = 0; i < names.Length(); i++) {
        std::string name = names.Get(i).ToString();
        words.push_back(name);
        words.push_back(args.Get(name).ToString());
      }
    }
    words_ = words;
    // deferLoad: the models are loaded by load(), in the background (a quarter of a second the event loop need not wait).
    if (o.Has("deferLoad") && o.Get("deferLoad").ToBoolean().Value()) return;
    std::string error = LoadModels();
    if (!error.empty()) throw Napi::Error::New(env, error);
  }

  /** Parses the options and loads the models; the error, or "" once loaded. */
  std::string LoadModels() {
    if (ps_) return "";
    std::vector<char*> argv;
    for (auto& w : words_) argv.push_back(const_cast<char*>(w.c_str()));
    config_ = cmd_ln_parse_r(NULL, ps_args(), (int32)argv.size(), argv.data(), TRUE);
    if (config_ == NULL) return "pocketsphinx: invalid configuration (see its options: beam, wbeam, maxhmmpf, ds, topn...)";
    ps_ = ps_init(config_);
    if (ps_ == NULL) {
      cmd_ln_free_r(config_);
      config_ = NULL;
      return "pocketsphinx: could not load the model (hmm " + words_[1] + ", lm " + words_[3] + ", dict " + words_[5] + ")";
    }
    initialCmn_ = GetCmn();
    fe_ = fe_init_auto_r(config_);
    Settle();
    return "";
  }

  /**
   * One short streamed utterance of faint noise, once: a new decoder recognizes its first utterances differently until
   * it has streamed one (some state pocketsphinx sets up then, not the CMN), and identically whatever it heard after.
   * Without this, a pooled decoder's transcript would depend on whether it had streamed before.
   */
  void Settle() {
    std::vector<int16_t> noise(8000);
    uint32_t x = 1;
    for (auto& v : noise) {
      x = x * 1103515245u + 12345u;
      v = (int16_t)((x >> 16) % 65 - 32);
    }
    if (ps_start_utt(ps_) >= 0) {
      ps_process_raw(ps_, noise.data(), noise.size(), FALSE, FALSE);
      ps_end_utt(ps_);
    }
  }

  /** The live CMN state now: mean[veclen], sum[veclen], nframe. */
  std::vector<double> GetCmn() {
    cmn_t* c = ps_get_feat(ps_)->cmn_struct;
    std::vector<double> v;
    if (!c) return v;
    for (int32 i = 0; i < c->veclen; i++) v.push_back(MFCC2FLOAT(c->cmn_mean[i]));
    for (int32 i = 0; i < c->veclen; i++) v.push_back(MFCC2FLOAT(c->sum[i]));
    v.push_back(c->nframe);
    return v;
  }

  /** Starts an utterance from the given CMN state (empty: the initial one). */
  bool StartUtterance(const std::vector<double>& cmn) {
    // A new stream for each utterance: nothing of a previous one (frame counts, the front end's stream state) carries
    // into it but the cepstral mean set below, so a pooled decoder's result does not depend on who used it before.
    if (ps_start_stream(ps_) < 0) return false;
    if (ps_start_utt(ps_) < 0) return false;
    SetCmn(cmn);
    return true;
  }

  /** Restores a state GetCmn() returned (empty: the initial one). */
  void SetCmn(const std::vector<double>& state) {
    const std::vector<double>& v = state.empty() ? initialCmn_ : state;
    cmn_t* c = ps_get_feat(ps_)->cmn_struct;
    if (!c || v.size() != CmnLength()) return;
    for (int32 i = 0; i < c->veclen; i++) c->cmn_mean[i] = FLOAT2MFCC(v[i]);
    for (int32 i = 0; i < c->veclen; i++) c->sum[i] = FLOAT2MFCC(v[c->veclen + i]);
    c->nframe = (int32)v[2 * c->veclen];
  }

  /**
   * A CMN state whose mean is that of `pcm`'s cepstra, counted as that many frames (so the utterance's own frames then
   * refine it at its end); the initial state if `pcm` is too short to say.
   */
  std::vector<double> CmnOf(const std::vector<int16_t>& pcm) {
    cmn_t* c = ps_get_feat(ps_)->cmn_struct;
    if (!c || !fe_ || pcm.empty()) return {};
    mfcc_t** cep = NULL;
    int32 nframes = 0;
    // A separate front end: the decoder's own keeps the state of the stream it serves.
    fe_start_utt(fe_);
    if (fe_process_utt(fe_, pcm.data(), pcm.size(), &cep, &nframes) < 0 || !cep) return {};
    std::vector<double> v;
    int32 ceplen = fe_get_output_size(fe_);
    if (nframes >= 10 && ceplen == c->veclen) {
      std::vector<double> mean(ceplen, 0.0);
      for (int32 f = 0; f < nframes; f++)
        for (int32 i = 0; i < ceplen; i++) mean[i] += MFCC2FLOAT(cep[f][i]);
      for (int32 i = 0; i < ceplen; i++) v.push_back(mean[i] / nframes);
      for (int32 i = 0; i < ceplen; i++) v.push_back(mean[i]);
      v.push_back(nframes);
    }
    fe_free_2d(cep);
    return v;
  }

  size_t CmnLength() {
    cmn_t* c = ps_get_feat(ps_)->cmn_struct;
    return c ? 2 * (size_t)c->veclen + 1 : 0;
  }

  ~Decoder() { Free(); }

  std::mutex mutex;
  ps_decoder_t* ps_ = NULL;
  cmd_ln_t* config_ = NULL;
  std::vector<double> initialCmn_;
  fe_t* fe_ = NULL;
  std::vector<std::string> words_;
  bool closed_ = false;

 private:
  void Free() {
    std::lock_guard<std::mutex> lock(mutex);
    closed_ = true;
    if (fe_) fe_free(fe_);
    fe_ = NULL;
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
  Napi::Value Load(const Napi::CallbackInfo& info);
};

/**
 * One step on a decoder: a whole utterance at once (decode), or one step of a streamed one (start it, search more
 * audio, read the hypothesis so far, or end it and read the result).
 */
class DecoderStep : public Napi::AsyncWorker {
 public:
  enum class Step { kWhole, kBegin, kFeed, kPartial, kEnd };
  DecoderStep(Napi::Env env, Decoder* decoder, Napi::Object keep, Step step, std::vector<int16_t>&& pcm, std::vector<double>&& cmn)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), decoder_(decoder), step_(step), pcm_(std::move(pcm)), cmn_(std::move(cmn)) {
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    std::lock_guard<std::mutex> lock(decoder_->mutex);
    ps_decoder_t* ps = decoder_->ps_;
    if (!ps) return SetError("decoder closed");
    switch (step_) {
      case Step::kWhole:
        if (!decoder_->StartUtterance(cmn_)) return SetError("ps_start_utt failed");
        // full_utt: the whole utterance is here (the live CMN still starts from the mean set above).
        if (!pcm_.empty() && ps_process_raw(ps, pcm_.data(), pcm_.size(), FALSE, TRUE) < 0) {
          ps_end_utt(ps);
          return SetError("ps_process_raw failed");
        }
        ReadHypothesis(ps, true);
        return;
      case Step::kBegin:
        // No state of the call's own, but its first audio: start from that audio's mean.
        if (cmn_.empty() && !pcm_.empty()) cmn_ = decoder_->CmnOf(pcm_);
        if (!decoder_->StartUtterance(cmn_)) return SetError("ps_start_utt failed");
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
    if (end) cmn_ = decoder_->GetCmn();
  }
  void OnOK() override {
    if (step_ == Step::kBegin || step_ == Step::kFeed) return deferred_.Resolve(Env().Undefined());
    Napi::Object r = Napi::Object::New(Env());
    r.Set("text", text_);
    r.Set("score", score_);
    if (step_ != Step::kPartial) {
      Napi::Float64Array cmn = Napi::Float64Array::New(Env(), cmn_.size());
      for (size_t i = 0; i < cmn_.size(); i++) cmn[i] = cmn_[i];
      r.Set("cmn", cmn);
    }
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  Decoder* decoder_;
  Step step_;
  std::vector<int16_t> pcm_;
  std::vector<double> cmn_;
  std::string text_;
  int32 score_ = 0;
};

static Napi::Promise QueueStep(const Napi::CallbackInfo& info, Decoder* d, DecoderStep::Step step, std::vector<int16_t>&& pcm, std::vector<double>&& cmn = {}) {
  auto* worker = new DecoderStep(info.Env(), d, info.This().As<Napi::Object>(), step, std::move(pcm), std::move(cmn));
  Napi::Promise p = worker->Promise();
  worker->Queue();
  return p;
}

/** The CMN state argument at `index`: undefined (the initial state), or a Float64Array a previous end()/decode() returned. */
static std::vector<double> CmnArgument(const Napi::CallbackInfo& info, size_t index, Decoder* d) {
  if (info.Length() <= index || info[index].IsUndefined()) return {};
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) throw Napi::TypeError::New(info.Env(), "CMN state: Float64Array expected");
  Napi::Float64Array a = info[index].As<Napi::Float64Array>();
  if (!d->ps_) throw Napi::Error::New(info.Env(), "decoder closed");
  if (a.ElementLength() != d->CmnLength()) throw Napi::TypeError::New(info.Env(), "CMN state of another model");
  return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
}

static std::vector<int16_t> Samples(const Napi::CallbackInfo& info, size_t index = 0) {
  if (info.Length() <= index || !info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) throw Napi::TypeError::New(info.Env(), "Int16Array expected");
  Napi::Int16Array a = info[index].As<Napi::Int16Array>();
  return std::vector<int16_t>(a.Data(), a.Data() + a.ElementLength());
}

/** begin(cmn?, meanFrom?): `meanFrom` (Int16Array) is used only without `cmn`. */
Napi::Value Decoder::Begin(const Napi::CallbackInfo& info) {
  std::vector<double> cmn = CmnArgument(info, 0, this);
  std::vector<int16_t> meanFrom = info.Length() > 1 && !info[1].IsUndefined() ? Samples(info, 1) : std::vector<int16_t>();
  return QueueStep(info, this, DecoderStep::Step::kBegin, std::move(meanFrom), std::move(cmn));
}

Napi::Value Decoder::Decode(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kWhole, Samples(info), CmnArgument(info, 1, this)); }

Napi::Value Decoder::Feed(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kFeed, Samples(info)); }

Napi::Value Decoder::End(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kEnd, {}); }

Napi::Value Decoder::Partial(const Napi::CallbackInfo& info) { return QueueStep(info, this, DecoderStep::Step::kPartial, {}); }

/** What a background load reports back to the event loop. */
struct LoadJob {
  Napi::Promise::Deferred deferred;
  Napi::ObjectReference keep;
  std::string error;
  explicit LoadJob(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

Napi::Value Decoder::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* job = new LoadJob(env);
  job->keep = Napi::Persistent(info.This().As<Napi::Object>());
  Napi::Promise promise = job->deferred.Promise();
  auto done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "pocketsphinx-load", 0, 1);
  Decoder* self = this;
  std::thread([self, job, done]() mutable {
    // Raising one's own nice needs no privilege; it applies to this thread only.
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
    {
      std::lock_guard<std::mutex> lock(self->mutex);
      job->error = self->closed_ ? "decoder closed" : self->LoadModels();
    }
    done.BlockingCall(job, [](Napi::Env env, Napi::Function, LoadJob* job) {
      if (job->error.empty()) job->deferred.Resolve(env.Undefined());
      else job->deferred.Reject(Napi::Error::New(env, job->error).Value());
      delete job;
    });
    done.Release();
  }).detach();
  return promise;
}

Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return Decoder::Init(env, exports); }
NODE_API_MODULE(pocketsphinx_binding, InitAll)
