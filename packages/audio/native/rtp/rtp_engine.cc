// The RTP engine's Node bindings: every call's outgoing audio of one process paced, encoded and
// sent by native threads (core.h), at realtime priority where the system allows it, so that no
// garbage collection, no model inference and no busy event loop can make a frame late. JavaScript
// hands each call's agent audio over as 16 kHz PCM (write) and reads back what was sent (poll);
// the caller's packets stay in the kernel's socket buffers until JavaScript drains all of them at
// once (receive, receiver.h), with their kernel arrival times, for its jitter buffers.
//
// The encoders (payload_encoder.h) mirror the TypeScript ones byte for byte; the tests hold the
// two to each other.
#include <napi.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core.h"
#include "receiver.h"
#include "wake_probe.h"

namespace {

using parley::rtp::Codec;
using parley::rtp::Core;
using parley::rtp::MonoNs;
using parley::rtp::Receiver;
using parley::rtp::Session;
using parley::rtp::Tables;
using parley::rtp::WakeProbe;

struct AddonData {
  Napi::FunctionReference session;
};

Codec CodecFromPayloadType(int pt) {
  if (pt == 9) return Codec::G722;
  if (pt == 0) return Codec::Ulaw;
  if (pt == 8) return Codec::Alaw;
  throw std::invalid_argument("payload type must be 0 (ulaw), 8 (alaw) or 9 (g722)");
}

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RtpEngineSession",
                       {InstanceAccessor<&SessionWrap::Id>("id"), InstanceMethod<&SessionWrap::StartClock>("start"),
                        InstanceMethod<&SessionWrap::SetRemote>("setRemote"), InstanceMethod<&SessionWrap::SetPtime>("setPtime"),
                        InstanceAccessor<&SessionWrap::PtimeMs>("ptimeMs"), InstanceMethod<&SessionWrap::Write>("write"),
                        InstanceMethod<&SessionWrap::Flush>("flush"), InstanceMethod<&SessionWrap::Poll>("poll"),
                        InstanceMethod<&SessionWrap::Close>("close")});
  }

  SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
    if (info.Length() < 2 || !info[0].IsExternal() || !info[1].IsExternal())
      throw Napi::TypeError::New(info.Env(), "sessions come from RtpEngine.open()");
    session_ = *info[0].As<Napi::External<std::shared_ptr<Session>>>().Data();
    core_ = *info[1].As<Napi::External<std::shared_ptr<Core>>>().Data();
  }

  ~SessionWrap() { CloseSession(); }

 private:
  Napi::Value Id(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), session_->id); }

  Napi::Value PtimeMs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), session_->Ptime()); }

  Napi::Value StartClock(const Napi::CallbackInfo& info) {
    if (closed_) return info.Env().Undefined();
    session_->Start(core_->QuietestStart(session_->Ptime()));
    core_->Wake();
    return info.Env().Undefined();
  }

  Napi::Value SetRemote(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "setRemote(address: string, port: number, latch: boolean)");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(info[1].As<Napi::Number>().Uint32Value()));
    if (inet_pton(AF_INET, info[0].As<Napi::String>().Utf8Value().c_str(), &addr.sin_addr) != 1) throw Napi::RangeError::New(env, "setRemote: not an IPv4 address");
    return Napi::Boolean::New(env, !closed_ && session_->SetRemote(addr, info[2].ToBoolean()));
  }

  Napi::Value SetPtime(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setPtime(ms: number)");
    session_->SetPtime(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array)
      throw Napi::TypeError::New(env, "write(pcm: Int16Array, markId?: number)");
    Napi::Int16Array pcm = info[0].As<Napi::Int16Array>();
    double mark = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0;
    if (!closed_ && session_->Write(pcm.Data(), pcm.ElementLength(), mark)) core_->Wake();
    return env.Undefined();
  }

  Napi::Value Flush(const Napi::CallbackInfo& info) {
    session_->Flush();
    return info.Env().Undefined();
  }

  Napi::Value Poll(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array)
      throw Napi::TypeError::New(env, "poll(status: Float64Array, echo: Int16Array)");
    Napi::Float64Array status = info[0].As<Napi::Float64Array>();
    Napi::Int16Array echo = info[1].As<Napi::Int16Array>();
    if (status.ElementLength() < Session::kFirstMark) throw Napi::RangeError::New(env, "poll: status needs at least 16 slots");
    return Napi::Number::New(env, double(session_->Poll(status.Data(), status.ElementLength(), echo.Data(), echo.ElementLength())));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseSession();
    return info.Env().Undefined();
  }

  void CloseSession() {
    if (closed_) return;
    closed_ = true;
    core_->Remove(session_);
    session_->Close();
  }

  std::shared_ptr<Session> session_;
  std::shared_ptr<Core> core_;
  bool closed_ = false;
};

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RtpEngine",
                       {InstanceMethod<&EngineWrap::Open>("open"), InstanceMethod<&EngineWrap::Receive>("receive"),
                        InstanceMethod<&EngineWrap::MonotonicMs>("monotonicMs"), InstanceAccessor<&EngineWrap::Policy>("scheduling"),
                        InstanceAccessor<&EngineWrap::Stats>("stats"), InstanceMethod<&EngineWrap::Close>("close")});
  }

  EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "new RtpEngine(options)");
    Napi::Object o = info[0].As<Napi::Object>();
    auto tables = std::make_shared<Tables>();
    tables->ulaw = Bytes(env, o.Get("ulaw"), 65536, "ulaw: Uint8Array(65536)");
    tables->alaw = Bytes(env, o.Get("alaw"), 65536, "alaw: Uint8Array(65536)");
    Napi::Value nb = o.Get("narrowband");
    if (!nb.IsObject()) throw Napi::TypeError::New(env, "narrowband: { up, down, taps, bank: Float32Array }");
    Napi::Object f = nb.As<Napi::Object>();
    tables->up = f.Get("up").ToNumber().Int32Value();
    tables->down = f.Get("down").ToNumber().Int32Value();
    tables->taps = f.Get("taps").ToNumber().Int32Value();
    Napi::Value bank = f.Get("bank");
    if (!bank.IsTypedArray() || bank.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) throw Napi::TypeError::New(env, "narrowband.bank: Float32Array");
    Napi::Float32Array b = bank.As<Napi::Float32Array>();
    if (tables->up < 1 || tables->down < 1 || tables->taps < 1 || b.ElementLength() != size_t(tables->up * tables->taps))
      throw Napi::RangeError::New(env, "narrowband: bank must hold up * taps coefficients");
    tables->bank.assign(b.Data(), b.Data() + b.ElementLength());
    tables->settlePackets = o.Get("settlePackets").ToNumber().Int32Value();
    std::string priority = o.Has("priority") ? o.Get("priority").ToString().Utf8Value() : std::string("realtime");
    const int threads = o.Has("threads") ? o.Get("threads").ToNumber().Int32Value() : 2;
    core_ = std::make_shared<Core>(tables);
    core_->Start(priority, threads);
    // The thread must not outlive the environment (a worker thread's, or the process's at exit).
    env.AddCleanupHook([core = core_] { core->Stop(); });
  }

  ~EngineWrap() {
    if (core_) core_->Stop();
  }

 private:
  static std::vector<uint8_t> Bytes(Napi::Env env, Napi::Value v, size_t length, const char* what) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || v.As<Napi::Uint8Array>().ElementLength() != length)
      throw Napi::TypeError::New(env, what);
    Napi::Uint8Array a = v.As<Napi::Uint8Array>();
    return std::vector<uint8_t>(a.Data(), a.Data() + length);
  }

  /** open({ host, port, payloadType, dtx, echo }): a session, or an Error with the errno's code (EADDRINUSE...). */
  Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "open({ host, port, payloadType, dtx, echo })");
    Napi::Object o = info[0].As<Napi::Object>();
    Codec codec;
    try {
      codec = CodecFromPayloadType(o.Get("payloadType").ToNumber().Int32Value());
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(env, e.what());
    }
    int error = 0;
    auto session = core_->Open(o.Get("host").ToString().Utf8Value(), o.Get("port").ToNumber().Int32Value(), codec, o.Get("dtx").ToBoolean(),
                               o.Get("echo").ToBoolean(), &error);
    if (!session) {
      Napi::Error err = Napi::Error::New(env, std::string("cannot bind an RTP socket: ") + strerror(error));
      const char* code = error == EADDRINUSE ? "EADDRINUSE" : error == EACCES ? "EACCES" : error == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "EOTHER";
      err.Set("code", Napi::String::New(env, code));
      throw err;
    }
    AddonData* data = env.GetInstanceData<AddonData>();
    return data->session.New({Napi::External<std::shared_ptr<Session>>::New(env, new std::shared_ptr<Session>(session),
                                                                            [](Napi::Env, std::shared_ptr<Session>* p) { delete p; }),
                              Napi::External<std::shared_ptr<Core>>::New(env, new std::shared_ptr<Core>(core_),
                                                                         [](Napi::Env, std::shared_ptr<Core>* p) { delete p; })});
  }

  /**
   * Every datagram waiting on any session's socket, as one buffer of records (Receiver::Drain's:
   * session id, source address and port, length, kernel arrival time on the clock of
   * monotonicMs(), the datagram). Undefined when nothing is waiting.
   */
  Napi::Value Receive(const Napi::CallbackInfo& info) {
    const std::vector<uint8_t>& records = receiver_.Drain(core_->epoll());
    if (records.empty()) return info.Env().Undefined();
    return Napi::Buffer<uint8_t>::Copy(info.Env(), records.data(), records.size());
  }

  Napi::Value MonotonicMs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(MonoNs()) / 1e6); }

  Napi::Value Policy(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), core_->Policy()); }

  /** { threads, wakeups, lateWakeups, maxWakeLateMs, maxBusyMs, maxLockWaitMs }: how the pacing threads have been keeping time. */
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("threads", core_->threads());
    o.Set("wakeups", double(core_->wakeups()));
    o.Set("lateWakeups", double(core_->lateWakeups()));
    o.Set("maxWakeLateMs", core_->maxWakeLateMs());
    o.Set("maxBusyMs", core_->maxBusyMs());
    o.Set("maxLockWaitMs", core_->maxLockWaitMs());
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    core_->Stop();
    return info.Env().Undefined();
  }

  std::shared_ptr<Core> core_;
  Receiver receiver_;
};

class WakeProbeWrap : public Napi::ObjectWrap<WakeProbeWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "WakeProbe",
                       {InstanceAccessor<&WakeProbeWrap::Policy>("scheduling"), InstanceAccessor<&WakeProbeWrap::Stats>("stats"),
                        InstanceMethod<&WakeProbeWrap::Close>("close")});
  }

  /** new WakeProbe(priority?: 'realtime' | 'high' | 'normal') */
  WakeProbeWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WakeProbeWrap>(info) {
    std::string priority = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string("realtime");
    probe_ = std::make_shared<WakeProbe>(priority);
    // The thread must not outlive the environment.
    info.Env().AddCleanupHook([probe = probe_] { probe->Stop(); });
  }

  ~WakeProbeWrap() { probe_->Stop(); }

 private:
  Napi::Value Policy(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), probe_->Policy()); }

  /** { wakeups, lateWakeups (later than 5 ms), maxLateMs }. */
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("wakeups", double(probe_->wakeups()));
    o.Set("lateWakeups", double(probe_->lateWakeups()));
    o.Set("maxLateMs", probe_->maxLateMs());
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    probe_->Stop();
    return info.Env().Undefined();
  }

  std::shared_ptr<WakeProbe> probe_;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->session = Napi::Persistent(SessionWrap::Define(env));
  env.SetInstanceData<AddonData>(data);
  exports.Set("RtpEngine", EngineWrap::Define(env));
  exports.Set("WakeProbe", WakeProbeWrap::Define(env));
  exports.Set("stateSlots", Napi::Number::New(env, CODEC_STATE_SLOTS));
  return exports;
}

}  // namespace

NODE_API_MODULE(parley_rtp, Init)
